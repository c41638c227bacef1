import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LongRunningOperation } from '../../src/operations/long-running-operation.js';
import type { OperationWatch, Store } from '../../src/store/store.js';

/** A signal that never comes fails the test at this bound, rather than hanging the run. */
const BOUND = { timeout: 5_000 };
const owner = { tenantId: 'tenant-1', userId: 'user-1' };
let ids = 0;

function operation(): LongRunningOperation {
  ids += 1;
  return {
    id: `watched-${ids}`,
    createdDateTime: 17_145_000_000_000_000n,
    lastActionDateTime: 17_145_000_000_000_000n,
    status: 'running',
    statusDetail: null,
    resourceLocation: null,
    version: 1,
    finishedAt: null,
  };
}

/** Whether the watch has been signalled by now: `changed()` answers at once after a signal it has not yet told. */
async function signalled(watch: OperationWatch): Promise<boolean> {
  const marker = Symbol('not yet');
  const first = await Promise.race([watch.changed().then(() => true), new Promise((resolve) => setImmediate(resolve, marker))]);
  return first === true;
}

/**
 * The change feed behind `Prefer: wait`, on one engine. `openPeer` opens a second store on the same data,
 * as another instance would (PostgreSQL); the writes of one must signal the watches of the other.
 */
export function changeFeedContract(name: string, open: () => Promise<Store>, openPeer?: (first: Store) => Promise<Store>): void {
  describe(`${name}: change feed`, () => {
    let store: Store;
    before(async () => {
      store = await open();
    });
    after(() => store.close());

    it('an update of the watched operation signals its watch', BOUND, async () => {
      const op = operation();
      await store.operations.insert(owner, op);
      const watch = (await store.changes.watch(owner, op.id, 10_000))!;
      assert.ok(watch, 'watching is available');
      const changed = watch.changed();
      await store.operations.update(owner, { ...op, statusDetail: 'on its way' }, 1);
      await changed; // the test's timeout is the bound: no signal, no end
      await watch.close();
    });

    it('a delete of the watched operation signals its watch', BOUND, async () => {
      const op = operation();
      await store.operations.insert(owner, op);
      const watch = (await store.changes.watch(owner, op.id, 10_000))!;
      const changed = watch.changed();
      assert.equal(await store.operations.delete(owner, op.id), true);
      await changed;
      await watch.close();
    });

    it('a signal that comes before anyone awaits is kept for the next changed()', BOUND, async () => {
      const op = operation();
      await store.operations.insert(owner, op);
      const watch = (await store.changes.watch(owner, op.id, 10_000))!;
      await store.operations.update(owner, { ...op, statusDetail: 'changed before the wait' }, 1);
      await watch.changed(); // answers although the change came first
      await watch.close();
    });

    it('a refused update (stale version) and writes to other operations do not signal', BOUND, async () => {
      const watched = operation();
      const other = operation();
      await store.operations.insert(owner, watched);
      await store.operations.insert(owner, other);
      const watch = (await store.changes.watch(owner, watched.id, 10_000))!;
      assert.equal(await store.operations.update(owner, { ...watched, statusDetail: 'stale' }, 7), undefined);
      await store.operations.update(owner, { ...other, statusDetail: 'not the watched one' }, 1);
      await store.operations.update({ ...owner, userId: 'user-2' }, { ...watched, statusDetail: 'another user' }, 1);
      // A later signal of the watched one proves the notifications have been delivered up to here, in order.
      await store.operations.update(owner, { ...watched, statusDetail: 'now' }, 1);
      await watch.changed();
      assert.equal(await signalled(watch), false, 'exactly one signal: the watched operation changed once');
      await watch.close();
    });

    it('closing a watch ends its wait; closing twice is harmless', BOUND, async () => {
      const op = operation();
      await store.operations.insert(owner, op);
      const watch = (await store.changes.watch(owner, op.id, 10_000))!;
      const changed = watch.changed();
      await watch.close();
      await changed;
      await watch.close();
    });

    if (openPeer) {
      it('a write through another instance signals this instance’s watch', BOUND, async () => {
        const peer = await openPeer(store);
        try {
          const op = operation();
          await store.operations.insert(owner, op);
          const watch = (await store.changes.watch(owner, op.id, 10_000))!;
          const changed = watch.changed();
          await peer.operations.update(owner, { ...op, status: 'succeeded', finishedAt: 17_145_000_000_000_001n }, 1);
          await changed;
          await watch.close();
        } finally {
          await peer.close();
        }
      });
    }

    // Last: after it, this store watches nothing more.
    it('releaseAll ends every wait and refuses new watches (shutting down)', BOUND, async () => {
      const op = operation();
      await store.operations.insert(owner, op);
      const watch = (await store.changes.watch(owner, op.id, 10_000))!;
      const changed = watch.changed();
      store.changes.releaseAll();
      await changed;
      assert.equal(await store.changes.watch(owner, op.id, 10_000), undefined);
      await watch.close();
    });
  });
}
