import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CONSUMER_TENANT_ID } from '../../src/auth/principal.js';
import { DEV_TENANT_ID, OPERATIONS, startHarness, type Harness } from '../support/harness.js';

const READ = 'UserAuthenticationMethod.Read';
const READ_ALL = 'UserAuthenticationMethod.Read.All';
const READ_WRITE = 'UserAuthenticationMethod.ReadWrite';
const READ_WRITE_ALL = 'UserAuthenticationMethod.ReadWrite.All';

describe('identity and permissions', () => {
  let h: Harness;
  let owner: { id: string; token: string; opId: string };

  before(async () => {
    h = await startHarness();
    const { user, token } = await h.user('owner@contoso.com');
    const opId = (await h.request(token, { method: 'POST', url: OPERATIONS, payload: {} })).json.id;
    owner = { id: user.id, token, opId };
  });
  after(() => h.close());

  it('no token, a malformed header or an invalid token: 401 InvalidAuthenticationToken with WWW-Authenticate', async () => {
    for (const authorization of [undefined, 'Basic abc', 'Bearer', 'Bearer not.a.jwt', `Bearer ${owner.token}x`]) {
      const res = await h.app.inject({ method: 'GET', url: OPERATIONS, headers: authorization ? { authorization } : {} });
      assert.equal(res.statusCode, 401, String(authorization));
      assert.equal(res.json().error.code, 'InvalidAuthenticationToken');
      assert.match(String(res.headers['www-authenticate']), /^Bearer /);
    }
  });

  it('a token another authority signed is 401', async () => {
    const other = await startHarness();
    try {
      const { token } = await other.user('owner@contoso.com');
      const res = await h.request(token, { method: 'GET', url: OPERATIONS });
      assert.equal(res.statusCode, 401);
    } finally {
      await other.close();
    }
  });

  /** Delegated access to one's own operations, by scope: [scopes, may read, may write]. */
  const OWN: [string[], boolean, boolean][] = [
    [[READ], true, false],
    [[READ_ALL], true, false],
    [[READ_WRITE], true, true],
    [[READ_WRITE_ALL], true, true],
    [['User.Read'], false, false],
  ];

  for (const [scopes, mayRead, mayWrite] of OWN) {
    it(`own operations with ${scopes.join(' ')}: read ${mayRead ? 'allowed' : '403'}, write ${mayWrite ? 'allowed' : '403'}`, async () => {
      const { token } = await h.user(`self-${scopes.join('-')}@contoso.com`, { scopes });
      for (const base of [OPERATIONS, `/v1.0/users/self-${scopes.join('-')}@contoso.com/authentication/operations`]) {
        const list = await h.request(token, { method: 'GET', url: base });
        assert.equal(list.statusCode, mayRead ? 200 : 403, `GET ${base}`);
        const create = await h.request(token, { method: 'POST', url: base, payload: {} });
        assert.equal(create.statusCode, mayWrite ? 201 : 403, `POST ${base}`);
        if (!mayWrite) assert.equal(create.json.error.code, 'Authorization_RequestDenied');
        if (!mayRead) assert.equal(list.json.error.message, 'Insufficient privileges to complete the operation.');
      }
    });
  }

  /** Delegated access to another user's operations, by scope. */
  const OTHER: [string[], boolean, boolean][] = [
    [[READ], false, false],
    [[READ_WRITE], false, false],
    [[READ_ALL], true, false],
    [[READ_WRITE_ALL], true, true],
  ];

  for (const [scopes, mayRead, mayWrite] of OTHER) {
    it(`another user's operations with ${scopes.join(' ')}: read ${mayRead ? 'allowed' : '403'}, write ${mayWrite ? 'allowed' : '403'}`, async () => {
      const { token } = await h.user(`admin-${scopes.join('-')}@contoso.com`, { scopes });
      const item = `/v1.0/users/${owner.id}/authentication/operations/${owner.opId}`;
      assert.equal((await h.request(token, { method: 'GET', url: item })).statusCode, mayRead ? 200 : 403);
      assert.equal((await h.request(token, { method: 'GET', url: '/beta/users/owner@contoso.com/authentication/operations' })).statusCode, mayRead ? 200 : 403);
      const patch = await h.request(token, { method: 'PATCH', url: item, payload: { statusDetail: 'touched' } });
      assert.equal(patch.statusCode, mayWrite ? 200 : 403);
    });
  }

  it('one user never sees another’s operations through /me: their ids are 404 there', async () => {
    const { token } = await h.user('stranger@contoso.com');
    for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
      const res = await h.request(token, { method, url: `${OPERATIONS}/${owner.opId}`, payload: method === 'PATCH' ? { status: 'failed' } : undefined });
      assert.equal(res.statusCode, 404, method);
    }
    const list = await h.request(token, { method: 'GET', url: OPERATIONS });
    assert.deepEqual(list.json.value, []);
    // and with .All, an operation under the wrong user in the path is still 404
    const { user: admin, token: adminToken } = await h.user('admin@contoso.com', { scopes: [READ_WRITE_ALL] });
    const wrongPath = await h.request(adminToken, { method: 'GET', url: `/v1.0/users/${admin.id}/authentication/operations/${owner.opId}` });
    assert.equal(wrongPath.statusCode, 404);
  });

  it('application tokens: .All roles on /users/{id}, never /me', async () => {
    const writer = await h.appToken([READ_WRITE_ALL]);
    const reader = await h.appToken([READ_ALL]);
    const nothing = await h.appToken(['User.Read.All']);
    const item = `/v1.0/users/${owner.id}/authentication/operations/${owner.opId}`;
    assert.equal((await h.request(reader, { method: 'GET', url: item })).statusCode, 200);
    assert.equal((await h.request(reader, { method: 'PATCH', url: item, payload: { statusDetail: 'r' } })).statusCode, 403);
    assert.equal((await h.request(writer, { method: 'PATCH', url: item, payload: { statusDetail: 'w' } })).statusCode, 200);
    assert.equal((await h.request(nothing, { method: 'GET', url: item })).statusCode, 403);
    const me = await h.request(writer, { method: 'GET', url: OPERATIONS });
    assert.equal(me.statusCode, 403);
    assert.match(me.json.error.message, /delegated/);
  });

  it('tenants are kept apart: the same user name in another tenant sees nothing of this one', async () => {
    const otherTenant = '11111111-2222-4333-8444-555555555555';
    const { token } = await h.user('owner@contoso.com', { tenantId: otherTenant, scopes: [READ_WRITE_ALL] });
    const list = await h.request(token, { method: 'GET', url: OPERATIONS });
    assert.deepEqual(list.json.value, []);
    const item = await h.request(token, { method: 'GET', url: `/v1.0/users/${owner.id}/authentication/operations/${owner.opId}` });
    assert.equal(item.statusCode, 404);
    const app = await h.appToken([READ_WRITE_ALL], otherTenant);
    assert.equal((await h.request(app, { method: 'GET', url: `/v1.0/users/${owner.id}/authentication/operations` })).statusCode, 404);
    assert.notEqual(otherTenant, DEV_TENANT_ID);
  });

  it('personal Microsoft accounts are not supported: 403', async () => {
    const { token } = await h.user('someone@outlook.com', { tenantId: CONSUMER_TENANT_ID });
    const res = await h.request(token, { method: 'GET', url: OPERATIONS });
    assert.equal(res.statusCode, 403);
    assert.match(res.json.error.message, /Personal Microsoft accounts/);
  });

  it('users become known from their tokens: a new user is reachable by UPN once they have called', async () => {
    const { token: adminToken } = await h.user('helpdesk@contoso.com', { scopes: [READ_ALL] });
    const newcomerId = '6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0';
    const url = '/v1.0/users/newcomer@contoso.com/authentication/operations';
    assert.equal((await h.request(adminToken, { method: 'GET', url })).statusCode, 404);
    const newcomer = await h.authority.mint({ tenantId: DEV_TENANT_ID, user: { id: newcomerId, userPrincipalName: 'newcomer@contoso.com' } });
    assert.equal((await h.request(newcomer, { method: 'GET', url: OPERATIONS })).statusCode, 200);
    assert.equal((await h.request(adminToken, { method: 'GET', url })).statusCode, 200);
    assert.equal((await h.request(adminToken, { method: 'GET', url: `/v1.0/users/${newcomerId}/authentication/operations` })).statusCode, 200);
  });
});
