import type { Database as Connection, Statement } from 'better-sqlite3';
import type { OperationStore } from '../../operations/ports/operation-store.js';
import type { SecretStore, Store } from '../../operations/ports/store.js';
import type { DirectoryUser, NamedUser, UserDirectory } from '../../operations/ports/user-directory.js';
import { LocalWatches } from '../local-watches.js';
import {
  countSql,
  dueSql,
  insertParameters,
  listSql,
  OPERATION_COLUMNS,
  operationFromRow,
  patchParameters,
  SQLITE,
  updateParameters,
  type OperationRow,
  type PatchedRow,
  type SqlQuery,
} from '../sql/operation-query.js';
import { userFromRow, userParameters, userStatements, type UserRow } from '../sql/user-query.js';
import { countsByStatus } from '../status-counts.js';
import { openConnection } from './connection.js';
import { migrate } from './migrations.js';
import { eventLoopWrites, type StoreWrites } from './store-writes.js';
import { sqliteAdminStore } from './sqlite-admin.js';
import { WriterThread } from './writer-thread.js';

/**
 * The store's statistics by status: the counts migration 10's triggers keep, four rows. Counting the
 * operations table instead (`COUNT_BY_STATUS_SQL`, as PostgreSQL does) took 145 ms at 1,000,000 rows on the
 * event loop, every request stalled behind each metrics scrape and dashboard poll. Exported for the test
 * that holds it to reading no operations.
 */
export const SQLITE_COUNT_BY_STATUS_SQL = 'SELECT status, count FROM operation_counts';

/**
 * Opens the database with this service's pragmas and brings its schema up to date. Exported so tests can
 * inspect the very connection a store would use; the service itself calls `openSqliteStore`.
 */
export function openSqliteDatabase(path: string): Connection {
  const db = openConnection(path);
  migrate(db);
  return db;
}

export interface SqliteStoreOptions {
  readonly path: string;
  /** Where the writes run; tests pass their own to reach the writer thread. */
  readonly placeWrites?: (db: Connection) => StoreWrites;
}

export function openSqliteStore(options: SqliteStoreOptions): Store {
  // Opened and migrated before any writer thread starts: the thread's connection never migrates.
  const db = openSqliteDatabase(options.path);
  const writes = (options.placeWrites ?? defaultWritePlacement)(db);
  const ping = db.prepare('SELECT 1');
  const byStatus = reader<{ status: bigint; count: bigint }>(db, SQLITE_COUNT_BY_STATUS_SQL);
  // One process owns the database file, so its own writes are all the changes there are.
  const watches = new LocalWatches();
  return {
    operations: operationStore(db, writes, watches),
    changes: {
      watch: async (owner, id) => watches.open(owner, id),
      releaseAll: () => watches.releaseAll(),
      signalAll: async () => watches.signalAll(),
      watching: () => watches.size,
    },
    users: userDirectory(db, writes),
    secrets: secretStore(writes),
    admin: sqliteAdminStore(db, writes),
    // Not ready when writes would fail: a load balancer then sends clients to an instance that can write.
    ping: async () => {
      writes.check();
      ping.get();
    },
    statistics: async () => ({ operationsByStatus: countsByStatus(byStatus.all({})), groupCommits: writes.statistics() }),
    close: async () => {
      await writes.close();
      db.close();
    },
  };
}

/**
 * A file's writes go to a writer thread, whose syncs then leave the event loop free to serve reads; an
 * in-memory database exists only on this connection, so its writes are grouped on the event loop.
 */
export function defaultWritePlacement(db: Connection): StoreWrites {
  return db.memory ? eventLoopWrites(db) : new WriterThread(db.name);
}

/**
 * Writes go through `writes` (grouped commits, see StoreWrites); reads use this connection. A change is
 * signalled to its watchers once it is committed.
 */
function operationStore(db: Connection, writes: StoreWrites, watches: LocalWatches): OperationStore {
  const select = operationReader(db, `SELECT ${OPERATION_COLUMNS} FROM operations WHERE tenant_id = ? AND user_id = ? AND id = ?`);
  const queries = new QueryStatements(db);

  return {
    insert: async (owner, operation) => {
      await writes.run('insert', insertParameters(owner, operation));
    },
    get: async (owner, id) => operationFromRow(select.get(owner.tenantId, owner.userId, id)),
    update: async (owner, next, expectedVersion) => {
      const updated = operationFromRow(await writes.run('update', updateParameters(owner, next, expectedVersion)));
      if (updated) watches.signalOperation(owner, next.id);
      return updated;
    },
    patch: async (owner, id, patch) => {
      const patched = operationFromRow(await writes.run('patch', patchParameters(owner, id, patch)));
      if (patched) watches.signalOperation(owner, id);
      return patched;
    },
    delete: async (owner, id, expectedVersion) => {
      const deleted = (await writes.run('delete', { ...owner, id, expectedVersion: expectedVersion ?? null })) > 0;
      if (deleted) watches.signalOperation(owner, id);
      return deleted;
    },
    list: async (owner, query) => queries.all(listSql(SQLITE, owner, query)).map((row) => operationFromRow(row)!),
    count: async (owner, filter) => queries.count(countSql(SQLITE, owner, filter)),
    listDue: async (owner, now, limit) => queries.all(dueSql(SQLITE, owner, now, limit)).map((row) => operationFromRow(row)!),
    purgeFinished: async (before, limit) => writes.run('purgeFinished', { before, limit }),
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

function secretStore(writes: StoreWrites): SecretStore {
  return {
    putIfAbsent: async (name, value) => writes.run('putSecret', { name, value }),
    removeRange: async (from, to) => writes.run('removeSecrets', { from, to }),
  };
}

function userDirectory(db: Connection, writes: StoreWrites): UserDirectory {
  const statements = userStatements(SQLITE);
  const byId = reader<UserRow>(db, statements.byId.text);
  const byUpn = reader<UserRow>(db, statements.byUpn.text);

  return {
    upsert: async (user) => {
      await writes.run('upsertUser', userParameters(user));
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
