import Database from 'better-sqlite3';
import type { Database as Connection, Statement } from 'better-sqlite3';
import type { OperationStore } from '../../operations/ports/operation-store.js';
import type { SecretStore, Store } from '../../operations/ports/store.js';
import type { DirectoryUser, NamedUser, UserDirectory } from '../../operations/ports/user-directory.js';
import { LocalWatches } from '../local-watches.js';
import {
  countSql,
  dueSql,
  insertParameters,
  insertStatement,
  listSql,
  OPERATION_COLUMNS,
  operationFromRow,
  patchParameters,
  patchStatement,
  purgeStatement,
  SQLITE,
  updateParameters,
  updateStatement,
  type OperationRow,
  type PatchedRow,
  type SqlQuery,
} from '../sql/operation-query.js';
import { userFromRow, userParameters, userStatements, type UserParameters, type UserRow } from '../sql/user-query.js';
import { countsByStatus } from '../status-counts.js';
import { GroupCommit } from './group-commit.js';
import { migrate } from './migrations.js';
import { sqliteAdminStore } from './sqlite-admin.js';

/**
 * The store's statistics by status: the counts migration 10's triggers keep, four rows. Counting the
 * operations table instead (`COUNT_BY_STATUS_SQL`, as PostgreSQL does) took 145 ms at 1,000,000 rows on the
 * event loop, every request stalled behind each metrics scrape and dashboard poll. Exported for the test
 * that holds it to reading no operations.
 */
export const SQLITE_COUNT_BY_STATUS_SQL = 'SELECT status, count FROM operation_counts';

/** The most memory SQLite's page cache of a connection takes (a negative `cache_size` is in KiB). */
const PAGE_CACHE_KIB = 64 * 1024;

/**
 * Opens the database with this service's pragmas and brings its schema up to date. Exported so tests can
 * inspect the very connection a store would use; the service itself calls `openSqliteStore`.
 */
export function openSqliteDatabase(path: string): Connection {
  const db = new Database(path);
  // WAL lets readers run alongside the writer; an in-memory database has no journal file to switch.
  if (!db.memory) db.pragma('journal_mode = WAL');
  // Durability is never traded for speed: a write acknowledged to a client must survive a crash or power
  // loss, so every commit is synced. Set after journal_mode because this build defaults WAL connections to
  // NORMAL, which can lose the last commits on power loss.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // SQLite's default page cache is 2 MiB: past a few hundred thousand operations a PATCH's b-tree pages no
  // longer stay in it and each is read again from the OS (measured on 1,000,000 rows: 240 µs of CPU per
  // PATCH at 2 MiB, 163 µs at 64 MiB). The cache grows only as pages are read, so a small database costs
  // no more memory than before.
  db.pragma(`cache_size = ${-PAGE_CACHE_KIB}`);
  migrate(db);
  return db;
}

export function openSqliteStore(options: { path: string }): Store {
  const db = openSqliteDatabase(options.path);
  const ping = db.prepare('SELECT 1');
  const byStatus = reader<{ status: bigint; count: bigint }>(db, SQLITE_COUNT_BY_STATUS_SQL);
  // One process owns the database file, so its own writes are all the changes there are.
  const watches = new LocalWatches();
  const group = new GroupCommit(db);
  return {
    operations: operationStore(db, group, watches),
    changes: {
      watch: async (owner, id) => watches.open(owner, id),
      releaseAll: () => watches.releaseAll(),
      signalAll: async () => watches.signalAll(),
      watching: () => watches.size,
    },
    users: userDirectory(db),
    secrets: secretStore(db),
    admin: sqliteAdminStore(db),
    ping: async () => {
      ping.get();
    },
    statistics: async () => ({ operationsByStatus: countsByStatus(byStatus.all({})), groupCommits: group.statistics() }),
    close: async () => {
      group.commitQueued();
      db.close();
    },
  };
}

/** Writes go through `group` (see GroupCommit); a change is signalled to its watchers once it is committed. */
function operationStore(db: Connection, group: GroupCommit, watches: LocalWatches): OperationStore {
  const insert = db.prepare(insertStatement(SQLITE).text);
  const select = operationReader(db, `SELECT ${OPERATION_COLUMNS} FROM operations WHERE tenant_id = ? AND user_id = ? AND id = ?`);
  // UPDATE … RETURNING, one atomic statement, read with all(): better-sqlite3's get() resets the statement
  // before it reaches SQLITE_DONE, the point where SQLite runs its automatic WAL checkpoint, so the WAL would
  // grow without bound (measured: 91 MiB in 12 s); all() steps it to the end.
  const update = operationReader(db, updateStatement(SQLITE).text);
  // Read with all() too, for the same reason.
  const patchRow = operationReader<PatchedRow>(db, patchStatement(SQLITE));
  const remove = db.prepare(
    'DELETE FROM operations WHERE tenant_id = @tenantId AND user_id = @userId AND id = @id AND (@expectedVersion IS NULL OR version = @expectedVersion)',
  );
  const queries = new QueryStatements(db);
  const purge = db.prepare(purgeStatement(SQLITE).text);

  return {
    insert: async (owner, operation) => {
      await group.run(() => insert.run(insertParameters(owner, operation)));
    },
    get: async (owner, id) => operationFromRow(select.get(owner.tenantId, owner.userId, id)),
    update: async (owner, next, expectedVersion) => {
      const updated = operationFromRow(await group.run(() => update.all(updateParameters(owner, next, expectedVersion))[0]));
      if (updated) watches.signalOperation(owner, next.id);
      return updated;
    },
    patch: async (owner, id, patch) => {
      const patched = operationFromRow(await group.run(() => patchRow.all(patchParameters(owner, id, patch))[0]));
      if (patched) watches.signalOperation(owner, id);
      return patched;
    },
    delete: async (owner, id, expectedVersion) => {
      const deleted = (await group.run(() => remove.run({ ...owner, id, expectedVersion: expectedVersion ?? null }).changes)) > 0;
      if (deleted) watches.signalOperation(owner, id);
      return deleted;
    },
    list: async (owner, query) => queries.all(listSql(SQLITE, owner, query)).map((row) => operationFromRow(row)!),
    count: async (owner, filter) => queries.count(countSql(SQLITE, owner, filter)),
    listDue: async (owner, now, limit) => queries.all(dueSql(SQLITE, owner, now, limit)).map((row) => operationFromRow(row)!),
    purgeFinished: async (before, limit) => purge.run({ before, limit }).changes,
  };
}

/** Ticks pass 2^53, so reads answer every integer as a bigint; callers narrow the small ones. */
function reader<Row>(db: Connection, sql: string): Statement<[Record<string, unknown>], Row> {
  return db.prepare<[Record<string, unknown>], Row>(sql).safeIntegers(true);
}

/** Operation rows as arrays in column order (see {@link OperationRow}); integers as bigints, as `reader`'s. */
function operationReader<Row extends PatchedRow = OperationRow>(db: Connection, sql: string): Statement<unknown[], Row> {
  return db.prepare<unknown[], Row>(sql).safeIntegers(true).raw(true);
}

/** List and count statements are prepared once per SQL text (the text depends on the query's shape only). */
class QueryStatements {
  static readonly #MAX = 256;
  readonly #cache = new Map<string, Statement<unknown[], OperationRow>>();

  constructor(private readonly db: Connection) {}

  all(query: SqlQuery): OperationRow[] {
    // all(), not iterate(): the statement is reset before returning, so no read snapshot lingers.
    return this.#statement(query.text).all(...query.values);
  }

  count(query: SqlQuery): number {
    // A count's one row has one column, read as the first of an operation row's.
    return Number(this.#statement(query.text).all(...query.values)[0]![0]);
  }

  #statement(text: string) {
    let statement = this.#cache.get(text);
    if (statement === undefined) {
      if (this.#cache.size >= QueryStatements.#MAX) this.#cache.delete(this.#cache.keys().next().value!);
      statement = operationReader(this.db, text);
      this.#cache.set(text, statement);
    }
    return statement;
  }
}

function secretStore(db: Connection): SecretStore {
  const insert = db.prepare('INSERT INTO secrets (name, value) VALUES (@name, @value) ON CONFLICT (name) DO NOTHING');
  const select = db.prepare<[{ name: string }], { value: string }>('SELECT value FROM secrets WHERE name = @name');
  const putIfAbsent = db.transaction((name: string, value: string) => {
    insert.run({ name, value });
    return select.get({ name })!.value;
  });
  const remove = db.prepare('DELETE FROM secrets WHERE name >= @from AND name < @to');
  return {
    putIfAbsent: async (name, value) => putIfAbsent(name, value),
    removeRange: async (from, to) => remove.run({ from, to }).changes,
  };
}

function userDirectory(db: Connection): UserDirectory {
  const statements = userStatements(SQLITE);
  const byId = reader<UserRow>(db, statements.byId.text);
  const byUpn = reader<UserRow>(db, statements.byUpn.text);
  const releaseUpn = db.prepare(statements.releaseUpn.text);
  const save = db.prepare(statements.save.text);
  // One transaction: the UPN's previous holder releases it, then this user takes it.
  const upsert = db.transaction((params: UserParameters) => {
    releaseUpn.run(params);
    save.run(params);
  });

  return {
    upsert: async (user) => {
      upsert(userParameters(user));
    },
    findById: async (tenantId, id) => fromUserRow(byId.get({ tenantId, id })),
    findByUserPrincipalName: async (tenantId, userPrincipalName) =>
      // Found by its UPN, so it has one.
      fromUserRow(byUpn.get({ tenantId, upnLower: userPrincipalName.toLowerCase() })) as NamedUser | undefined,
  };
}

function fromUserRow(row: UserRow | undefined): DirectoryUser | undefined {
  return row && userFromRow(row);
}
