/**
 * `--apps` and the `password` of a `--users` entry, on the real process: a registered app and user sign in
 * at the token endpoint; a bad apps file, a bad password entry, or `--apps` under an identity provider end
 * the start with one line (exit 2).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertUsageError, startServer, type ServerProcess } from '../support/process.js';
import { tempDirs } from '../support/temp-dirs.js';

const TENANT = '00000000-0000-4000-8000-00000000d3e0';
const APP = { clientId: '0c1d2e3f-0000-4000-8000-000000000001', clientSecret: 'cli-secret', roles: ['UserAuthenticationMethod.Read.All'] };
const USER = { id: '0c1d2e3f-0000-4000-8000-0000000000ad', userPrincipalName: 'adele@contoso.com', password: 'cli-passw0rd' };

describe('graph-lro serve --apps and --users passwords', () => {
  const tempDir = tempDirs('graph-lro-sign-in-flags-');
  let dir: string;
  let server: ServerProcess;

  before(async () => {
    dir = tempDir();
    writeFileSync(join(dir, 'apps.json'), JSON.stringify([APP]));
    writeFileSync(join(dir, 'users.json'), JSON.stringify([USER]));
    server = await startServer(['--memory', '--apps', join(dir, 'apps.json'), '--users', join(dir, 'users.json'), '--log-level', 'info']);
  });
  after(() => server.stop());

  it('the app gets a client-credentials token and the user a delegated one; neither secret is printed', async () => {
    const token = (form: Record<string, string>) => fetch(`${server.origin}/${TENANT}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams(form) });
    const app = await token({ grant_type: 'client_credentials', client_id: APP.clientId, client_secret: APP.clientSecret, scope: 'https://graph.microsoft.com/.default' });
    assert.equal(app.status, 200);
    const user = await token({ grant_type: 'password', client_id: APP.clientId, username: USER.userPrincipalName, password: USER.password, scope: 'UserAuthenticationMethod.Read' });
    assert.equal(user.status, 200);
    assert.ok(!server.output().includes(APP.clientSecret) && !server.output().includes(USER.password));
  });

  it('a bad apps file, a bad password, or --apps under an identity provider: exit 2, one line', () => {
    writeFileSync(join(dir, 'bad-apps.json'), JSON.stringify([{ clientId: 'x' }]));
    assertUsageError(['serve', '--memory', '--port', '0', '--apps', join(dir, 'bad-apps.json')], {}, /The apps file is not valid: .*bad-apps\.json\[0\]\.clientId: must be a GUID/);
    writeFileSync(join(dir, 'bad-users.json'), JSON.stringify([{ ...USER, password: 42 }]));
    assertUsageError(['serve', '--memory', '--port', '0', '--users', join(dir, 'bad-users.json')], {}, /bad-users\.json\[0\]\.password: must be a non-empty text/);
    const provider = ['--jwks-url', 'http://127.0.0.1:9/keys', '--issuer', 'https://issuer.example', '--audience', 'api://x'];
    assertUsageError(['serve', '--memory', '--port', '0', ...provider, '--apps', join(dir, 'apps.json')], {}, /--apps \(GRAPH_LRO_APPS\) registers applications with the dev identity/);
  });
});
