import Database from 'better-sqlite3';
import type { Database as Connection, Statement } from 'better-sqlite3';
import type { LongRunningOperation, Owner } from '../../operations/long-running-operation.js';
import { statusValue } from '../../operations/status.js';
import { LocalWatches } from '../local-watches.js';
import { countsByStatus } from '../status-counts.js';
import {
  countSql,
  dueSql,
  listSql,
  OPEN_STATUS_LIST,
  OPERATION_COLUMNS,
  operationFromRow,
  patchParameters,
  patchStatement,
  scheduleColumns,
  SQLITE,
  type OperationRow,
  type SqlQuery,
} from '../sql/operation-query.js';
import type { DirectoryUser, NamedUser, OperationStore, SecretStore, Store, UserDirectory } from '../store.js';
import { migrate } from './migrations.js';
import { sqliteAdminStore } from './sqlite-admin.js';

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
  migrate(db);
  return db;
}

export function openSqliteStore(options: { path: string }): Store {
  const db = openSqliteDatabase(options.path);
  const ping = db.prepare('SELECT 1');
  const byStatus = reader<{ status: bigint; count: bigint }>(db, 'SELECT status, COUNT(*) AS count FROM operations GROUP BY status');
  // One process owns the database file, so its own writes are all the changes there are.
  const watches = new LocalWatches();
  return {
    operations: operationStore(db, watches),
    changes: {
      watch: async (owner, id) => watches.open(owner, id),
      releaseAll: () => watches.releaseAll(),
    },
    users: userDirectory(db),
    secrets: secretStore(db),
    admin: sqliteAdminStore(db),
    ping: async () => {
      ping.get();
    },
    statistics: async () => ({ operationsByStatus: countsByStatus(byStatus.all({})) }),
    close: async () => {
      db.close();
    },
  };
}


const OWNED = 'tenant_id = @tenantId AND user_id = @userId';
const OWNED_ID = `${OWNED} AND id = @id`;

function operationStore(db: Connection, watches: LocalWatches): OperationStore {
  const insert = db.prepare(
    `INSERT INTO operations (tenant_id, user_id, ${OPERATION_COLUMNS})
     VALUES (@tenantId, @userId, @id, @createdTicks, @lastActionTicks, @status, @statusDetail, @resourceLocation, @version, @finishedTicks,
             @runAtTicks, @finishAtTicks, @outcome, @outcomeDetail, @outcomeLocation)`,
  );
  const select = operationReader(db, `SELECT ${OPERATION_COLUMNS} FROM operations WHERE tenant_id = ? AND user_id = ? AND id = ?`);
  // UPDATE … RETURNING, one atomic statement, read with all(): better-sqlite3's get() resets the statement
  // before it reaches SQLITE_DONE, the point where SQLite runs its automatic WAL checkpoint, so the WAL would
  // grow without bound (measured: 91 MiB in 12 s); all() steps it to the end.
  const update = operationReader(
    db,
    `UPDATE operations
     SET last_action_ticks = @lastActionTicks, status = @status, status_detail = @statusDetail,
         resource_location = @resourceLocation, finished_ticks = @finishedTicks, version = version + 1
     WHERE ${OWNED_ID} AND version = @expectedVersion AND status IN (${OPEN_STATUS_LIST})
     RETURNING ${OPERATION_COLUMNS}`,
  );
  // Read with all() too, for the same reason.
  const patchRow = operationReader(db, patchStatement(SQLITE));
  const remove = db.prepare(`DELETE FROM operations WHERE ${OWNED_ID} AND (@expectedVersion IS NULL OR version = @expectedVersion)`);
  const queries = new QueryStatements(db);
  // One batch of the oldest finished rows, across owners, by the partial index on finished_ticks.
  const purge = db.prepare(
    `DELETE FROM operations WHERE (tenant_id, user_id, id) IN
       (SELECT tenant_id, user_id, id FROM operations WHERE finished_ticks < @before ORDER BY finished_ticks LIMIT @limit)`,
  );

  return {
    insert: async (owner, operation) => {
      insert.run(operationParams(owner, operation));
    },
    get: async (owner, id) => operationFromRow(select.get(owner.tenantId, owner.userId, id)),
    update: async (owner, next, expectedVersion) => {
      const updated = operationFromRow(update.all({ ...operationParams(owner, next), expectedVersion })[0]);
      if (updated) watches.signalOperation(owner, next.id);
      return updated;
    },
    patch: async (owner, id, patch) => {
      const patched = operationFromRow(patchRow.all(patchParameters(owner, id, patch))[0]);
      if (patched) watches.signalOperation(owner, id);
      return patched;
    },
    delete: async (owner, id, expectedVersion) => {
      const deleted = remove.run({ ...owner, id, expectedVersion: expectedVersion ?? null }).changes > 0;
      if (deleted) watches.signalOperation(owner, id);
      return deleted;
    },
    list: async (owner, query) => queries.all(listSql(SQLITE, owner, query)).map((row) => operationFromRow(row)!),
    count: async (owner, filter) => queries.count(countSql(SQLITE, owner, filter)),
    listDue: async (owner, now, limit) => queries.all(dueSql(SQLITE, owner, now, limit)).map((row) => operationFromRow(row)!),
    purgeFinished: async (before, limit) => purge.run({ before, limit }).changes,
  };
}

function operationParams(owner: Owner, operation: LongRunningOperation): Record<string, unknown> {
  const [runAtTicks, finishAtTicks, outcome, outcomeDetail, outcomeLocation] = scheduleColumns(operation);
  return {
    tenantId: owner.tenantId,
    userId: owner.userId,
    id: operation.id,
    createdTicks: operation.createdDateTime,
    lastActionTicks: operation.lastActionDateTime,
    status: statusValue(operation.status),
    statusDetail: operation.statusDetail,
    resourceLocation: operation.resourceLocation,
    version: operation.version,
    finishedTicks: operation.finishedAt,
    runAtTicks,
    finishAtTicks,
    outcome,
    outcomeDetail,
    outcomeLocation,
  };
}

/** Ticks pass 2^53, so reads answer every integer as a bigint; callers narrow the small ones. */
function reader<Row>(db: Connection, sql: string): Statement<[Record<string, unknown>], Row> {
  return db.prepare<[Record<string, unknown>], Row>(sql).safeIntegers(true);
}

/** Operation rows as arrays in column order (see {@link OperationRow}); integers as bigints, as `reader`'s. */
function operationReader(db: Connection, sql: string): Statement<unknown[], OperationRow> {
  return db.prepare<unknown[], OperationRow>(sql).safeIntegers(true).raw(true);
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
  return { putIfAbsent: async (name, value) => putIfAbsent(name, value) };
}

interface UserRow {
  readonly tenant_id: string;
  readonly id: string;
  readonly user_principal_name: string | null;
}

function userDirectory(db: Connection): UserDirectory {
  const columns = 'tenant_id, id, user_principal_name';
  const byId = reader<UserRow>(db, `SELECT ${columns} FROM users WHERE tenant_id = @tenantId AND id = @id`);
  const byUpn = reader<UserRow>(db, `SELECT ${columns} FROM users WHERE tenant_id = @tenantId AND upn_lower = @upnLower`);
  // The UPN's previous holder loses it but keeps its row: a token may rename a user, never delete one.
  // (A NULL UPN equals nothing, so a user recorded without one takes nothing from anyone.)
  const releaseUpn = db.prepare(
    'UPDATE users SET user_principal_name = NULL, upn_lower = NULL WHERE tenant_id = @tenantId AND upn_lower = @upnLower AND id <> @id',
  );
  const save = db.prepare(
    `INSERT INTO users (tenant_id, id, user_principal_name, upn_lower) VALUES (@tenantId, @id, @userPrincipalName, @upnLower)
     ON CONFLICT (tenant_id, id) DO UPDATE SET user_principal_name = excluded.user_principal_name, upn_lower = excluded.upn_lower`,
  );
  // The UPN's previous holder goes first, or the UNIQUE (tenant_id, upn_lower) constraint would refuse the move.
  const upsert = db.transaction((params: Record<string, unknown>) => {
    releaseUpn.run(params);
    save.run(params);
  });

  return {
    upsert: async (user) => {
      upsert({ ...user, upnLower: user.userPrincipalName?.toLowerCase() ?? null });
    },
    findById: async (tenantId, id) => fromUserRow(byId.get({ tenantId, id })),
    findByUserPrincipalName: async (tenantId, userPrincipalName) =>
      // Found by its UPN, so it has one.
      fromUserRow(byUpn.get({ tenantId, upnLower: userPrincipalName.toLowerCase() })) as NamedUser | undefined,
  };
}

function fromUserRow(row: UserRow | undefined): DirectoryUser | undefined {
  return row && { tenantId: row.tenant_id, id: row.id, userPrincipalName: row.user_principal_name };
}
