import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LongRunningOperation } from '../../src/operations/long-running-operation.js';
import type { OperationWatch } from '../../src/operations/ports/change-feed.js';
import type { Store } from '../../src/operations/ports/store.js';
import { newOperation } from './fresh-store.js';

/** A signal that never comes fails the test at this bound, rather than hanging the run. */
const BOUND = { timeout: 5_000 };
const owner = { tenantId: 'tenant-1', userId: 'user-1' };
let ids = 0;

function operation(): LongRunningOperation {
  ids += 1;
  return newOperation(`watched-${ids}`, 17_145_000_000_000_000n, { status: 'running' });
}

/** Whether the watch has been signalled by now: `changed()` answers at once after a signal it has not yet told. */
async function signalled(watch: OperationWatch): Promise<boolean> {
  return settledNow(watch.changed());
}

/** Whether `wait` has resolved by the next turn of the event loop (it does not call `changed()` again). */
function settledNow(wait: Promise<void>): Promise<boolean> {
  return Promise.race([wait.then(() => true), new Promise<boolean>((resolve) => setImmediate(resolve, false))]);
}

/**
 * Whether `wait` resolves within the test's bound (less a margin): a signal a test expects is asserted, so its
 * absence fails with the test's own message rather than with the timeout.
 */
async function settlesInTime(wait: Promise<void>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, BOUND.timeout - 1_000, false)));
  try {
    return await Promise.race([wait.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
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
      assert.equal(await settledNow(changed), false, 'no signal before the update');
      assert.ok(await store.operations.update(owner, { ...op, statusDetail: 'on its way' }, 1), 'the update is applied');
      assert.equal(await settlesInTime(changed), true, 'the update signalled the watch');
      await watch.close();
    });

    it('a delete of the watched operation signals its watch', BOUND, async () => {
      const op = operation();
      await store.operations.insert(owner, op);
      const watch = (await store.changes.watch(owner, op.id, 10_000))!;
      const changed = watch.changed();
      assert.equal(await settledNow(changed), false, 'no signal before the delete');
      assert.equal(await store.operations.delete(owner, op.id), true);
      assert.equal(await settlesInTime(changed), true, 'the delete signalled the watch');
      await watch.close();
    });

    it('a signal that comes before anyone awaits is kept for the next changed()', BOUND, async () => {
      const op = operation();
      await store.operations.insert(owner, op);
      const watch = (await store.changes.watch(owner, op.id, 10_000))!;
      // A second watch of the same operation, awaited, tells when the signal has arrived (on PostgreSQL it comes
      // after the write returns); one delivery signals every watch of the operation.
      const witness = (await store.changes.watch(owner, op.id, 10_000))!;
      const witnessed = witness.changed();
      await store.operations.update(owner, { ...op, statusDetail: 'changed before the wait' }, 1);
      assert.equal(await settlesInTime(witnessed), true, 'the update was signalled');
      // Nobody awaited `watch` when the signal came: its next changed() answers at once.
      assert.equal(await signalled(watch), true, 'the signal was kept for the next changed()');
      await witness.close();
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
      assert.equal(await settlesInTime(watch.changed()), true, 'the update of the watched operation signalled');
      assert.equal(await signalled(watch), false, 'exactly one signal: the watched operation changed once');
      await watch.close();
    });

    it('closing a watch ends its wait; closing twice is harmless', BOUND, async () => {
      const op = operation();
      await store.operations.insert(owner, op);
      const watch = (await store.changes.watch(owner, op.id, 10_000))!;
      const changed = watch.changed();
      assert.equal(await settledNow(changed), false, 'waiting before the close');
      await watch.close();
      assert.equal(await settlesInTime(changed), true, 'the close ended the wait');
      await assert.doesNotReject(watch.close(), 'a second close is harmless');
    });

    /**
     * A watch here on a new operation, then `act` on another instance (PostgreSQL): whether that signalled
     * the watch, which it had not before.
     */
    async function signalledByPeer(peerOf: (first: Store) => Promise<Store>, act: (peer: Store, op: LongRunningOperation) => Promise<void>): Promise<boolean> {
      const peer = await peerOf(store);
      try {
        const op = operation();
        await store.operations.insert(owner, op);
        const watch = (await store.changes.watch(owner, op.id, 10_000))!;
        try {
          const changed = watch.changed();
          assert.equal(await settledNow(changed), false, 'no signal before the other instance acts');
          await act(peer, op);
          return await settlesInTime(changed);
        } finally {
          await watch.close();
        }
      } finally {
        await peer.close();
      }
    }

    if (openPeer) {
      it('a write through another instance signals this instance’s watch', BOUND, async () => {
        const signalled = await signalledByPeer(openPeer, async (peer, op) => {
          const written = await peer.operations.update(owner, { ...op, status: 'succeeded', finishedAt: 17_145_000_000_000_001n }, 1);
          assert.ok(written, 'the other instance applied the write');
        });
        assert.equal(signalled, true, 'the write through the other instance signalled this watch');
      });
    }

    it('watching() counts the watches open in this process', BOUND, async () => {
      const [first, second] = [operation(), operation()];
      for (const op of [first, second]) await store.operations.insert(owner, op);
      const before = store.changes.watching();
      const a = (await store.changes.watch(owner, first.id, 10_000))!;
      const b = (await store.changes.watch(owner, second.id, 10_000))!;
      assert.equal(store.changes.watching(), before + 2);
      await a.close();
      await a.close(); // idempotent: counted once
      assert.equal(store.changes.watching(), before + 1);
      await b.close();
      assert.equal(store.changes.watching(), before);
    });

    it('signalAll() signals every watch, of every operation', BOUND, async () => {
      const ops = [operation(), operation()];
      for (const op of ops) await store.operations.insert(owner, op);
      const watches = await Promise.all(ops.map(async (op) => (await store.changes.watch(owner, op.id, 10_000))!));
      const changed = watches.map((watch) => watch.changed());
      assert.deepEqual(await Promise.all(changed.map(settledNow)), [false, false], 'waiting before signalAll');
      await store.changes.signalAll();
      assert.deepEqual(await Promise.all(changed.map(settlesInTime)), [true, true], 'signalAll ended both waits');
      for (const watch of watches) await watch.close();
    });

    if (openPeer) {
      it("signalAll() on another instance signals this instance's watches", BOUND, async () => {
        const signalled = await signalledByPeer(openPeer, (peer) => peer.changes.signalAll());
        assert.equal(signalled, true, "the other instance's signalAll reached this watch");
      });
    }

    // Last: after it, this store watches nothing more.
    it('releaseAll ends every wait and refuses new watches (shutting down)', BOUND, async () => {
      const op = operation();
      await store.operations.insert(owner, op);
      const watch = (await store.changes.watch(owner, op.id, 10_000))!;
      const changed = watch.changed();
      assert.equal(await settledNow(changed), false, 'waiting before releaseAll');
      assert.equal(watch.released, false);
      store.changes.releaseAll();
      assert.equal(await settlesInTime(changed), true, 'releaseAll ended the wait');
      assert.equal(watch.released, true, 'the watch tells its waiter to stop waiting');
      assert.equal(await settledNow(watch.changed()), true, 'and later waits end at once');
      assert.equal(await store.changes.watch(owner, op.id, 10_000), undefined);
      await watch.close();
    });
  });
}
