import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { LongRunningOperation, Owner } from '../../src/operations/long-running-operation.js';
import type { Store } from '../../src/operations/ports/store.js';
import type { OperationStatus } from '../../src/operations/status.js';
import { newOperation, type StoreTest } from './fresh-store.js';

/**
 * `Store.statistics()`'s counts by status, for every engine, after each kind of write that adds, removes
 * or moves an operation, and after those that must not: SQLite keeps the counts in a table of its own
 * (triggers), so each write path has to keep them right, and a write that fails has to leave them as
 * they were.
 */
export function statisticsContract(name: string, test: StoreTest): void {
  describe(`${name}: statistics by status`, () => {
    test('an empty store counts 0 of every status', async (store) => {
      await expectCounts(store, {});
    });

    test('insert counts each operation under its status; a refused insert counts nothing', async (store) => {
      await store.operations.insert(A, op('a1'));
      await store.operations.insert(A, op('a2', { status: 'running' }));
      await store.operations.insert(B, op('b1', { status: 'running' }));
      await store.operations.insert(B, op('b2', { status: 'failed', finishedAt: T }));
      await expectCounts(store, { notStarted: 1, running: 2, failed: 1 });
      await assert.rejects(store.operations.insert(A, op('a1', { status: 'succeeded' }))); // the key is taken
      await expectCounts(store, { notStarted: 1, running: 2, failed: 1 });
    });

    test('update moves an operation from its old status to its new one, and a kept status moves nothing', async (store) => {
      await store.operations.insert(A, op('a1'));
      await store.operations.insert(A, op('a2'));
      const running = await store.operations.update(A, op('a1', { status: 'running' }), 1);
      assert.equal(running?.status, 'running');
      await expectCounts(store, { notStarted: 1, running: 1 });
      assert.ok(await store.operations.update(A, op('a1', { status: 'running', statusDetail: 'half way' }), 2));
      await expectCounts(store, { notStarted: 1, running: 1 });
      assert.equal(await store.operations.update(A, op('a2', { status: 'failed' }), 7), undefined, 'a stale version');
      await expectCounts(store, { notStarted: 1, running: 1 });
      assert.ok(await store.operations.update(A, op('a1', { status: 'succeeded', finishedAt: T }), 3));
      await expectCounts(store, { notStarted: 1, succeeded: 1 });
    });

    test('a PATCH that changes the status moves the operation; one that keeps it, or is refused, moves nothing', async (store) => {
      await store.operations.insert(A, op('a1'));
      await store.operations.insert(A, op('a2', { status: 'running' }));
      assert.equal((await store.operations.patch(A, 'a1', { changes: { status: 'running' }, now: NOW }))?.status, 'running');
      await expectCounts(store, { running: 2 });
      assert.ok(await store.operations.patch(A, 'a1', { changes: { statusDetail: 'copying' }, now: NOW + 1n }));
      assert.ok(await store.operations.patch(A, 'a2', { changes: { status: 'running', statusDetail: 'still' }, now: NOW + 1n }));
      await expectCounts(store, { running: 2 });
      assert.equal(await store.operations.patch(A, 'a2', { changes: { status: 'notStarted' }, now: NOW }), undefined, 'never backwards');
      await expectCounts(store, { running: 2 });
      assert.equal((await store.operations.patch(A, 'a2', { changes: { status: 'failed' }, now: NOW + 2n }))?.status, 'failed');
      await expectCounts(store, { running: 1, failed: 1 });
    });

    test('delete uncounts the operation under its status; a refused delete uncounts nothing', async (store) => {
      await store.operations.insert(A, op('a1', { status: 'running' }));
      await store.operations.insert(A, op('a2', { status: 'running' }));
      await store.operations.insert(B, op('b1', { status: 'succeeded', finishedAt: T }));
      assert.equal(await store.operations.delete(A, 'a1', 5), false, 'another version');
      assert.equal(await store.operations.delete(B, 'a1'), false, 'another owner');
      await expectCounts(store, { running: 2, succeeded: 1 });
      assert.equal(await store.operations.delete(A, 'a1'), true);
      assert.equal(await store.operations.delete(B, 'b1', 1), true);
      await expectCounts(store, { running: 1 });
    });

    test('the retention purge uncounts what it deletes', async (store) => {
      for (let i = 0; i < 5; i++) await store.operations.insert(i % 2 ? A : B, op(`old-${i}`, { status: i % 2 ? 'failed' : 'succeeded', finishedAt: T + BigInt(i) }));
      await store.operations.insert(A, op('recent', { status: 'succeeded', finishedAt: T + 1_000n }));
      await store.operations.insert(A, op('open', { status: 'running' }));
      await expectCounts(store, { running: 1, succeeded: 4, failed: 2 });
      assert.equal(await store.operations.purgeFinished(T + 100n, 3), 3);
      assert.equal(await store.operations.purgeFinished(T + 100n, 3), 2);
      await expectCounts(store, { running: 1, succeeded: 1 });
    });

    test('the admin replace (emulator reset and state import) counts exactly the new operations; a failed one keeps the old counts', async (store) => {
      await store.operations.insert(A, op('a1'));
      await store.operations.insert(A, op('a2', { status: 'running' }));
      await store.operations.insert(B, op('b1', { status: 'failed', finishedAt: T }));
      const next = [
        { owner: B, operation: op('n1', { status: 'succeeded', finishedAt: T }) },
        { owner: B, operation: op('n2', { status: 'succeeded', finishedAt: T }) },
        { owner: A, operation: op('n3', { status: 'running' }) },
      ];
      await store.admin.replace(next);
      await expectCounts(store, { running: 1, succeeded: 2 });
      await assert.rejects(store.admin.replace([...next, next[0]!])); // a repeated key
      await expectCounts(store, { running: 1, succeeded: 2 });
      await store.admin.replace([]);
      await expectCounts(store, {});
    });
  });
}

const T = 17_000_000_000_000_000n;
const NOW = T + 9_000_000n;
const A: Owner = { tenantId: 'tenant-1', userId: 'user-a' };
const B: Owner = { tenantId: 'tenant-2', userId: 'user-b' };

function op(id: string, fields: Partial<LongRunningOperation> = {}): LongRunningOperation {
  return newOperation(id, T, fields);
}

/** The store's counts are `expected`, 0 for every status it leaves out. */
async function expectCounts(store: Store, expected: Partial<Record<OperationStatus, number>>): Promise<void> {
  const { operationsByStatus } = await store.statistics();
  assert.deepEqual(operationsByStatus, { notStarted: 0, running: 0, succeeded: 0, failed: 0, ...expected });
}
