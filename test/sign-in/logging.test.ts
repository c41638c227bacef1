/**
 * Secrets and passwords never reach a log line: not a client secret, not a user's password, whether the
 * sign-in succeeds or fails, through the token endpoint or the sign-in page, at the most verbose level.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openDevAuthority } from '../../src/auth/dev-authority.js';
import { Registrations } from '../../src/sign-in/registrations.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { DEV_TENANT_ID } from '../../src/users/seed-users.js';
import { startHarness, type Harness } from '../support/harness.js';

const SECRET = 'Sup3r-Secret-Value';
const PASSWORD = 'Passw0rd-Never-Logged';
const APP = { clientId: '8a9b0c1d-0000-4000-8000-000000000001', redirectUris: ['http://localhost/cb'] };
const WORKER = { clientId: '8a9b0c1d-0000-4000-8000-000000000002', secret: { plain: SECRET } };
const USER = { tenantId: DEV_TENANT_ID, id: '8a9b0c1d-0000-4000-8000-0000000000ad', userPrincipalName: 'adele@contoso.com' };

describe('sign-in and the logs', () => {
  let h: Harness;
  const lines: string[] = [];

  before(async () => {
    const store = openSqliteStore({ path: ':memory:' });
    await store.users.upsert(USER);
    const defaults = { tenantId: DEV_TENANT_ID, displayName: 'app', roles: ['UserAuthenticationMethod.Read.All'], scopes: ['UserAuthenticationMethod.Read'], redirectUris: [] };
    const registrations = await Registrations.of(
      [
        { ...defaults, ...APP, secret: null },
        { ...defaults, ...WORKER },
      ],
      [{ tenantId: DEV_TENANT_ID, userId: USER.id, secret: { plain: PASSWORD } }],
    );
    const issuer = await openDevAuthority({ secrets: store.secrets });
    h = await startHarness({ store, logLevel: 'trace', logStream: { write: (line) => void lines.push(line) }, signIn: { registrations, issuer } });
  });
  after(() => h.close());

  const form = (fields: Record<string, string>) => ({ 'content-type': 'application/x-www-form-urlencoded', payload: new URLSearchParams(fields).toString() });

  it('logs neither the client secret nor the password, right or wrong', async () => {
    for (const secret of [SECRET, `${SECRET}-wrong`]) {
      const { payload } = form({ grant_type: 'client_credentials', client_id: WORKER.clientId, client_secret: secret, scope: 'https://graph.microsoft.com/.default' });
      await h.app.inject({ method: 'POST', url: `/${DEV_TENANT_ID}/oauth2/v2.0/token`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload });
    }
    for (const password of [PASSWORD, `${PASSWORD}-wrong`]) {
      const { payload } = form({ grant_type: 'password', client_id: APP.clientId, username: USER.userPrincipalName, password, scope: 'openid UserAuthenticationMethod.Read' });
      await h.app.inject({ method: 'POST', url: `/${DEV_TENANT_ID}/oauth2/v2.0/token`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload });
      const page = { client_id: APP.clientId, response_type: 'code', redirect_uri: APP.redirectUris[0]!, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', scope: 'openid' };
      const { payload: signIn } = form({ ...page, username: USER.userPrincipalName, password });
      const answer = await h.app.inject({ method: 'POST', url: `/common/oauth2/v2.0/authorize`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: signIn });
      assert.ok([200, 302].includes(answer.statusCode), answer.body);
    }
    const log = lines.join('');
    assert.ok(log.includes('sign-in refused'), 'refusals are logged');
    assert.ok(log.includes('AADSTS7000215') && log.includes('AADSTS50126'), 'with their AADSTS code');
    assert.ok(!log.includes(SECRET), 'no client secret');
    assert.ok(!log.includes(PASSWORD), 'no password');
  });
});
