import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { createRemoteVerifier } from '../../src/auth/remote-verifier.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/operations/ports/store.js';
import { startIdentityProvider, type ClaimOverrides, type FakeIdentityProvider } from '../support/identity-provider.js';

/**
 * Who a token names, through the whole service and a real identity provider: users are keyed by `tid` and
 * `oid`, and only `upn` names them. A claim anyone can set (`preferred_username`, `unique_name`, `email`)
 * must not take another user's name, and a name that really moves (a rename) deletes nobody.
 */

const ADELE = 'adele@contoso.com';
const ADELE_ID = '0f2b6a7e-1c3d-4e5f-8a9b-000000000001';
const IMPOSTOR_ID = '0f2b6a7e-1c3d-4e5f-8a9b-000000000002';
const AUDITOR_ID = '0f2b6a7e-1c3d-4e5f-8a9b-000000000003';
const NEW_ADELE_ID = '0f2b6a7e-1c3d-4e5f-8a9b-000000000004';
const OPERATIONS = '/v1.0/me/authentication/operations';

describe('user identity from a real identity provider', () => {
  let idp: FakeIdentityProvider;
  let store: Store;
  let app: FastifyInstance;

  before(async () => {
    idp = await startIdentityProvider();
  });
  after(() => idp.close());

  /** A fresh service on an in-memory store, with adele in its directory and two operations of hers. */
  async function start(): Promise<string[]> {
    store = openSqliteStore({ path: ':memory:' });
    const verifier = await createRemoteVerifier({ issuers: [idp.issuer], audiences: [idp.audience], jwksUrl: idp.jwksUrl });
    app = await buildApp({ store, verifier, logLevel: false });
    await store.users.upsert({ tenantId: idp.tenantId, id: ADELE_ID, userPrincipalName: ADELE });
    const adele = await token({ oid: ADELE_ID, upn: ADELE, preferred_username: ADELE });
    return [await create(adele), await create(adele)];
  }

  async function stop(): Promise<void> {
    await app.close();
    await store.close();
  }

  function token(claims: ClaimOverrides): Promise<string> {
    return idp.sign(claims);
  }

  async function call(bearer: string, method: 'GET' | 'POST', url: string) {
    const response = await app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${bearer}`, ...(method === 'POST' && { 'content-type': 'application/json' }) },
      ...(method === 'POST' && { payload: '{}' }),
    });
    return { status: response.statusCode, json: response.json() };
  }

  async function create(bearer: string): Promise<string> {
    const created = await call(bearer, 'POST', OPERATIONS);
    assert.equal(created.status, 201);
    return created.json.id;
  }

  /** The ids of a user's operations, as a caller allowed to read anyone's (`.Read.All`) lists them. */
  async function operationsOf(userKey: string): Promise<string[]> {
    const auditor = await token({ oid: AUDITOR_ID, upn: 'auditor@contoso.com', scp: 'UserAuthenticationMethod.Read.All' });
    const listed = await call(auditor, 'GET', `/v1.0/users/${userKey}/authentication/operations`);
    assert.equal(listed.status, 200, JSON.stringify(listed.json));
    return listed.json.value.map((operation: { id: string }) => operation.id).sort();
  }

  for (const claim of ['preferred_username', 'unique_name', 'email']) {
    it(`a token of another user with no upn and ${claim} naming adele takes neither her name nor her operations`, async () => {
      const adelesOperations = await start();
      try {
        const impostor = await token({ oid: IMPOSTOR_ID, upn: undefined, preferred_username: undefined, [claim]: ADELE });
        const own = await create(impostor);
        assert.equal((await call(impostor, 'GET', OPERATIONS)).status, 200);
        // Not adele, so her operations need a .All scope, which this token does not have.
        assert.equal((await call(impostor, 'GET', `/v1.0/users/${ADELE}/authentication/operations`)).status, 403);

        assert.deepEqual(await operationsOf(ADELE), adelesOperations.sort());
        assert.deepEqual(await operationsOf(ADELE_ID), adelesOperations.sort());
        assert.ok(await store.operations.get({ tenantId: idp.tenantId, userId: IMPOSTOR_ID }, own), 'its own operation is its own');
        assert.equal((await store.users.findByUserPrincipalName(idp.tenantId, ADELE))?.id, ADELE_ID);
        assert.equal(await store.users.findById(idp.tenantId, IMPOSTOR_ID), undefined, 'a token without upn records no name');
      } finally {
        await stop();
      }
    });
  }

  it('a rename through tokens (a new oid carrying adele’s upn) re-points the name and deletes nothing', async () => {
    const adelesOperations = await start();
    try {
      const newAdele = await token({ oid: NEW_ADELE_ID, upn: 'Adele@Contoso.com' });
      const newOperation = await create(newAdele);

      assert.deepEqual(await store.users.findByUserPrincipalName(idp.tenantId, ADELE), {
        tenantId: idp.tenantId,
        id: NEW_ADELE_ID,
        userPrincipalName: 'Adele@Contoso.com',
      });
      assert.deepEqual(await store.users.findById(idp.tenantId, ADELE_ID), { tenantId: idp.tenantId, id: ADELE_ID, userPrincipalName: null });
      assert.deepEqual(await operationsOf(ADELE), [newOperation]);
      assert.deepEqual(await operationsOf(ADELE_ID), adelesOperations.sort(), 'the old user is still there, by id');
    } finally {
      await stop();
    }
  });
});
