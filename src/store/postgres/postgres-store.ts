import pg from 'pg';
import type { CustomTypesConfig, PoolClient, PoolConfig, QueryConfig, QueryResultRow } from 'pg';
import type { Owner } from '../../operations/long-running-operation.js';
import type { OperationStore } from '../../operations/ports/operation-store.js';
import type { Store } from '../../operations/ports/store.js';
import type { DirectoryUser, NamedUser, UserDirectory } from '../../operations/ports/user-directory.js';
import {
  COUNT_BY_STATUS_SQL,
  countSql,
  dueSql,
  insertParameters,
  insertStatement,
  listSql,
  OPERATION_COLUMNS,
  operationFromRow,
  patchParameters,
  patchStatement,
  patchValues,
  POSTGRES,
  purgeStatement,
  updateParameters,
  updateStatement,
  type OperationRow,
  type PatchedRow,
  type SqlQuery,
} from '../sql/operation-query.js';
import { userFromRow, userParameters, userStatements, type UserParameters, type UserRow } from '../sql/user-query.js';
import { countsByStatus } from '../status-counts.js';
import { isWatched, notifyWatchers, PostgresChangeFeed, watchedDelete, watchedUpdate } from './change-listener.js';
import { migrate, quoteIdentifier } from './migrations.js';
import { postgresAdminStore } from './postgres-admin.js';

export interface PostgresStoreOptions {
  /** A `postgres://` URL; its own parameters (e.g. `application_name`) win over the options below. */
  readonly connectionString: string;
  /** The schema holding the tables, created if missing; by default the first schema on the search path. */
  readonly schema?: string;
  /** The most connections the pool opens (default 10). */
  readonly poolSize?: number;
  /** Shown in `pg_stat_activity` (default `graph-lro`). */
  readonly applicationName?: string;
  /**
   * Told about errors of idle pooled connections (the server restarted, the network dropped). The pool has
   * already discarded the connection and opens a new one when next needed; without this they are ignored.
   */
  readonly onError?: (error: Error) => void;
}

export const DEFAULT_POOL_SIZE = 10;

/** Opens a pool, brings the schema up to date and answers the store; the pool is ended if that fails. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const pool = new pg.Pool(poolConfig(options));
  // Without a listener, an idle connection's error would be thrown as an uncaught exception.
  pool.on('error', (error) => options.onError?.(error));
  try {
    const client = await pool.connect();
    // The connection is closed, not reused, when the migration failed part way.
    await migrate(client, options.schema).then(
      () => client.release(),
      (error: Error) => {
        client.release(error);
        throw error;
      },
    );
  } catch (error) {
    await pool.end();
    throw error;
  }
  let closing: Promise<void> | undefined;
  const changes = new PostgresChangeFeed(
    pool,
    () => new pg.Client({ ...poolConfig(options), application_name: `${options.applicationName ?? 'graph-lro'}/listener` }),
    async (client) => {
      if (options.schema !== undefined) await setSearchPath(client, options.schema);
    },
  );
  return {
    operations: operationStore(pool),
    changes,
    users: userDirectory(pool),
    admin: postgresAdminStore(pool),
    secrets: {
      putIfAbsent: async (name, value) => {
        await pool.query(named(STATEMENTS.insertSecret, [name, value]));
        return (await pool.query<{ value: string }>(named(STATEMENTS.selectSecret, [name]))).rows[0]!.value;
      },
      removeRange: async (from, to) => (await pool.query(named(STATEMENTS.removeSecrets, [from, to]))).rowCount ?? 0,
    },
    ping: async () => {
      await pool.query('SELECT 1');
    },
    statistics: async () => {
      // Read before the count borrows a connection, so the figures describe the service's own load.
      const connections = { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
      // A full scan (on Citus, of every shard): meant for a metrics scrape, not for a request path.
      const byStatus = await pool.query<{ status: number; count: bigint }>(named(STATEMENTS.countByStatus, []));
      return { operationsByStatus: countsByStatus(byStatus.rows), connections };
    },
    // Waits for borrowed connections to come back; a second call answers the first one's promise.
    close: () => (closing ??= changes.close().then(() => pool.end())),
  };
}

/** `pg-pool` awaits this hook on every new connection before handing it out; `@types/pg` does not list it. */
type PoolConfigWithHook = PoolConfig & { onConnect?: (client: PoolClient) => Promise<void> };

function poolConfig(options: PostgresStoreOptions): PoolConfigWithHook {
  const { schema } = options;
  return {
    connectionString: options.connectionString,
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    application_name: options.applicationName ?? 'graph-lro',
    types: TYPES,
    // Set on the session (not as a startup `options` parameter, which the connection string's own
    // `options` would silently replace) and awaited, so no query ever runs on the wrong search path.
    ...(schema !== undefined && {
      onConnect: (client: PoolClient) => setSearchPath(client, schema),
    }),
  };
}

async function setSearchPath(client: pg.ClientBase, schema: string): Promise<void> {
  await client.query(`SELECT set_config('search_path', $1, false)`, [quoteIdentifier(schema)]);
}

// One function for every int8 column: `pg` asks for the parser of each column of every result.
const parseInt8 = (value: string): bigint => BigInt(value);

/**
 * int8 (ticks, COUNT(*)) parsed to bigint: ticks pass 2^53, so a number would lose precision, and `pg`'s
 * default answers a string. Private to this store's pool; `pg`'s global parsers stay as they are. BigInt
 * parameters need nothing: `pg` binds them as their decimal text.
 */
const TYPES: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 && format !== 'binary' ? parseInt8 : pg.types.getTypeParser(oid, format)) as CustomTypesConfig['getTypeParser'],
};

/**
 * Every single-row statement on `operations` binds its owner and id first, as $1 tenant_id, $2 user_id, $3 id
 * (the update and PATCH builders too, whose parameter lists begin so); `OWNER_USER` is what the watcher probe
 * filters on. `test/store/citus-routing.test.ts` checks that every reference in a statement filters on one user.
 */
const OWNER_USER = '$2';
const OWNED_ID = `tenant_id = $1 AND user_id = ${OWNER_USER} AND id = $3`;

const INSERT = insertStatement(POSTGRES);
const UPDATE = updateStatement(POSTGRES);
const PURGE = purgeStatement(POSTGRES);
const USERS = userStatements(POSTGRES);

/**
 * The hot single-row statements, named: PostgreSQL parses and plans each once per connection. Their text
 * never changes for a name (`pg` refuses a name reused with other text). Listings and counts, whose text
 * varies with the query's shape, get theirs from {@link StatementNames}.
 */
const STATEMENTS = {
  insert: { name: 'graph-lro/operations/insert', text: INSERT.text },
  get: { name: 'graph-lro/operations/get', text: `SELECT ${OPERATION_COLUMNS} FROM operations WHERE ${OWNED_ID}` },
  // One statement: the version and open-status guards and the write are one atomic step, and RETURNING
  // answers the row this UPDATE wrote. A writer that waited on the row lock re-checks both guards against
  // the committed row, so of racing writers at one version exactly one wins, and a finished row stays so.
  // The same statement answers whether anyone waits on the row (`Prefer: wait`), to be told it changed.
  update: { name: 'graph-lro/operations/update', text: watchedUpdate(UPDATE.text, OWNER_USER) },
  // PATCH in one statement (see `patchStatement`), answering whether the row is watched too.
  patch: { name: 'graph-lro/operations/patch', text: watchedUpdate(patchStatement(POSTGRES), OWNER_USER) },
  delete: {
    name: 'graph-lro/operations/delete',
    text: watchedDelete(OWNED_ID, OWNER_USER),
  },
  deleteAtVersion: {
    name: 'graph-lro/operations/delete-at-version',
    text: watchedDelete(`${OWNED_ID} AND version = $4`, OWNER_USER),
  },
  purgeFinished: { name: 'graph-lro/operations/purge-finished', text: PURGE.text },
  insertSecret: { name: 'graph-lro/secrets/insert', text: 'INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING' },
  selectSecret: { name: 'graph-lro/secrets/select', text: 'SELECT value FROM secrets WHERE name = $1' },
  // name is COLLATE "C": the range is bytewise, as SQLite's.
  removeSecrets: { name: 'graph-lro/secrets/remove-range', text: 'DELETE FROM secrets WHERE name >= $1 AND name < $2' },
  countByStatus: { name: 'graph-lro/operations/count-by-status', text: COUNT_BY_STATUS_SQL },
  userById: { name: 'graph-lro/users/by-id', text: USERS.byId.text },
  userByUpn: { name: 'graph-lro/users/by-upn', text: USERS.byUpn.text },
  // Upserts that claim one UPN take turns, as SQLite's writers do: otherwise two could each release the UPN
  // and then collide on inserting it. Keyed by a hash of (tenant, UPN); a collision only makes two
  // unrelated upserts wait for each other. The lock is the connection's node's (on Citus, the coordinator's).
  lockUpn: { name: 'graph-lro/users/lock-upn', text: `SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 0))` },
  // Then the rows this upsert may touch (its own, the UPN's holder), locked in id order: two users swapping
  // UPNs would otherwise each lock its own row and wait for the other's, a deadlock PostgreSQL breaks only
  // after deadlock_timeout (1 s by default).
  lockRows: {
    name: 'graph-lro/users/lock-rows',
    text: 'SELECT 1 FROM users WHERE tenant_id = $1 AND (id = $2 OR upn_lower = $3) ORDER BY id FOR UPDATE',
  },
  releaseUpn: { name: 'graph-lro/users/release-upn', text: USERS.releaseUpn.text },
  saveUser: { name: 'graph-lro/users/save', text: USERS.save.text },
} as const;

type Statement = (typeof STATEMENTS)[keyof typeof STATEMENTS];

function named(statement: Statement, values: unknown[]): QueryConfig {
  return { name: statement.name, text: statement.text, values };
}

/**
 * Names for listing and counting statements, whose text varies with the query's shape (never with its
 * values). Named, a statement is parsed and planned once per connection instead of on every request, which
 * for a page costs PostgreSQL about as much as reading it (measured: about 200 µs of server time per page
 * of 100 unnamed, 110 named). A connection keeps its named statements for life, so only the first
 * {@link PREPARED_SHAPES} shapes get a name; rarer ones beyond that run unnamed.
 */
export class StatementNames {
  readonly #names = new Map<string, string>();

  constructor(private readonly limit: number = PREPARED_SHAPES) {}

  /** The query, named when its text has (or may still get) a name. */
  named(query: SqlQuery): QueryConfig {
    let name = this.#names.get(query.text);
    if (name === undefined && this.#names.size < this.limit) this.#names.set(query.text, (name = `graph-lro/query/${this.#names.size + 1}`));
    return name === undefined ? query : { ...query, name };
  }
}

const PREPARED_SHAPES = 64;

function operationStore(pool: pg.Pool): OperationStore {
  const shapes = new StatementNames();
  async function rows<Row extends QueryResultRow>(query: QueryConfig): Promise<Row[]> {
    return (await pool.query<Row>(query)).rows;
  }
  /** Operation rows, as arrays in column order (see {@link OperationRow}). */
  async function operationRows<Row extends PatchedRow = OperationRow>(query: QueryConfig): Promise<Row[]> {
    return (await pool.query<Row & unknown[]>({ ...query, rowMode: 'array' })).rows; // `& unknown[]`: pg's rows are mutable arrays
  }

  /** The row a writer's statement answered, once its watchers (if it found any) have been told. */
  async function told<Row extends readonly unknown[]>(owner: Owner, id: string, row: Row | undefined): Promise<Row | undefined> {
    if (isWatched(row)) await notifyWatchers(pool, owner, id);
    return row;
  }

  return {
    insert: async (owner, op) => {
      await pool.query(named(STATEMENTS.insert, INSERT.values(insertParameters(owner, op))));
    },
    get: async (owner, id) => operationFromRow((await operationRows(named(STATEMENTS.get, [owner.tenantId, owner.userId, id])))[0]),
    update: async (owner, next, expectedVersion) => {
      const [row] = await operationRows(named(STATEMENTS.update, UPDATE.values(updateParameters(owner, next, expectedVersion))));
      return operationFromRow(await told(owner, next.id, row));
    },
    patch: async (owner, id, patch) => {
      const [row] = await operationRows<PatchedRow>(named(STATEMENTS.patch, patchValues(patchParameters(owner, id, patch))));
      return operationFromRow(await told(owner, id, row));
    },
    delete: async (owner, id, expectedVersion) => {
      const key = [owner.tenantId, owner.userId, id];
      const statement = expectedVersion === undefined ? named(STATEMENTS.delete, key) : named(STATEMENTS.deleteAtVersion, [...key, expectedVersion]);
      const result = await pool.query<[watched: boolean]>({ ...statement, rowMode: 'array' });
      await told(owner, id, result.rows[0]);
      return (result.rowCount ?? 0) > 0;
    },
    list: async (owner, query) => (await operationRows(shapes.named(listSql(POSTGRES, owner, query)))).map((row) => operationFromRow(row)!),
    count: async (owner, filter) => Number((await rows<{ count: bigint }>(shapes.named(countSql(POSTGRES, owner, filter))))[0]!.count),
    // Named: its text is the same for every call, and a listing or count that depends on steps runs it first.
    listDue: async (owner, now, limit) =>
      (await operationRows({ name: 'graph-lro/operations/list-due', ...dueSql(POSTGRES, owner, now, limit) })).map((row) => operationFromRow(row)!),
    purgeFinished: async (before, limit) => (await pool.query(named(STATEMENTS.purgeFinished, PURGE.values({ before, limit })))).rowCount ?? 0,
  };
}

/**
 * SQLSTATEs after which the upsert's transaction is run again from the start. The locks make them rare: a
 * unique violation or a deadlock needs a writer that bypasses the UPN lock (on Citus, one connected to
 * another node, whose advisory locks are its own) or a new user's row inserted twice at once.
 */
const RETRYABLE = new Set([
  '23505', // unique_violation: a concurrent upsert committed the same UPN for another id after our release
  '40001', // serialization_failure (under a stricter default isolation level)
  '40P01', // deadlock_detected: two upserts each releasing the UPN the other holds
]);
const UPSERT_ATTEMPTS = 10;

function userDirectory(pool: pg.Pool): UserDirectory {
  async function one(query: QueryConfig): Promise<DirectoryUser | undefined> {
    const row = (await pool.query<UserRow>(query)).rows[0];
    return row && userFromRow(row);
  }

  async function upsertOnce(client: PoolClient, user: UserParameters): Promise<void> {
    const { tenantId, id, upnLower } = user;
    // A user recorded without a UPN claims none: there is nothing to take turns on and nobody to take it from.
    const claimsUpn = upnLower !== null;
    await client.query('BEGIN');
    try {
      if (claimsUpn) await client.query(named(STATEMENTS.lockUpn, [tenantId, upnLower]));
      await client.query(named(STATEMENTS.lockRows, [tenantId, id, upnLower]));
      if (claimsUpn) await client.query(named(STATEMENTS.releaseUpn, USERS.releaseUpn.values(user)));
      await client.query(named(STATEMENTS.saveUser, USERS.save.values(user)));
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  }

  return {
    upsert: async (user) => {
      const parameters = userParameters(user);
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        // Run again, the later upsert releases the UPN from the earlier one's row: the last writer holds it,
        // as in SQLite.
        for (let attempt = 1; ; attempt++) {
          try {
            await upsertOnce(client, parameters);
            return;
          } catch (error) {
            const retryable = error instanceof pg.DatabaseError && RETRYABLE.has(error.code ?? '');
            if (!retryable || attempt >= UPSERT_ATTEMPTS) throw error;
          }
        }
      } catch (error) {
        // Unless PostgreSQL itself answered (and the transaction was rolled back), the connection is suspect.
        if (!(error instanceof pg.DatabaseError)) broken = error as Error;
        throw error;
      } finally {
        client.release(broken);
      }
    },
    findById: (tenantId, id) => one(named(STATEMENTS.userById, USERS.byId.values({ tenantId, id }))),
    findByUserPrincipalName: async (tenantId, userPrincipalName) =>
      // Found by its UPN, so it has one.
      (await one(named(STATEMENTS.userByUpn, USERS.byUpn.values({ tenantId, upnLower: userPrincipalName.toLowerCase() })))) as NamedUser | undefined,
  };
}
