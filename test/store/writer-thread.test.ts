import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { Store } from '../../src/operations/ports/store.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { WriterThread } from '../../src/store/sqlite/writer-thread.js';
import { isStoreUnavailable } from '../../src/store/unavailable.js';
import { newOperation } from './fresh-store.js';

/** A write's answer that never comes fails the test at this bound, rather than hanging the run. */
const BOUND = { timeout: 10_000 };
const owner = { tenantId: 'tenant-1', userId: 'user-1' };
const T0 = 17_145_000_000_000_000n;

/**
 * The writer thread of a file database, through the store: what the contract suites cannot see from
 * outside (grouping, close, a thread that dies).
 */
describe('sqlite writer thread', () => {
  const dir = mkdtempSync(join(tmpdir(), 'graph-lro-writer-thread-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let files = 0;

  /** A file store whose writer thread the test can reach. */
  function openWithThread(): { store: Store; thread: () => WriterThread; path: string } {
    const path = join(dir, `store-${++files}.db`);
    let thread: WriterThread | undefined;
    const store = openSqliteStore({ path, placeWrites: (db) => (thread = new WriterThread(db.name)) });
    return { store, thread: () => thread!, path };
  }

  it('fails a write that breaks a constraint alone: the others of its group commit, and its error is the driver’s', BOUND, async () => {
    const { store, path } = openWithThread();
    try {
      await store.operations.insert(owner, newOperation('taken', T0));
      // Another connection holds the write lock, so the thread waits inside a group of its first write while
      // the next three arrive: they make up one group whatever the timing of the two threads.
      const blocker = new Database(path);
      blocker.exec('BEGIN IMMEDIATE');
      const first = store.operations.insert(owner, newOperation('first', T0));
      await delay(50);
      const grouped = Promise.allSettled(['a', 'taken', 'b'].map((id) => store.operations.insert(owner, newOperation(id, T0, { statusDetail: 'group' }))));
      await delay(50);
      blocker.exec('COMMIT');
      blocker.close();
      await first;
      const outcomes = await grouped;
      assert.deepEqual(outcomes.map((outcome) => outcome.status), ['fulfilled', 'rejected', 'fulfilled']);
      const error = (outcomes[1] as PromiseRejectedResult).reason as Database.SqliteError;
      assert.ok(error instanceof Database.SqliteError, `a SqliteError, not ${String(error)}`);
      assert.equal(error.code, 'SQLITE_CONSTRAINT_PRIMARYKEY');
      assert.match(error.message, /UNIQUE constraint failed/);
      assert.equal(isStoreUnavailable(error), false, 'a constraint is the request’s fault, not the store’s');
      assert.ok((await store.statistics()).groupCommits!.largestGroup >= 3, 'the three shared a group');
      assert.equal((await store.operations.get(owner, 'a'))?.statusDetail, 'group');
      assert.equal((await store.operations.get(owner, 'b'))?.statusDetail, 'group');
      assert.equal((await store.operations.get(owner, 'taken'))?.statusDetail, null, 'the first holder of the id is kept');
    } finally {
      await store.close();
    }
  });

  it('answers every write asked for before close(), and commits it', BOUND, async () => {
    const { store, path } = openWithThread();
    const ids = Array.from({ length: 50 }, (_, i) => `queued-${i}`);
    const writes = ids.map((id) => store.operations.insert(owner, newOperation(id, T0)));
    await store.close();
    assert.deepEqual((await Promise.allSettled(writes)).map((outcome) => outcome.status), ids.map(() => 'fulfilled'));
    await assert.rejects(store.operations.insert(owner, newOperation('late', T0)), /closed/);
    const db = new Database(path, { readonly: true });
    try {
      assert.equal(db.prepare('SELECT COUNT(*) FROM operations').pluck().get(), ids.length);
    } finally {
      db.close();
    }
  });

  it('a writer thread that dies fails the writes it owed and every later one as the store unavailable, without a hang', BOUND, async () => {
    const { store, thread } = openWithThread();
    try {
      await store.operations.insert(owner, newOperation('before', T0));
      const owed = ['x', 'y', 'z'].map((id) => store.operations.insert(owner, newOperation(id, T0)));
      await thread().kill();
      // Each was either answered before the thread died or fails; none is left waiting.
      for (const outcome of await Promise.allSettled(owed)) {
        if (outcome.status === 'rejected') assert.ok(isStoreUnavailable(outcome.reason), String(outcome.reason));
      }
      const later = await Promise.allSettled([
        store.operations.insert(owner, newOperation('later', T0)),
        store.operations.patch(owner, 'before', { changes: { status: 'running' }, now: T0 + 1n }),
        store.operations.delete(owner, 'before'),
      ]);
      for (const outcome of later) {
        assert.equal(outcome.status, 'rejected');
        assert.ok(isStoreUnavailable((outcome as PromiseRejectedResult).reason), String((outcome as PromiseRejectedResult).reason));
      }
      assert.equal((await store.operations.get(owner, 'before'))?.status, 'notStarted', 'reads go on');
    } finally {
      await store.close();
    }
  });

  it('reports its group commits to the store’s statistics', BOUND, async () => {
    const { store } = openWithThread();
    try {
      assert.deepEqual((await store.statistics()).groupCommits, { commits: 0, writes: 0, largestGroup: 0 });
      await Promise.all(['s1', 's2'].map((id) => store.operations.insert(owner, newOperation(id, T0))));
      const { commits, writes } = (await store.statistics()).groupCommits!;
      assert.equal(writes, 2);
      assert.ok(commits >= 1 && commits <= 2, `${commits} commits`);
    } finally {
      await store.close();
    }
  });
});
