import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { prepareWrites } from '../../src/store/sqlite/store-writes.js';
import { openSqliteDatabase, openSqliteStore, SQLITE_COUNT_BY_STATUS_SQL } from '../../src/store/sqlite/sqlite-store.js';
import { patchParameters, patchStatement, SQLITE } from '../../src/store/sql/operation-query.js';
import type { LongRunningOperation } from '../../src/operations/long-running-operation.js';
import { changeFeedContract } from './change-feed-contract.js';
import { adminStoreContract } from './admin-contract.js';
import { operationStoreContract } from './contract.js';
import { patchContract } from './patch-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'graph-lro-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function freshPath(): string {
  files += 1;
  return join(dir, `store-${files}.db`);
}

operationStoreContract('sqlite in memory', async () => openSqliteStore({ path: ':memory:' }));
operationStoreContract('sqlite file', async () => openSqliteStore({ path: freshPath() }));
adminStoreContract('sqlite file', async () => openSqliteStore({ path: freshPath() }));
// Twice each: a file's writes go through the writer thread, an in-memory database's stay on the event loop.
changeFeedContract('sqlite in memory', async () => openSqliteStore({ path: ':memory:' }));
changeFeedContract('sqlite file', async () => openSqliteStore({ path: freshPath() }));
patchContract('sqlite in memory', async () => openSqliteStore({ path: ':memory:' }));
patchContract('sqlite file', async () => openSqliteStore({ path: freshPath() }));

const owner = { tenantId: 'tenant-1', userId: 'user-1' };
/** The last schema version whose users all had a UPN: a rename deleted the name's previous holder. */
const SCHEMA_WITH_UPN_REQUIRED = 4;
/** The last schema version without the counts by status its triggers keep: statistics scanned the table. */
const SCHEMA_WITHOUT_COUNTS = 9;
const stored: LongRunningOperation = {
  id: 'op-1',
  createdDateTime: 17_145_000_000_000_001n,
  lastActionDateTime: 17_145_000_000_000_002n,
  status: 'running',
  statusDetail: 'half way',
  resourceLocation: null,
  version: 1,
  finishedAt: null,
};

/** An operation row with nothing but its key and status, written straight into the table. */
function bareInsert(db: Database.Database): Database.Statement<[{ tenantId: string; userId: string; id: string; status: number }]> {
  return db.prepare(
    'INSERT INTO operations (tenant_id, user_id, id, created_ticks, last_action_ticks, status, version) VALUES (@tenantId, @userId, @id, 0, 0, @status, 1)',
  );
}

/** A database file migrated up to `version` only, as a release of that schema left it; open, for the test to fill. */
function databaseAtVersion(path: string, version: number): Database.Database {
  const db = new Database(path);
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)');
  for (const migration of MIGRATIONS.filter((m) => m.version <= version)) {
    db.exec(migration.sql);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, '');
  }
  return db;
}

describe('sqlite specifics', () => {
  it('reopening a file keeps its data and applies each migration once', async () => {
    const path = freshPath();
    const first = openSqliteStore({ path });
    await first.operations.insert(owner, stored);
    await first.close();
    for (let i = 0; i < 2; i++) {
      const again = openSqliteStore({ path });
      assert.deepEqual(await again.operations.get(owner, 'op-1'), stored);
      await again.close();
    }
    const db = new Database(path, { readonly: true });
    try {
      const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
      assert.deepEqual(versions, MIGRATIONS.map((migration) => migration.version));
    } finally {
      db.close();
    }
  });

  it('refuses a database migrated by a newer release', () => {
    const path = freshPath();
    openSqliteDatabase(path).close();
    const db = new Database(path);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(9_999, 'future', '');
    db.close();
    assert.throws(() => openSqliteDatabase(path), /newer/);
  });

  it('migrates users of the schema before UPNs could be NULL, keeping them and the table’s keys', async () => {
    const path = freshPath();
    const old = databaseAtVersion(path, SCHEMA_WITH_UPN_REQUIRED);
    const users = [
      { tenantId: 'tenant-1', id: 'user-ada', userPrincipalName: 'Ada@Contoso.com' },
      { tenantId: 'tenant-1', id: 'user-grace', userPrincipalName: 'grace@contoso.com' },
    ];
    const insertUser = old.prepare('INSERT INTO users (tenant_id, id, user_principal_name, upn_lower) VALUES (?, ?, ?, ?)');
    for (const user of users) insertUser.run(user.tenantId, user.id, user.userPrincipalName, user.userPrincipalName.toLowerCase());
    old.close();

    const store = openSqliteStore({ path });
    try {
      assert.deepEqual(await store.admin.listUsers(undefined, 10), users);
      assert.deepEqual(await store.users.findByUserPrincipalName('tenant-1', 'ada@contoso.com'), users[0]);
      await store.users.upsert({ tenantId: 'tenant-1', id: 'user-ada-2', userPrincipalName: 'ada@contoso.com' });
      assert.deepEqual(await store.users.findById('tenant-1', 'user-ada'), { ...users[0], userPrincipalName: null });
    } finally {
      await store.close();
    }
    const db = openSqliteDatabase(path);
    try {
      const insert = db.prepare('INSERT INTO users (tenant_id, id, user_principal_name, upn_lower) VALUES (?, ?, ?, ?)');
      assert.throws(() => insert.run('tenant-1', 'user-grace', 'g2@contoso.com', 'g2@contoso.com'), /UNIQUE/, 'the primary key');
      assert.throws(() => insert.run('tenant-1', 'user-new', 'GRACE@contoso.com', 'grace@contoso.com'), /UNIQUE/, 'one holder per UPN');
      assert.throws(() => insert.run('tenant-1', 'user-new', 'new@contoso.com', null), /CHECK/, 'the UPN and its key go together');
    } finally {
      db.close();
    }
  });

  it('migrating a database with operations to the counts by status counts the ones it has', async () => {
    const path = freshPath();
    const old = databaseAtVersion(path, SCHEMA_WITHOUT_COUNTS);
    const insert = bareInsert(old);
    // 3 notStarted, 1 running, none succeeded, 2 failed, across two owners.
    for (const [userId, id, status] of [['u1', 'a', 0], ['u1', 'b', 0], ['u2', 'a', 0], ['u1', 'c', 1], ['u1', 'd', 3], ['u2', 'd', 3]] as const) {
      insert.run({ tenantId: 't', userId, id, status });
    }
    old.close();

    const store = openSqliteStore({ path });
    try {
      assert.deepEqual((await store.statistics()).operationsByStatus, { notStarted: 3, running: 1, succeeded: 0, failed: 2 });
      await store.operations.insert({ tenantId: 't', userId: 'u3' }, { ...stored, status: 'succeeded' });
      assert.ok(await store.operations.delete({ tenantId: 't', userId: 'u1' }, 'c'));
      assert.deepEqual((await store.statistics()).operationsByStatus, { notStarted: 3, running: 0, succeeded: 1, failed: 2 });
    } finally {
      await store.close();
    }
  });

  it('statistics read the counts table, not the operations: no scan of operations on the event loop', async () => {
    const db = openSqliteDatabase(':memory:');
    try {
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${SQLITE_COUNT_BY_STATUS_SQL}`).all() as { detail: string }[];
      assert.ok(plan.length > 0);
      for (const { detail } of plan) assert.doesNotMatch(detail, /\boperations\b/, detail);
    } finally {
      db.close();
    }
    // And it is the statement the store answers from: counts written behind its back are what it reports.
    const path = freshPath();
    const store = openSqliteStore({ path });
    try {
      await store.operations.insert(owner, stored);
      const behind = new Database(path);
      behind.prepare('UPDATE operation_counts SET count = 41 WHERE status = 2').run();
      behind.close();
      assert.deepEqual((await store.statistics()).operationsByStatus, { notStarted: 0, running: 1, succeeded: 41, failed: 0 });
    } finally {
      await store.close();
    }
  });

  it('a PATCH that keeps the status runs no trigger; one that changes it writes the two counts', () => {
    const db = openSqliteDatabase(':memory:');
    try {
      bareInsert(db).run({ ...owner, id: 'op-1', status: 1 });
      const patch = db.prepare(patchStatement(SQLITE)).safeIntegers(true);
      // total_changes() counts the rows that triggers write too: one is the operation alone.
      const rowsWritten = (run: () => unknown) => {
        const before = db.prepare('SELECT total_changes()').pluck().get() as number;
        run();
        return (db.prepare('SELECT total_changes()').pluck().get() as number) - before;
      };
      const keep = patchParameters(owner, 'op-1', { changes: { status: 'running', statusDetail: 'half way' }, now: 5n });
      assert.equal(rowsWritten(() => patch.all(keep)), 1);
      const finish = patchParameters(owner, 'op-1', { changes: { status: 'succeeded' }, now: 6n });
      assert.equal(rowsWritten(() => patch.all(finish)), 3);
      assert.deepEqual(db.prepare('SELECT status, count FROM operation_counts ORDER BY status').all(), [
        { status: 0, count: 0 },
        { status: 1, count: 0 },
        { status: 2, count: 1 },
        { status: 3, count: 0 },
      ]);
    } finally {
      db.close();
    }
  });

  it('a reset empties the operations with the delete trigger stepped aside, and leaves the schema and the counts right', () => {
    const db = openSqliteDatabase(':memory:');
    try {
      const insert = bareInsert(db);
      for (const [id, status] of [['a', 0], ['b', 1], ['c', 2]] as const) insert.run({ ...owner, id, status });
      const triggers = () => db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name").all();
      const before = triggers();
      assert.equal(before.length, 3);
      const counts = () => db.prepare('SELECT count FROM operation_counts ORDER BY status').pluck().all();
      db.transaction(() => prepareWrites(db).replaceAll({ operations: [], users: undefined }))();
      assert.equal(db.prepare('SELECT count(*) FROM operations').pluck().get(), 0);
      assert.deepEqual(counts(), [0, 0, 0, 0]);
      assert.deepEqual(triggers(), before, 'the trigger is back as the migration made it');
      // And it counts again: a later insert and delete move the counts.
      insert.run({ ...owner, id: 'd', status: 3 });
      insert.run({ ...owner, id: 'e', status: 3 });
      db.prepare("DELETE FROM operations WHERE id = 'd'").run();
      assert.deepEqual(counts(), [0, 0, 0, 1]);
    } finally {
      db.close();
    }
  });

  it('a file database runs in WAL mode with synchronous FULL and a page cache of 64 MiB', () => {
    const db = openSqliteDatabase(freshPath());
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(db.pragma('synchronous', { simple: true }), 2);
      assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
      assert.equal(db.pragma('busy_timeout', { simple: true }), 5000);
      assert.equal(db.pragma('cache_size', { simple: true }), -65_536);
    } finally {
      db.close();
    }
  });

  it('the schema refuses a status outside the enum', () => {
    const db = openSqliteDatabase(':memory:');
    try {
      const insert = bareInsert(db);
      insert.run({ tenantId: 't', userId: 'u', id: 'ok', status: 3 });
      assert.throws(() => insert.run({ tenantId: 't', userId: 'u', id: 'bad', status: 4 }), /CHECK constraint/);
    } finally {
      db.close();
    }
  });

  // A statement left open holds a read snapshot, and SQLite cannot checkpoint past it: the WAL then grows
  // with every write. Checkpointed normally it is reused from the start once it passes 1000 pages.
  it('keeps checkpointing the WAL under a stream of updates', async () => {
    const path = freshPath();
    const store = openSqliteStore({ path });
    try {
      await store.operations.insert(owner, stored);
      let current = stored;
      for (let i = 0; i < 2_000; i++) {
        const next = { ...current, lastActionDateTime: current.lastActionDateTime + 1n, statusDetail: 'x'.repeat(500 + (i % 7)) };
        const updated = await store.operations.update(owner, next, current.version);
        assert.ok(updated);
        current = updated;
        // No list() here: its all() happens to let the checkpoint through and would hide a leak.
        assert.deepEqual(await store.operations.get(owner, 'op-1'), current);
      }
      const pageSize = 4_096;
      assert.ok(statSync(`${path}-wal`).size < 1_500 * pageSize, `WAL is ${statSync(`${path}-wal`).size} bytes`);
    } finally {
      await store.close();
    }
  });
});
