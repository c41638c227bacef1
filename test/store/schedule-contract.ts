import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { LongRunningOperation, OperationSchedule, Owner } from '../../src/operations/long-running-operation.js';
import type { OperationStatus } from '../../src/operations/status.js';
import type { StoreTest } from './fresh-store.js';

/** Operation schedules (migration 3): stored, read back, kept by updates, and found when a step is due. */
export function scheduleContract(name: string, test: StoreTest): void {
  describe(`${name}: schedules`, () => {
    test('round-trips a schedule exactly, both outcomes, ticks past 2^53', async (store) => {
      const succeeding = scheduled('reset-1', 'notStarted', { detail: 'ResetSuccess', resourceLocation: 'https://example.test/v1.0/users/u/authentication/methods/p' });
      const failing = scheduled('reset-2', 'running', { outcome: 'failed', detail: 'Politique “mot de passe” ✗', resourceLocation: null });
      for (const op of [succeeding, failing]) {
        await store.operations.insert(ALICE, op);
        assert.deepEqual(await store.operations.get(ALICE, op.id), op);
      }
      assert.equal(Object.hasOwn((await store.operations.get(ALICE, 'reset-1'))!.schedule!, 'runningDetail'), false, 'none: absent, not null');
      const read = await store.operations.get(ALICE, 'reset-1');
      assert.equal(typeof read?.schedule?.runAt, 'bigint');
      assert.ok(read!.schedule!.finishAt > BigInt(Number.MAX_SAFE_INTEGER));
      assert.deepEqual(await store.operations.list(ALICE, { orderBy: [], limit: 10 }), [succeeding, failing]);
    });

    test('a running step’s detail (migration 8): stored, read back by get, list and listDue, kept by updates', async (store) => {
      const op = scheduled('scripted', 'notStarted', { runningDetail: 'checking policy', outcome: 'failed', detail: 'PasswordPolicyViolation' });
      await store.operations.insert(ALICE, op);
      assert.deepEqual(await store.operations.get(ALICE, 'scripted'), op);
      assert.deepEqual(await store.operations.list(ALICE, { orderBy: [], limit: 10 }), [op]);
      assert.deepEqual(await store.operations.listDue(ALICE, T + 25n, 10), [op]);
      const running = await store.operations.update(ALICE, { ...op, status: 'running', statusDetail: 'checking policy', lastActionDateTime: T + 25n }, 1);
      assert.equal(running?.schedule?.runningDetail, 'checking policy');
      assert.equal(running?.statusDetail, 'checking policy');
      assert.deepEqual(await store.operations.get(ALICE, 'scripted'), running);
      await store.operations.insert(ALICE, scheduled('empty', 'notStarted', { runningDetail: '' }));
      assert.equal((await store.operations.get(ALICE, 'empty'))?.schedule?.runningDetail, '', 'an empty detail is a detail, not none');
    });

    test('an operation without a schedule reads back without one', async (store) => {
      await store.operations.insert(ALICE, plain('plain'));
      await store.operations.insert(ALICE, { ...plain('explicit-null'), schedule: null });
      for (const id of ['plain', 'explicit-null']) {
        const read = await store.operations.get(ALICE, id);
        assert.equal(Object.hasOwn(read!, 'schedule'), false, id);
      }
    });

    test('an update keeps the stored schedule, whatever `next` holds', async (store) => {
      const op = scheduled('reset', 'notStarted');
      await store.operations.insert(ALICE, op);
      const { schedule: _, ...withoutSchedule } = op;
      const running = await store.operations.update(ALICE, { ...withoutSchedule, status: 'running', lastActionDateTime: T + 5n }, 1);
      assert.deepEqual(running, { ...op, status: 'running', lastActionDateTime: T + 5n, version: 2 });
      const other: OperationSchedule = { ...op.schedule!, outcome: 'failed', detail: 'changed' };
      const finished = await store.operations.update(ALICE, { ...op, schedule: other, status: 'succeeded', finishedAt: T + 10n }, 2);
      assert.deepEqual(finished?.schedule, op.schedule);
      assert.deepEqual(await store.operations.get(ALICE, 'reset'), finished);
    });

    test('listDue: notStarted from runAt, open from finishAt; never finished, unscheduled or others’ operations', async (store) => {
      const rows: [Owner, LongRunningOperation][] = [
        [ALICE, scheduled('waiting', 'notStarted')], // runAt T+25, finishAt T+50
        [ALICE, scheduled('running', 'running')],
        [ALICE, scheduled('succeeded', 'succeeded')],
        [ALICE, scheduled('failed', 'failed')],
        [ALICE, plain('plain')],
        [BOB, scheduled('bobs', 'notStarted')],
        [ALICE_ELSEWHERE, scheduled('elsewhere', 'notStarted')],
      ];
      for (const [owner, op] of rows) await store.operations.insert(owner, op);
      const due = async (now: bigint) => (await store.operations.listDue(ALICE, now, 10)).map((op) => op.id).sort();
      assert.deepEqual(await due(T), []);
      assert.deepEqual(await due(T + 24n), []);
      assert.deepEqual(await due(T + 25n), ['waiting'], 'runAt is due at that very tick');
      assert.deepEqual(await due(T + 49n), ['waiting'], 'a running operation waits for finishAt');
      assert.deepEqual(await due(T + 50n), ['running', 'waiting']);
      assert.deepEqual(await due(T + 1_000_000n), ['running', 'waiting']);
      const [first] = await store.operations.listDue(ALICE, T + 50n, 10);
      assert.deepEqual(first, rows.find(([, op]) => op.id === first!.id)![1], 'due rows come whole, schedule included');
      assert.deepEqual((await store.operations.listDue(BOB, T + 50n, 10)).map((op) => op.id), ['bobs']);
    });

    test('listDue answers at most `limit` rows', async (store) => {
      for (let i = 0; i < 5; i++) await store.operations.insert(ALICE, scheduled(`reset-${i}`, 'notStarted'));
      assert.equal((await store.operations.listDue(ALICE, T + 100n, 3)).length, 3);
      assert.equal((await store.operations.listDue(ALICE, T + 100n, 10)).length, 5);
    });
  });
}

const T = 17_000_000_000_000_000n;
const ALICE: Owner = { tenantId: 'tenant-1', userId: 'user-alice' };
const BOB: Owner = { tenantId: 'tenant-1', userId: 'user-bob' };
const ALICE_ELSEWHERE: Owner = { tenantId: 'tenant-2', userId: 'user-alice' };

function plain(id: string, status: OperationStatus = 'notStarted'): LongRunningOperation {
  const finished = status === 'succeeded' || status === 'failed';
  return { id, createdDateTime: T, lastActionDateTime: T, status, statusDetail: null, resourceLocation: null, version: 1, finishedAt: finished ? T : null };
}

function scheduled(id: string, status: OperationStatus, schedule: Partial<OperationSchedule> = {}): LongRunningOperation {
  return {
    ...plain(id, status),
    schedule: { runAt: T + 25n, finishAt: T + 50n, outcome: 'succeeded', detail: 'ResetSuccess', resourceLocation: null, ...schedule },
  };
}
