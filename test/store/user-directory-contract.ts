import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { LongRunningOperation, Owner } from '../../src/operations/long-running-operation.js';
import type { DirectoryUser } from '../../src/operations/ports/user-directory.js';
import { newOperation, type StoreTest } from './fresh-store.js';

/**
 * The user directory, for every engine (run by `operationStoreContract`). Tokens write to it, so whatever
 * they write, no user and no operation may ever be lost: a UPN that moves leaves its old holder in place,
 * addressed by id.
 */
export function userDirectoryContract(name: string, test: StoreTest): void {
  describe(`${name}: users`, () => {
    test('finds an upserted user by id and by UPN in any case', async (store) => {
      await store.users.upsert(ADA);
      assert.deepEqual(await store.users.findById(TENANT, ADA.id), ADA);
      assert.deepEqual(await store.users.findByUserPrincipalName(TENANT, 'ada@contoso.com'), ADA);
      assert.deepEqual(await store.users.findByUserPrincipalName(TENANT, 'ADA@CONTOSO.COM'), ADA);
    });

    test('answers undefined for unknown users', async (store) => {
      await store.users.upsert(ADA);
      assert.equal(await store.users.findById(TENANT, 'user-bob'), undefined);
      assert.equal(await store.users.findByUserPrincipalName(TENANT, 'bob@contoso.com'), undefined);
    });

    test('upserting the same user twice changes nothing', async (store) => {
      await store.users.upsert(ADA);
      await store.users.upsert({ ...ADA });
      assert.deepEqual(await store.users.findById(TENANT, ADA.id), ADA);
      assert.deepEqual(await store.users.findByUserPrincipalName(TENANT, 'ada@contoso.com'), ADA);
      assert.deepEqual(await store.admin.listUsers(undefined, 10), [ADA]);
    });

    test('upserting the same id replaces its UPN', async (store) => {
      await store.users.upsert(ADA);
      const renamed = { ...ADA, userPrincipalName: 'ada.lovelace@contoso.com' };
      await store.users.upsert(renamed);
      assert.deepEqual(await store.users.findById(TENANT, ADA.id), renamed);
      assert.deepEqual(await store.users.findByUserPrincipalName(TENANT, 'Ada.Lovelace@contoso.com'), renamed);
      assert.equal(await store.users.findByUserPrincipalName(TENANT, 'ada@contoso.com'), undefined);
    });

    test('a UPN moving to another id (in another case) is re-pointed; its old holder keeps its row and operations', async (store) => {
      await store.users.upsert(ADA);
      await store.users.upsert(GRACE);
      await store.operations.insert(ADA_OWNER, operation('op-1'));
      await store.operations.insert(ADA_OWNER, operation('op-2'));
      const newAda = { tenantId: TENANT, id: 'user-ada-2', userPrincipalName: 'ADA@contoso.com' };
      await store.users.upsert(newAda);
      assert.deepEqual(await store.users.findByUserPrincipalName(TENANT, 'ada@contoso.com'), newAda);
      assert.deepEqual(await store.users.findById(TENANT, newAda.id), newAda);
      assert.deepEqual(await store.users.findById(TENANT, ADA.id), { ...ADA, userPrincipalName: null });
      assert.deepEqual(await store.users.findById(TENANT, GRACE.id), GRACE);
      assert.deepEqual(
        (await store.operations.list(ADA_OWNER, { orderBy: [], limit: 10 })).map((op) => op.id),
        ['op-1', 'op-2'],
      );
      assert.equal((await store.admin.listUsers(undefined, 10)).length, 3, 'no row was deleted');
    });

    test('a UPN moving back and forth never loses a row, and a user without one can take a UPN again', async (store) => {
      const other = { tenantId: TENANT, id: 'user-ada-2', userPrincipalName: 'ada@contoso.com' };
      await store.users.upsert(ADA);
      await store.users.upsert(other);
      await store.users.upsert(ADA);
      assert.deepEqual(await store.users.findByUserPrincipalName(TENANT, 'ada@contoso.com'), ADA);
      assert.deepEqual(await store.users.findById(TENANT, other.id), { ...other, userPrincipalName: null });
      const otherRenamed = { ...other, userPrincipalName: 'ada.two@contoso.com' };
      await store.users.upsert(otherRenamed);
      assert.deepEqual(await store.users.findByUserPrincipalName(TENANT, 'ada.two@contoso.com'), otherRenamed);
      assert.deepEqual(await store.users.findById(TENANT, ADA.id), ADA);
    });

    test('users without a UPN: any number of them, each found by id, taking no one’s UPN', async (store) => {
      await store.users.upsert(GRACE);
      const nameless = [1, 2].map((i): DirectoryUser => ({ tenantId: TENANT, id: `user-nameless-${i}`, userPrincipalName: null }));
      for (const user of nameless) await store.users.upsert(user);
      for (const user of nameless) assert.deepEqual(await store.users.findById(TENANT, user.id), user);
      assert.deepEqual(await store.users.findByUserPrincipalName(TENANT, 'grace@contoso.com'), GRACE);
      await store.users.upsert({ ...GRACE, userPrincipalName: null });
      assert.deepEqual(await store.users.findById(TENANT, GRACE.id), { ...GRACE, userPrincipalName: null });
      assert.equal(await store.users.findByUserPrincipalName(TENANT, 'grace@contoso.com'), undefined);
    });

    test('tenants are kept apart', async (store) => {
      const adaElsewhere = { tenantId: 'tenant-2', id: ADA.id, userPrincipalName: 'ada@fabrikam.com' };
      const otherHolder = { tenantId: 'tenant-2', id: 'user-x', userPrincipalName: 'ADA@contoso.com' };
      await store.users.upsert(ADA);
      await store.users.upsert(adaElsewhere);
      await store.users.upsert(otherHolder);
      assert.deepEqual(await store.users.findById(TENANT, ADA.id), ADA);
      assert.deepEqual(await store.users.findById('tenant-2', ADA.id), adaElsewhere);
      assert.deepEqual(await store.users.findByUserPrincipalName(TENANT, 'ada@contoso.com'), ADA);
      assert.deepEqual(await store.users.findByUserPrincipalName('tenant-2', 'ada@contoso.com'), otherHolder);
      assert.equal(await store.users.findByUserPrincipalName(TENANT, 'ada@fabrikam.com'), undefined);
      assert.equal(await store.users.findById('tenant-3', ADA.id), undefined);
    });

    test('a user without a UPN goes through an import and an export (replace, listUsers) as it is', async (store) => {
      const renamedAway = { tenantId: TENANT, id: 'user-renamed-away', userPrincipalName: null };
      const users = [ADA, GRACE, renamedAway]; // in key order, as listUsers answers them
      await store.admin.replace([], users);
      assert.deepEqual(await store.admin.listUsers(undefined, 10), users);
      assert.deepEqual(await store.users.findById(TENANT, renamedAway.id), renamedAway);
    });
  });
}

const TENANT = 'tenant-1';
const ADA = { tenantId: TENANT, id: 'user-ada', userPrincipalName: 'Ada@Contoso.com' };
const GRACE = { tenantId: TENANT, id: 'user-grace', userPrincipalName: 'grace@contoso.com' };
const ADA_OWNER: Owner = { tenantId: TENANT, userId: ADA.id };

function operation(id: string): LongRunningOperation {
  return newOperation(id, 17_145_000_000_000_000n);
}
