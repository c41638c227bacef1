import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Database as Connection } from 'better-sqlite3';
import { GroupCommit } from '../../src/store/sqlite/group-commit.js';

/**
 * The embedded store's group commit, on a scratch table of its own: which writes share a commit, that one
 * failing write fails alone, that a whole commit failing fails its group and stores none of it, and that a
 * write's promise settles only once another connection can read it (it is committed).
 */
describe('GroupCommit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'graph-lro-group-commit-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let db: Connection;
  let group: GroupCommit;
  let n = 0;

  beforeEach(() => {
    db = new Database(join(dir, `db-${n++}.sqlite`));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.exec('CREATE TABLE parent (id INTEGER PRIMARY KEY)');
    db.exec('CREATE TABLE item (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)');
    group = new GroupCommit(db);
  });

  const insert = (id: number, parent: number | null = null) => () => db.prepare('INSERT INTO item (id, parent) VALUES (?, ?)').run(id, parent).changes;
  const ids = (connection: Connection = db) => connection.prepare('SELECT id FROM item ORDER BY id').pluck().all();

  it('commits the writes asked for in one turn of the event loop together, once', async () => {
    const results = await Promise.all([1, 2, 3, 4, 5].map((id) => group.run(insert(id))));
    assert.deepEqual(results, [1, 1, 1, 1, 1]);
    assert.deepEqual(group.statistics(), { commits: 1, writes: 5, largestGroup: 5 });
    await group.run(insert(6));
    assert.deepEqual(group.statistics(), { commits: 2, writes: 6, largestGroup: 5 });
    assert.deepEqual(ids(), [1, 2, 3, 4, 5, 6]);
  });

  it('fails a write that breaks a constraint alone: the others of its group commit', async () => {
    await group.run(insert(7));
    const outcomes = await Promise.allSettled([group.run(insert(8)), group.run(insert(7)), group.run(insert(9))]);
    assert.deepEqual(outcomes.map((outcome) => outcome.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /UNIQUE constraint failed/);
    assert.deepEqual(ids(), [7, 8, 9]);
    assert.equal(group.statistics().commits, 2);
  });

  it('rolls back a write that throws after writing, to its own savepoint', async () => {
    const partial = () => {
      insert(10)();
      throw new Error('the write gave up after its first statement');
    };
    const outcomes = await Promise.allSettled([group.run(insert(11)), group.run(partial)]);
    assert.deepEqual(outcomes.map((outcome) => outcome.status), ['fulfilled', 'rejected']);
    assert.deepEqual(ids(), [11]);
  });

  it('fails the whole group when its commit fails, and stores none of it', async () => {
    // A deferred foreign key is checked at COMMIT: the group's one bad row makes the commit itself fail.
    const outcomes = await Promise.allSettled([group.run(insert(12)), group.run(insert(13, 99))]);
    assert.deepEqual(outcomes.map((outcome) => outcome.status), ['rejected', 'rejected']);
    assert.match(String((outcomes[0] as PromiseRejectedResult).reason), /FOREIGN KEY constraint failed/);
    assert.deepEqual(ids(), []);
    assert.equal(db.inTransaction, false);
    assert.deepEqual(await Promise.all([group.run(insert(14))]), [1], 'the next group commits');
  });

  it('settles a write only once another connection reads it: after its commit', async () => {
    const other = new Database(db.name, { readonly: true });
    try {
      const seenAtSettle = await Promise.all([15, 16].map((id) => group.run(insert(id)).then(() => ids(other))));
      assert.deepEqual(seenAtSettle, [[15, 16], [15, 16]]);
    } finally {
      other.close();
    }
  });

  it('runs nothing before the turn ends: a write asked for is not yet in the database', async () => {
    const pending = group.run(insert(17));
    assert.deepEqual(ids(), []);
    await pending;
    assert.deepEqual(ids(), [17]);
  });

  it('commits what is queued when asked at once, as closing the store does', async () => {
    const pending = group.run(insert(18));
    group.commitQueued();
    assert.deepEqual(ids(), [18]);
    assert.equal(await pending, 1);
    group.commitQueued(); // nothing queued: no empty commit
    assert.equal(group.statistics().commits, 1);
  });
});
