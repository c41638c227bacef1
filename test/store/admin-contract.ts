import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { LongRunningOperation, OperationSchedule, Owner } from '../../src/operations/long-running-operation.js';
import type { OperationStatus } from '../../src/operations/status.js';
import type { AdminCursor, AdminListQuery, ListedOperation, OwnedOperation } from '../../src/operations/ports/admin-store.js';
import type { Store } from '../../src/operations/ports/store.js';
import { freshStoreTest, newOperation } from './fresh-store.js';

/**
 * The admin store (reads and writes across owners), for every engine. Each engine's test file calls this
 * with a factory that answers a fresh, empty store.
 */
export function adminStoreContract(name: string, open: () => Promise<Store>): void {
  const test = freshStoreTest(open);

  describe(`${name}: admin store`, () => {
    test('lists every owner newest first, ties broken by id, with the UPN the directory knows', async (store) => {
      await store.users.upsert({ tenantId: T1, id: ALICE.userId, userPrincipalName: 'Alice@contoso.com' });
      await insertAll(store, SAMPLE);
      const listed = await store.admin.list({ limit: 100 });
      assert.deepEqual(listed.map(key), expectedOrder(SAMPLE).map(key));
      assert.deepEqual(listed[0], { ...newest(SAMPLE), userPrincipalName: null });
      assert.ok(listed.filter((row) => row.owner === ALICE || sameOwner(row.owner, ALICE)).every((row) => row.userPrincipalName === 'Alice@contoso.com'));
      assert.ok(listed.filter((row) => !sameOwner(row.owner, ALICE)).every((row) => row.userPrincipalName === null));
    });

    test('pages by cursor through every row exactly once, whatever the page size', async (store) => {
      await insertAll(store, SAMPLE);
      for (const limit of [1, 2, 3, 7]) {
        const seen = await everyPage(store, { limit });
        assert.deepEqual(seen.map(key), expectedOrder(SAMPLE).map(key), `pages of ${limit}`);
      }
    });

    test('filters by status, by object id across tenants, and by UPN case-insensitively', async (store) => {
      await store.users.upsert({ tenantId: T1, id: ALICE.userId, userPrincipalName: 'alice@contoso.com' });
      await insertAll(store, SAMPLE);
      const running = await everyPage(store, { limit: 2, status: 'running' });
      assert.deepEqual(running.map(key), expectedOrder(SAMPLE.filter((row) => row.operation.status === 'running')).map(key));
      const byId = await store.admin.list({ limit: 100, user: { id: ALICE.userId.toUpperCase() } });
      assert.deepEqual(byId.map(key), expectedOrder(SAMPLE.filter((row) => row.owner.userId === ALICE.userId)).map(key), 'both tenants');
      const byUpn = await everyPage(store, { limit: 1, user: { userPrincipalName: 'ALICE@contoso.COM' } });
      assert.deepEqual(byUpn.map(key), expectedOrder(SAMPLE.filter((row) => sameOwner(row.owner, ALICE))).map(key), 'the UPN names one tenant');
      assert.deepEqual(await store.admin.list({ limit: 100, user: { userPrincipalName: 'nobody@contoso.com' } }), []);
    });

    test('counts creations by bucket and status', async (store) => {
      await insertAll(store, SAMPLE);
      const counts = await store.admin.countCreated(T + 10n, 20n, 3);
      const expected = new Map<string, number>();
      for (const { operation } of SAMPLE) {
        const bucket = (operation.createdDateTime - (T + 10n)) / 20n;
        if (operation.createdDateTime < T + 10n || bucket >= 3n) continue;
        const k = `${bucket}/${operation.status}`;
        expected.set(k, (expected.get(k) ?? 0) + 1);
      }
      assert.deepEqual(new Map(counts.map((c) => [`${c.bucket}/${c.status}`, c.count])), expected);
    });

    test('lists the due scheduled operations of every owner, only those', async (store) => {
      const schedule = (runAt: bigint, finishAt: bigint): OperationSchedule => ({ runAt, finishAt, outcome: 'succeeded', detail: 'ResetSuccess', resourceLocation: null });
      const rows: OwnedOperation[] = [
        owned(ALICE, 'due-to-run', { schedule: { ...schedule(T + 5n, T + 50n), runningDetail: 'checking policy' } }),
        owned(BOB, 'due-to-finish', { status: 'running', schedule: schedule(T, T + 10n) }),
        owned(ALICE_ELSEWHERE, 'running-not-due', { status: 'running', schedule: schedule(T, T + 50n) }),
        owned(BOB, 'not-yet', { schedule: schedule(T + 30n, T + 50n) }),
        owned(ALICE, 'finished', { status: 'failed', finishedAt: T, schedule: schedule(T, T + 1n) }),
        owned(BOB, 'unscheduled'),
      ];
      await insertAll(store, rows);
      const due = await store.admin.listDue(T + 20n, 100);
      assert.deepEqual(due.map((row) => row.operation.id).sort(), ['due-to-finish', 'due-to-run']);
      assert.deepEqual(due.find((row) => row.operation.id === 'due-to-finish'), rows[1]);
      assert.deepEqual(due.find((row) => row.operation.id === 'due-to-run'), rows[0], 'owner and running detail read in place');
      assert.deepEqual((await store.admin.list({ limit: 100 })).find((row) => row.operation.id === 'due-to-run'), { ...rows[0], userPrincipalName: null });
      assert.equal((await store.admin.listDue(T + 20n, 1)).length, 1);
    });

    test('pages users in key order', async (store) => {
      const users = ['b', 'a', 'c'].flatMap((id) => [T1, T2].map((tenantId) => ({ tenantId, id: `user-${id}`, userPrincipalName: `${id}@${tenantId}.test` })));
      for (const user of users) await store.users.upsert(user);
      const seen = [];
      let page = await store.admin.listUsers(undefined, 4);
      while (page.length > 0) {
        seen.push(...page);
        page = await store.admin.listUsers(page.at(-1), 4);
      }
      assert.deepEqual(seen, [...users].sort((x, y) => compare(x.tenantId, y.tenantId) || compare(x.id, y.id)));
    });

    test('replace: operations and users become exactly the given ones; the secrets stay', async (store) => {
      const signingKey = await store.secrets.putIfAbsent('signing-key', 'secret');
      await store.users.upsert({ tenantId: T1, id: 'old-user', userPrincipalName: 'old@contoso.com' });
      await insertAll(store, SAMPLE);
      const users = [{ tenantId: T2, id: 'new-user', userPrincipalName: 'New@contoso.com' }];
      await store.admin.replace(SAMPLE.slice(0, 2), users);
      assert.deepEqual((await store.admin.list({ limit: 100 })).map(key), expectedOrder(SAMPLE.slice(0, 2)).map(key));
      assert.deepEqual(await store.admin.listUsers(undefined, 100), users);
      assert.deepEqual(await store.users.findByUserPrincipalName(T2, 'new@contoso.com'), users[0]);
      assert.equal(await store.secrets.putIfAbsent('signing-key', 'another'), signingKey);
      assert.equal(await store.operations.count(SAMPLE[0]!.owner), 1, 'the operation store sees the new rows');
    });

    test('replace without users keeps the directory', async (store) => {
      const user = { tenantId: T1, id: 'kept', userPrincipalName: 'kept@contoso.com' };
      await store.users.upsert(user);
      await insertAll(store, SAMPLE);
      await store.admin.replace([]);
      assert.deepEqual(await store.admin.list({ limit: 100 }), []);
      assert.deepEqual(await store.admin.listUsers(undefined, 100), [user]);
    });

    test('replace is all or nothing: a row that cannot be written late in a large state leaves everything as it was', async (store) => {
      const user = { tenantId: T1, id: 'kept', userPrincipalName: 'kept@contoso.com' };
      await store.users.upsert(user);
      await insertAll(store, SAMPLE);
      // Past the first INSERT's chunk, so the first chunk is written before the second one fails.
      const many = Array.from({ length: 1_200 }, (_, i) => owned(BOB, `bulk-${i}`, { createdDateTime: T + BigInt(i) }));
      const bad = [...many, many[3]!]; // a repeated key: the primary key refuses it
      await assert.rejects(store.admin.replace(bad, [{ tenantId: T2, id: 'new', userPrincipalName: 'new@contoso.com' }]));
      assert.deepEqual((await store.admin.list({ limit: 100 })).map(key), expectedOrder(SAMPLE).map(key));
      assert.deepEqual(await store.admin.listUsers(undefined, 100), [user]);
      await store.admin.replace(many);
      assert.equal(await store.operations.count(BOB), 1_200, 'a large state is written whole');
    });
  });
}

const T = 17_000_000_000_000_000n;
const T1 = 'tenant-1';
const T2 = 'tenant-2';
const ALICE: Owner = { tenantId: T1, userId: 'user-alice' };
const BOB: Owner = { tenantId: T1, userId: 'user-bob' };
const ALICE_ELSEWHERE: Owner = { tenantId: T2, userId: 'user-alice' };

function owned(owner: Owner, id: string, fields: Partial<LongRunningOperation> = {}): OwnedOperation {
  return { owner, operation: newOperation(id, T, fields) };
}

const STATUSES: OperationStatus[] = ['notStarted', 'running', 'succeeded', 'failed'];

/** Owners mixed, creation times with ties (also across owners and on equal ids), every status. */
const SAMPLE: readonly OwnedOperation[] = ['m', 'c', 'x', 'a', 'q', 'f', 'z', 'b', 't', 'h', 'e', 'r', 'k', 'a'].map((id, i) => {
  const status = STATUSES[i % 4]!;
  return owned([ALICE, BOB, ALICE_ELSEWHERE][i % 3]!, id, {
    createdDateTime: T + BigInt((i * 7) % 5) * 10n,
    status,
    finishedAt: status === 'succeeded' || status === 'failed' ? T : null,
  });
});

async function insertAll(store: Store, rows: readonly OwnedOperation[]): Promise<void> {
  for (const { owner, operation } of rows) await store.operations.insert(owner, operation);
}

function compare(a: string | bigint, b: string | bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sameOwner(a: Owner, b: Owner): boolean {
  return a.tenantId === b.tenantId && a.userId === b.userId;
}

/** Newest first: created, id, tenant, user, all descending. */
function expectedOrder(rows: readonly OwnedOperation[]): OwnedOperation[] {
  return [...rows].sort(
    (x, y) =>
      compare(y.operation.createdDateTime, x.operation.createdDateTime) ||
      compare(y.operation.id, x.operation.id) ||
      compare(y.owner.tenantId, x.owner.tenantId) ||
      compare(y.owner.userId, x.owner.userId),
  );
}

function newest(rows: readonly OwnedOperation[]): OwnedOperation {
  return expectedOrder(rows)[0]!;
}

function key({ owner, operation }: OwnedOperation): string {
  return `${owner.tenantId}/${owner.userId}/${operation.id}`;
}

async function everyPage(store: Store, query: AdminListQuery): Promise<ListedOperation[]> {
  const seen: ListedOperation[] = [];
  let after: AdminCursor | undefined;
  for (;;) {
    const page = await store.admin.list({ ...query, ...(after && { after }) });
    seen.push(...page);
    if (page.length < query.limit) return seen;
    const last = page.at(-1)!;
    after = { createdDateTime: last.operation.createdDateTime, id: last.operation.id, ...last.owner };
  }
}
