import type { ClientBase } from 'pg';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * The advisory lock every instance takes while it migrates: 'graphlro' in ASCII, as a 64-bit key. One key
 * for the whole database (not per schema), so two instances never migrate at once, whatever their schema.
 */
export const MIGRATION_LOCK_KEY = 0x67726170686c726fn;

/**
 * Append only: a released migration is never edited, because databases in the field already ran it. A
 * number means the same change as SQLite's migration of that number (`store/sqlite/migrations.ts`); where
 * PostgreSQL needs none an empty one stands in. `test/store/schema-parity.test.ts` checks both.
 *
 * Citus: nothing here needs a sequence, a foreign key or a constraint that spans users, so the schema
 * distributes as it is, once migrated: `operations` and `operation_watchers` by user_id, co-located (their
 * keys lead with it, as Citus requires of a distributed table's primary and unique keys), `users` and
 * `secrets` as reference tables, `schema_migrations` local to the coordinator. The recipe and its reasons are
 * in docs/production.md ("Growing past one PostgreSQL: Citus"); `test/store/citus-routing.test.ts` checks
 * that every statement the store sends on a distributed table filters on one user (so Citus routes it to
 * that user's shard) or is one of the cross-shard operational statements the recipe lists, and that the
 * recipe names every table these migrations create: a migration that adds a table adds it there too.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'operations and users',
    // Keys lead with user_id, the distribution column: every statement pins both user_id and tenant_id by
    // equality, so either order serves the lookups, and putting the distribution column (and the more
    // selective one: user object ids are GUIDs, unique across tenants in practice) first keeps one user's
    // rows together in every index. The listing indexes continue with the sort column and end in id, the
    // tie-breaker every listing appends, so `ORDER BY <column>, id LIMIT n` (and its keyset cursor) is an
    // index range scan in either direction, never a sort; the default order (id) uses the primary key.
    //
    // Strings compare in the "C" collation (bytewise, as SQLite's BINARY): a linguistic collation would sort
    // 'Zed' after 'a' and break both $orderby and the keyset cursors, which compare the way SQLite does, and
    // would vary with the server's locale. Bytewise comparison is also the cheapest.
    //
    // Ticks (100 ns since the Unix epoch, years 1 to 9999) fit a bigint; the status is the enum's value.
    sql: `
      CREATE TABLE operations (
        tenant_id text COLLATE "C" NOT NULL,
        user_id text COLLATE "C" NOT NULL,
        id text COLLATE "C" NOT NULL,
        created_ticks bigint NOT NULL,
        last_action_ticks bigint NOT NULL,
        status smallint NOT NULL CHECK (status BETWEEN 0 AND 3),
        status_detail text COLLATE "C",
        resource_location text COLLATE "C",
        version integer NOT NULL,
        PRIMARY KEY (user_id, tenant_id, id)
      );
      CREATE INDEX operations_by_created ON operations (user_id, tenant_id, created_ticks, id);
      CREATE INDEX operations_by_status ON operations (user_id, tenant_id, status, id);
      CREATE INDEX operations_by_last_action ON operations (user_id, tenant_id, last_action_ticks, id);
      CREATE TABLE users (
        tenant_id text COLLATE "C" NOT NULL,
        id text COLLATE "C" NOT NULL,
        user_principal_name text NOT NULL,
        upn_lower text COLLATE "C" NOT NULL,
        PRIMARY KEY (tenant_id, id),
        UNIQUE (tenant_id, upn_lower)
      );
    `,
  },
  {
    version: 2,
    name: 'retention and secrets',
    // finished_ticks: when the operation became terminal, by the server's clock; the partial index serves
    // the retention purge, which reads across owners (on Citus, a purge runs on every shard).
    // secrets: the dev signing key, shared by every instance (on Citus, a reference table).
    sql: `
      ALTER TABLE operations ADD COLUMN finished_ticks bigint;
      CREATE INDEX operations_by_finished ON operations (finished_ticks) WHERE finished_ticks IS NOT NULL;
      CREATE TABLE secrets (name text COLLATE "C" PRIMARY KEY, value text NOT NULL);
    `,
  },
  {
    version: 3,
    name: 'operation schedules',
    // The server's plan for operations it drives itself (password resets), all NULL for the others:
    // running at run_at_ticks, finished at finish_at_ticks with outcome (0 succeeded, 1 failed),
    // outcome_detail as statusDetail and outcome_location as resourceLocation. Nullable columns without
    // defaults rewrite no rows, and the check is NOT VALID because every existing row is unscheduled (all
    // NULL), so the migration does not scan the table to prove it; new and updated rows are checked.
    // The partial index holds only scheduled rows and leads with the distribution column, so looking for
    // an owner's due steps stays on one shard and costs nothing when they have none.
    sql: `
      ALTER TABLE operations
        ADD COLUMN run_at_ticks bigint,
        ADD COLUMN finish_at_ticks bigint,
        ADD COLUMN outcome smallint,
        ADD COLUMN outcome_detail text COLLATE "C",
        ADD COLUMN outcome_location text COLLATE "C",
        ADD CONSTRAINT operations_schedule_whole CHECK (
          (run_at_ticks IS NULL) = (finish_at_ticks IS NULL) AND (run_at_ticks IS NULL) = (outcome IS NULL)
          AND run_at_ticks <= finish_at_ticks AND outcome IN (0, 1)
        ) NOT VALID;
      CREATE INDEX operations_by_schedule ON operations (user_id, tenant_id, run_at_ticks) WHERE run_at_ticks IS NOT NULL;
    `,
  },
  {
    version: 4,
    name: 'operation watchers',
    // Who waits on which operation (`Prefer: wait`), so that a writer sends a notification only when
    // someone listens: NOTIFY serialises the commits of the transactions that send one, which no write
    // should pay for nothing. UNLOGGED: a watcher lives for one request, so the table needs no WAL and
    // writing to it never waits for a disk flush; after a crash it starts empty, which is right.
    // Rows of an instance that died expire (expires_at) and are swept by the others.
    sql: `
      CREATE UNLOGGED TABLE operation_watchers (
        user_id text COLLATE "C" NOT NULL,
        tenant_id text COLLATE "C" NOT NULL,
        operation_id text COLLATE "C" NOT NULL,
        watcher_id uuid NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (user_id, tenant_id, operation_id, watcher_id)
      );
    `,
  },
  {
    version: 5,
    name: 'reads across owners',
    // For the admin API, the only reader that crosses owners besides retention (on Citus these run on every
    // shard, so these indexes need not lead with the distribution column): its listing newest first and
    // its timeline by creation time, and the open scheduled operations, whose due steps the dashboard and
    // the retention purge write. The partial index holds only open scheduled rows: finishing one takes it
    // out. A large existing table is locked against writes while they build; build them CONCURRENTLY by
    // hand first (same names) to avoid that: the migration then finds them.
    sql: `
      CREATE INDEX IF NOT EXISTS operations_by_created_all ON operations (created_ticks, id);
      CREATE INDEX IF NOT EXISTS operations_due ON operations (run_at_ticks) WHERE run_at_ticks IS NOT NULL AND finished_ticks IS NULL;
    `,
  },
  {
    version: 6,
    name: 'users without a UPN',
    // A user whose UPN moved to another user (a rename) keeps its row with no UPN, where it used to be
    // deleted. Dropping NOT NULL changes the catalogue only; the UNIQUE (tenant_id, upn_lower) lets any
    // number of NULLs through. The CHECK keeps the UPN and its lowercase key both set or both NULL; NOT
    // VALID because every existing row has both, so the migration does not scan the table to prove it.
    sql: `
      ALTER TABLE users
        ALTER COLUMN user_principal_name DROP NOT NULL,
        ALTER COLUMN upn_lower DROP NOT NULL,
        ADD CONSTRAINT users_upn_whole CHECK ((user_principal_name IS NULL) = (upn_lower IS NULL)) NOT VALID;
    `,
  },
  {
    version: 7,
    name: 'whole schedules',
    // SQLite's migration of this number adds the CHECK this schema has had since migration 3
    // (operations_schedule_whole): nothing to do here. Kept so that a number means the same change on both
    // engines.
    sql: '',
  },
  {
    version: 8,
    name: 'running step details',
    // The statusDetail a schedule's running step writes (a scripted password reset's), NULL when the step
    // leaves it as it is, as every schedule before this one did. A nullable column without a default changes
    // the catalogue only, rewriting no row; bytewise like every other text column.
    sql: `
      ALTER TABLE operations ADD COLUMN running_detail text COLLATE "C";
    `,
  },
  {
    version: 9,
    name: 'updates in place',
    // Every PATCH writes last_action_ticks, so while an index held that column no PATCH could be a HOT
    // update (a new row version on the same page, no index touched): each one inserted an entry into every
    // index of the table, eight of them. Without it, a PATCH that leaves the status as it is touches no
    // index (measured with pgbench on graph-lro's PATCH statement: every update HOT, about a quarter more
    // updates per second). $orderby=lastActionDateTime now sorts the user's rows, which costs little for
    // the operations one user has (docs/performance.md measures it). The status index stays: a status
    // changes a few times in an operation's life, and $filter on it is the listing Graph's clients send.
    // fillfactor 90 leaves room on each new page for the next version of its rows, so updates are HOT
    // from the first one, not only once pruning has freed space on the page.
    sql: `
      DROP INDEX IF EXISTS operations_by_last_action;
      ALTER TABLE operations SET (fillfactor = 90);
    `,
  },
  {
    version: 10,
    name: 'operation counts by status',
    // SQLite's counts by status, kept by triggers so that its statistics need not scan the table on the
    // event loop. PostgreSQL counts in the database, off the event loop, and one row per status updated by
    // every insert, delete and status change would serialise concurrent writers. Kept so that a number
    // means the same change on both engines.
    sql: '',
  },
];

/** The newest schema version this release knows. */
export const LATEST_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/**
 * Brings the schema up to date in one transaction; running it again changes nothing. `schema`, when given,
 * is created if missing and receives the tables; otherwise they go to the first schema on the search path.
 * Instances starting together queue on {@link MIGRATION_LOCK_KEY}: the first applies, the rest find the
 * work done. On error the transaction rolls back and the error is thrown.
 */
export async function migrate(client: ClientBase, schema?: string): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY.toString()]);
    if (schema !== undefined) {
      // Looked up first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege even when the schema exists.
      const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
      await client.query(`SELECT set_config('search_path', $1, true)`, [quoteIdentifier(schema)]);
    }
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version integer PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const newest = (await client.query<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations')).rows[0]
      ?.version;
    if (newest != null && newest > LATEST_VERSION) {
      // A newer release migrated this schema; running old code against it could corrupt data.
      throw new Error(`database schema version ${newest} is newer than this release knows (${LATEST_VERSION})`);
    }
    for (const migration of MIGRATIONS) {
      // Checked under the lock: another instance may have applied it while this one waited.
      const applied = await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
      if (applied.rowCount !== 0) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** An SQL identifier, double-quoted: for schema names, which DDL cannot take as bound parameters. */
export function quoteIdentifier(name: string): string {
  if (name.length === 0 || name.includes('\0')) throw new RangeError(`not a valid schema name: ${JSON.stringify(name)}`);
  return `"${name.replaceAll('"', '""')}"`;
}
