import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PERMISSION } from '../../src/auth/permissions.js';
import { parseState, StateError, userJson } from '../../src/emulator/state.js';
import { DEV_TENANT_ID, startHarness, type Harness } from '../support/harness.js';

const ADELE_ID = '1a1a1a1a-2b2b-4c3c-8d4d-000000000001';
const NEW_ADELE_ID = '1a1a1a1a-2b2b-4c3c-8d4d-000000000002';
const OTHER_ID = '1a1a1a1a-2b2b-4c3c-8d4d-000000000003';

describe('state format: a user whose UPN moved to another user', () => {
  it('is written with "userPrincipalName": null', () => {
    assert.deepEqual(userJson({ tenantId: DEV_TENANT_ID, id: ADELE_ID, userPrincipalName: null }), {
      tenantId: DEV_TENANT_ID,
      id: ADELE_ID,
      userPrincipalName: null,
    });
  });

  it('is read back, any number of them in one tenant, beside the user now holding the UPN', () => {
    const users = [
      { tenantId: DEV_TENANT_ID, id: ADELE_ID, userPrincipalName: null },
      { tenantId: DEV_TENANT_ID, id: NEW_ADELE_ID, userPrincipalName: 'adele@contoso.com' },
      { tenantId: DEV_TENANT_ID, id: OTHER_ID, userPrincipalName: null },
    ];
    assert.deepEqual(parseState({ users }).users, users);
  });

  for (const [what, userPrincipalName] of [
    ['left out', undefined],
    ['empty', ''],
    ['not a name@domain', 'adele'],
    ['not a string', 42],
  ] as const) {
    it(`a UPN ${what} is still refused`, () => {
      assert.throws(
        () => parseState({ users: [{ tenantId: DEV_TENANT_ID, id: ADELE_ID, userPrincipalName }] }),
        (error) => error instanceof StateError && error.path === 'users[0].userPrincipalName',
      );
    });
  }
});

describe('export and import through the admin API: a renamed user keeps its row', () => {
  let h: Harness;
  let admin: string;
  before(async () => {
    h = await startHarness({ emulatorState: {} });
    admin = (await h.user('admin@contoso.com', { scopes: [ADMIN_PERMISSION] })).token;
  });
  after(() => h.close());

  async function exportedUsers(): Promise<{ id: string }[]> {
    const res = await h.request(admin, { method: 'GET', url: '/admin/state' });
    assert.equal(res.statusCode, 200, res.body);
    return JSON.parse(res.body).users;
  }

  it('exports the old holder with a null UPN, and the export imports back unchanged', async () => {
    await h.store.users.upsert({ tenantId: DEV_TENANT_ID, id: ADELE_ID, userPrincipalName: 'adele@contoso.com' });
    await h.store.users.upsert({ tenantId: DEV_TENANT_ID, id: NEW_ADELE_ID, userPrincipalName: 'adele@contoso.com' });
    const users = await exportedUsers();
    assert.deepEqual(
      users.find((user) => user.id === ADELE_ID),
      { tenantId: DEV_TENANT_ID, id: ADELE_ID, userPrincipalName: null },
    );

    const put = await h.request(admin, { method: 'PUT', url: '/admin/state', payload: { users, operations: [] } });
    assert.equal(put.statusCode, 204, put.body);
    assert.deepEqual(await exportedUsers(), users);
    assert.deepEqual(await h.store.users.findById(DEV_TENANT_ID, ADELE_ID), { tenantId: DEV_TENANT_ID, id: ADELE_ID, userPrincipalName: null });
  });
});

describe('state format: who may sign in', () => {
  const CLIENT = '1a1a1a1a-2b2b-4c3c-8d4d-0000000000c1';
  const user = { tenantId: DEV_TENANT_ID, id: ADELE_ID, userPrincipalName: 'adele@contoso.com' };

  it('reads applications and users\' passwords, plain or hashed, beside the users themselves', () => {
    const hash = `scrypt$16384$8$1$${'a'.repeat(22)}$${'b'.repeat(43)}`;
    const state = parseState({
      users: [{ ...user, password: 'pw' }, { tenantId: DEV_TENANT_ID, id: OTHER_ID, userPrincipalName: 'bob@contoso.com', passwordHash: hash }],
      applications: [{ clientId: CLIENT, tenantId: DEV_TENANT_ID, clientSecretHash: hash, roles: ['UserAuthenticationMethod.Read.All'] }],
    });
    assert.deepEqual(state.users[0], user, 'the directory gets no password');
    assert.deepEqual(state.passwords, [
      { tenantId: DEV_TENANT_ID, userId: ADELE_ID, secret: { plain: 'pw' } },
      { tenantId: DEV_TENANT_ID, userId: OTHER_ID, secret: { hash } },
    ]);
    assert.deepEqual(state.applications[0]?.secret, { hash });
    assert.deepEqual(parseState({}).applications, [], 'left out: none');
  });

  for (const [what, document, path] of [
    ['an application without its tenant', { applications: [{ clientId: CLIENT }] }, 'applications[0].tenantId'],
    ['one client id twice', { applications: [{ clientId: CLIENT, tenantId: DEV_TENANT_ID }, { clientId: CLIENT, tenantId: DEV_TENANT_ID }] }, 'applications[1].clientId'],
    ['a password and its hash', { users: [{ ...user, password: 'a', passwordHash: 'b' }] }, 'users[0].password'],
    ['a hash that is none', { users: [{ ...user, passwordHash: 'plain' }] }, 'users[0].passwordHash'],
  ] as const) {
    it(`refuses ${what}`, () => {
      assert.throws(() => parseState(document), (error) => error instanceof StateError && error.path === path);
    });
  }
});
