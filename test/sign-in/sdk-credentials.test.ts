/**
 * What issue #18 asked for: an app that asks `@azure/identity` for a token and hands the Graph SDK a
 * credential runs against graph-lro as written, with graph-lro's origin as its authority host and graph-lro's
 * CA trusted through `NODE_EXTRA_CA_CERTS` — nothing else changed. Each client (./clients/) runs in a process
 * of its own, as an application would, against a server started with `https: true` in this one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { startGraphLro, type GraphLro } from '../../src/graph-lro.js';
import { clientReport, startClient, type ClientSettings } from '../support/sign-in-clients.js';
import { tempDirs } from '../support/temp-dirs.js';

const TENANT = '00000000-0000-4000-8000-00000000d3e0';
const WORKER = { clientId: '5a6b7c8d-0000-4000-8000-000000000001', clientSecret: 'worker-secret~1', displayName: 'Reset worker' };
const DESKTOP = { clientId: '5a6b7c8d-0000-4000-8000-000000000002', displayName: 'Desktop app' };
const ADELE = { id: '6f1d2c3b-0000-4000-8000-00000000ade1', userPrincipalName: 'adele@contoso.com', password: 'Adele-passw0rd' };

describe('@azure/identity credentials and the Graph SDKs against graph-lro', () => {
  let lro: GraphLro;
  let caFolder: string;
  const tempDir = tempDirs('graph-lro-sign-in-');

  before(async () => {
    lro = await startGraphLro({
      https: true,
      users: [ADELE],
      applications: [
        { ...WORKER, roles: ['UserAuthenticationMethod.ReadWrite.All'] },
        { ...DESKTOP, scopes: ['UserAuthenticationMethod.ReadWrite'], redirectUris: ['http://localhost/callback'] },
      ],
    });
    caFolder = tempDir();
  });
  after(() => lro.close());

  /** Runs a client to its end: what it saw. */
  const runClient = (name: string, app: ClientSettings['app'], user: ClientSettings['user'] = ADELE) =>
    clientReport(startClient(lro, caFolder, name, { tenant: TENANT, app, user }), name);

  it('ClientSecretCredential → kiota-authentication-azure → msgraph-sdk creates, reads and patches a user\'s operations', async () => {
    const seen = await runClient('client-secret-msgraph-sdk', WORKER);
    assert.match(String(seen['created']), /^[0-9a-f-]{36}$/);
    assert.equal(seen['read'], 'queued by a worker');
    assert.equal(seen['patched'], 'running');
    const state = await lro.exportState();
    assert.ok(state.operations.some((op) => op.id === seen['created'] && op.userId === ADELE.id), 'the operation is Adele\'s');
  });

  it('UsernamePasswordCredential → the same client on /me, with the token cached by MSAL', async () => {
    const seen = await runClient('username-password-me', DESKTOP);
    assert.equal(seen['patched'], 'succeeded');
    assert.ok((seen['listed'] as string[]).includes(String(seen['created'])));
    assert.equal(seen['cached'], true);
    const claims = decodeJwt(String(seen['token']));
    assert.equal(claims.iss, `https://sts.windows.net/${TENANT}/`);
    assert.equal(claims.aud, 'https://graph.microsoft.com');
    assert.equal(claims['ver'], '1.0');
    assert.equal(claims['tid'], TENANT);
    assert.equal(claims['oid'], ADELE.id);
    assert.equal(claims['upn'], ADELE.userPrincipalName);
    assert.equal(claims['scp'], 'UserAuthenticationMethod.ReadWrite');
    assert.equal(claims['appid'], DESKTOP.clientId);
    assert.equal(claims['idtyp'], 'user');
  });

  it('@microsoft/microsoft-graph-client 3 with TokenCredentialAuthenticationProvider over HTTPS', async () => {
    const seen = await runClient('graph-client', WORKER);
    assert.equal(seen['read'], 'from graph-client');
  });

  it('MSAL Node: the authorization code flow with PKCE through the sign-in page, then a refresh', async () => {
    const seen = await runClient('auth-code-msal-node', DESKTOP);
    assert.equal(seen['state'], 'app-state');
    assert.equal(seen['username'], ADELE.userPrincipalName);
    assert.equal(seen['homeAccountId'], `${ADELE.id}.${TENANT}`, 'the account named by client_info');
    assert.deepEqual(seen['scopes'], ['https://graph.microsoft.com/UserAuthenticationMethod.ReadWrite', 'openid', 'profile', 'offline_access']);
    assert.equal(decodeJwt(String(seen['token']))['scp'], 'UserAuthenticationMethod.ReadWrite');
    assert.equal(seen['refreshed'], true, 'acquireTokenSilent used the refresh token');
  });

  it('UsernamePasswordCredential with an unknown user: the credential\'s error carries AADSTS50034', async () => {
    const seen = await runClient('username-password-refused', DESKTOP, { userPrincipalName: 'nobody@contoso.com', password: ADELE.password });
    assert.equal(seen['name'], 'AuthenticationRequiredError');
    assert.match(String(seen['error']), new RegExp(`AADSTS50034: The user account \\{EUII Hidden\\} does not exist in the ${TENANT} directory`));
  });

  it('UsernamePasswordCredential with a wrong password: the credential\'s error carries AADSTS50126', async () => {
    const seen = await runClient('username-password-refused', DESKTOP, { ...ADELE, password: 'not-Adele-passw0rd' });
    assert.equal(seen['name'], 'AuthenticationRequiredError');
    assert.match(String(seen['error']), /AADSTS50126: Error validating credentials due to invalid username or password/);
  });

  it('a wrong client secret: the credential\'s error carries AADSTS7000215', async () => {
    const seen = await runClient('wrong-secret', WORKER);
    // @azure/identity wraps every error the token endpoint answers in this one, as it does Entra's.
    assert.equal(seen['name'], 'AuthenticationRequiredError');
    assert.match(String(seen['error']), /AADSTS7000215: Invalid client secret provided/);
  });
});
