import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LongRunningOperation } from '../../src/operations/long-running-operation.js';
import type { Store } from '../../src/operations/ports/store.js';

const owner = { tenantId: 'tenant-1', userId: 'user-1' };
const T0 = 17_145_000_000_000_000n;
const NOW = 17_145_000_000_900_000n;
let ids = 0;

function operation(overrides: Partial<LongRunningOperation> = {}): LongRunningOperation {
  ids += 1;
  return {
    id: `patched-${ids}`,
    createdDateTime: T0,
    lastActionDateTime: T0,
    status: 'notStarted',
    statusDetail: 'queued',
    resourceLocation: 'https://example.com/a',
    version: 1,
    finishedAt: null,
    ...overrides,
  };
}

/** `OperationStore.patch`: PATCH in one statement, which must apply the same rules as the read-decide-write path. */
export function patchContract(name: string, open: () => Promise<Store>): void {
  describe(`${name}: one-statement patch`, () => {
    let store: Store;
    before(async () => {
      store = await open();
    });
    after(() => store.close());

    async function stored(op: LongRunningOperation): Promise<LongRunningOperation> {
      await store.operations.insert(owner, op);
      return op;
    }

    it('applies the given properties only, stamps lastActionDateTime with now and bumps the version', async () => {
      const op = await stored(operation());
      const patched = await store.operations.patch(owner, op.id, { changes: { status: 'running', statusDetail: null }, now: NOW });
      assert.deepEqual(patched, { ...op, status: 'running', statusDetail: null, lastActionDateTime: NOW, version: 2, finishedAt: null });
      assert.deepEqual(await store.operations.get(owner, op.id), patched);
    });

    it('keeps a lastActionDateTime the client sends, and sets the finish time when the status becomes terminal', async () => {
      const op = await stored(operation({ status: 'running' }));
      const patched = await store.operations.patch(owner, op.id, { changes: { status: 'failed', lastActionDateTime: T0 + 5n }, now: NOW });
      assert.equal(patched?.status, 'failed');
      assert.equal(patched?.lastActionDateTime, T0 + 5n);
      assert.equal(patched?.finishedAt, NOW);
      assert.equal(patched?.resourceLocation, op.resourceLocation);
    });

    it('writes nothing when nothing changes (the caller answers the entity as it is)', async () => {
      const op = await stored(operation());
      const same = { status: op.status, statusDetail: op.statusDetail, resourceLocation: op.resourceLocation, lastActionDateTime: op.lastActionDateTime };
      assert.equal(await store.operations.patch(owner, op.id, { changes: same, now: NOW }), undefined);
      assert.deepEqual(await store.operations.get(owner, op.id), op);
    });

    it('refuses what the lifecycle forbids: moving back, changing a finished operation, a scheduled one', async () => {
      const running = await stored(operation({ status: 'running' }));
      assert.equal(await store.operations.patch(owner, running.id, { changes: { status: 'notStarted' }, now: NOW }), undefined);
      const finished = await stored(operation({ status: 'succeeded', finishedAt: T0 }));
      assert.equal(await store.operations.patch(owner, finished.id, { changes: { statusDetail: 'again' }, now: NOW }), undefined);
      const scheduled = await stored(
        operation({ schedule: { runAt: T0, finishAt: T0 + 10n, outcome: 'succeeded', detail: 'ResetSuccess', resourceLocation: null } }),
      );
      assert.equal(await store.operations.patch(owner, scheduled.id, { changes: { statusDetail: 'mine' }, now: NOW }), undefined);
      for (const op of [running, finished, scheduled]) assert.deepEqual(await store.operations.get(owner, op.id), op, op.id);
    });

    it('skips steps forward (notStarted → succeeded) as the lifecycle allows', async () => {
      const op = await stored(operation());
      assert.equal((await store.operations.patch(owner, op.id, { changes: { status: 'succeeded' }, now: NOW }))?.status, 'succeeded');
    });

    it('writes only at the version If-Match names', async () => {
      const op = await stored(operation());
      assert.equal(await store.operations.patch(owner, op.id, { changes: { statusDetail: 'x' }, now: NOW, version: 2 }), undefined);
      assert.equal((await store.operations.patch(owner, op.id, { changes: { statusDetail: 'x' }, now: NOW, version: 1 }))?.version, 2);
    });

    it('finds nothing of another owner or an unknown id', async () => {
      const op = await stored(operation());
      assert.equal(await store.operations.patch({ ...owner, userId: 'user-2' }, op.id, { changes: { statusDetail: 'x' }, now: NOW }), undefined);
      assert.equal(await store.operations.patch(owner, 'no-such-id', { changes: { statusDetail: 'x' }, now: NOW }), undefined);
      assert.deepEqual(await store.operations.get(owner, op.id), op);
    });
  });
}
