import type { Database } from 'better-sqlite3';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Every column of the operations table, in the table's order: what migration 7 copies. */
const OPERATION_TABLE_COLUMNS =
  'tenant_id, user_id, id, created_ticks, last_action_ticks, status, status_detail, resource_location, version, finished_ticks, ' +
  'run_at_ticks, finish_at_ticks, outcome, outcome_detail, outcome_location';

/**
 * Append only: a released migration is never edited, because databases in the field already ran it. A
 * number means the same change as PostgreSQL's migration of that number (`store/postgres/migrations.ts`),
 * where SQLite needs none an empty one stands in; `test/store/schema-parity.test.ts` checks both.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'operations and users',
    // WITHOUT ROWID: every read and write goes through the (tenant, user, id) key, so the row lives in the
    // key's own b-tree and a lookup is one search, not key index → rowid → table; a rowid table would also
    // store the three key strings twice. Rows stay small in practice (status detail and resource location
    // are short URLs and messages), which is where SQLite recommends WITHOUT ROWID.
    // The listing indexes end in the key columns, so an index entry is the whole key and adds no copy.
    sql: `
      CREATE TABLE operations (
        tenant_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        id TEXT NOT NULL,
        created_ticks INTEGER NOT NULL,
        last_action_ticks INTEGER NOT NULL,
        status INTEGER NOT NULL CHECK (status BETWEEN 0 AND 3),
        status_detail TEXT,
        resource_location TEXT,
        version INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, user_id, id)
      ) WITHOUT ROWID;
      CREATE INDEX operations_by_created ON operations (tenant_id, user_id, created_ticks, id);
      CREATE INDEX operations_by_status ON operations (tenant_id, user_id, status, id);
      CREATE INDEX operations_by_last_action ON operations (tenant_id, user_id, last_action_ticks, id);
      CREATE TABLE users (
        tenant_id TEXT NOT NULL,
        id TEXT NOT NULL,
        user_principal_name TEXT NOT NULL,
        upn_lower TEXT NOT NULL,
        PRIMARY KEY (tenant_id, id),
        UNIQUE (tenant_id, upn_lower)
      );
    `,
  },
  {
    version: 2,
    name: 'retention and secrets',
    // finished_ticks: when the operation became terminal, by the server's clock; the partial index serves
    // the retention purge, which reads across owners. secrets: the dev signing key and the like.
    sql: `
      ALTER TABLE operations ADD COLUMN finished_ticks INTEGER;
      CREATE INDEX operations_by_finished ON operations (finished_ticks) WHERE finished_ticks IS NOT NULL;
      CREATE TABLE secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    name: 'operation schedules',
    // The server's plan for operations it drives itself (password resets), all NULL for the others:
    // running at run_at_ticks, finished at finish_at_ticks with outcome (0 succeeded, 1 failed),
    // outcome_detail as statusDetail and outcome_location as resourceLocation. The partial index holds
    // only scheduled rows, so looking for an owner's due steps costs nothing when they have none.
    sql: `
      ALTER TABLE operations ADD COLUMN run_at_ticks INTEGER;
      ALTER TABLE operations ADD COLUMN finish_at_ticks INTEGER;
      ALTER TABLE operations ADD COLUMN outcome INTEGER CHECK (outcome IN (0, 1));
      ALTER TABLE operations ADD COLUMN outcome_detail TEXT;
      ALTER TABLE operations ADD COLUMN outcome_location TEXT;
      CREATE INDEX operations_by_schedule ON operations (tenant_id, user_id, run_at_ticks) WHERE run_at_ticks IS NOT NULL;
    `,
  },
  {
    version: 4,
    name: 'operation watchers',
    // PostgreSQL's table of who waits on which operation (`Prefer: wait` across instances). SQLite needs
    // none: one process owns the file, and its watches live in that process's memory. Kept so that a number
    // means the same change on both engines. (Releases up to this one ran the indexes of migration 5 under
    // this number; 5 finds them there.)
    sql: '',
  },
  {
    version: 5,
    name: 'reads across owners',
    // For the admin API, the only reader that crosses owners besides retention: its listing newest first
    // and its timeline by creation time (the key columns ride along, so the index orders whole keys), and
    // the open scheduled operations, whose due steps the dashboard and the retention purge write. The
    // partial index holds only open scheduled rows: finishing an operation takes it out. IF NOT EXISTS: a
    // database of an earlier release made them under number 4.
    sql: `
      CREATE INDEX IF NOT EXISTS operations_by_created_all ON operations (created_ticks, id);
      CREATE INDEX IF NOT EXISTS operations_due ON operations (run_at_ticks) WHERE run_at_ticks IS NOT NULL AND finished_ticks IS NULL;
    `,
  },
  {
    version: 6,
    name: 'users without a UPN',
    // A user whose UPN moved to another user (a rename) keeps its row with no UPN, where it used to be
    // deleted. SQLite cannot drop NOT NULL, so the table is rebuilt, as SQLite's ALTER TABLE page says:
    // same keys (the UNIQUE lets any number of NULLs through), rows copied, the new table renamed into
    // place. The CHECK keeps the UPN and its lowercase key both set or both NULL.
    sql: `
      CREATE TABLE users_rebuilt (
        tenant_id TEXT NOT NULL,
        id TEXT NOT NULL,
        user_principal_name TEXT,
        upn_lower TEXT,
        PRIMARY KEY (tenant_id, id),
        UNIQUE (tenant_id, upn_lower),
        CONSTRAINT users_upn_whole CHECK ((user_principal_name IS NULL) = (upn_lower IS NULL))
      );
      INSERT INTO users_rebuilt (tenant_id, id, user_principal_name, upn_lower)
        SELECT tenant_id, id, user_principal_name, upn_lower FROM users;
      DROP TABLE users;
      ALTER TABLE users_rebuilt RENAME TO users;
    `,
  },
  {
    version: 7,
    name: 'whole schedules',
    // The CHECK PostgreSQL has had since migration 3: a schedule is all there (run_at_ticks, finish_at_ticks
    // and outcome set, running before finishing, outcome 0 or 1) or all NULL. SQLite cannot add a constraint
    // to a table, so the table is rebuilt as SQLite's ALTER TABLE page says: the new table made, the rows
    // copied, the old one dropped, the new one renamed into place and every index made again. Still WITHOUT
    // ROWID, same columns in the same order; the constraints named as PostgreSQL names them. Nothing
    // references the table, so foreign keys need no care.
    sql: `
      CREATE TABLE operations_rebuilt (
        tenant_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        id TEXT NOT NULL,
        created_ticks INTEGER NOT NULL,
        last_action_ticks INTEGER NOT NULL,
        status INTEGER NOT NULL CONSTRAINT operations_status_check CHECK (status BETWEEN 0 AND 3),
        status_detail TEXT,
        resource_location TEXT,
        version INTEGER NOT NULL,
        finished_ticks INTEGER,
        run_at_ticks INTEGER,
        finish_at_ticks INTEGER,
        outcome INTEGER,
        outcome_detail TEXT,
        outcome_location TEXT,
        PRIMARY KEY (tenant_id, user_id, id),
        CONSTRAINT operations_schedule_whole CHECK (
          (run_at_ticks IS NULL) = (finish_at_ticks IS NULL) AND (run_at_ticks IS NULL) = (outcome IS NULL)
          AND run_at_ticks <= finish_at_ticks AND outcome IN (0, 1)
        )
      ) WITHOUT ROWID;
      INSERT INTO operations_rebuilt (${OPERATION_TABLE_COLUMNS}) SELECT ${OPERATION_TABLE_COLUMNS} FROM operations;
      DROP TABLE operations;
      ALTER TABLE operations_rebuilt RENAME TO operations;
      CREATE INDEX operations_by_created ON operations (tenant_id, user_id, created_ticks, id);
      CREATE INDEX operations_by_status ON operations (tenant_id, user_id, status, id);
      CREATE INDEX operations_by_last_action ON operations (tenant_id, user_id, last_action_ticks, id);
      CREATE INDEX operations_by_finished ON operations (finished_ticks) WHERE finished_ticks IS NOT NULL;
      CREATE INDEX operations_by_schedule ON operations (tenant_id, user_id, run_at_ticks) WHERE run_at_ticks IS NOT NULL;
      CREATE INDEX operations_by_created_all ON operations (created_ticks, id);
      CREATE INDEX operations_due ON operations (run_at_ticks) WHERE run_at_ticks IS NOT NULL AND finished_ticks IS NULL;
    `,
  },
  {
    version: 8,
    name: 'running step details',
    // The statusDetail a schedule's running step writes (a scripted password reset's), NULL when the step
    // leaves it as it is, as every schedule before this one did. A nullable column without a default:
    // SQLite adds it at the end of the table without rewriting a row.
    sql: `
      ALTER TABLE operations ADD COLUMN running_detail TEXT;
    `,
  },
  {
    version: 9,
    name: 'updates in place',
    // Every PATCH writes last_action_ticks, so an index holding that column had an entry deleted and
    // another inserted on every PATCH, at a random place in the index: more pages written and synced per
    // commit. $orderby=lastActionDateTime now sorts the user's rows instead (docs/performance.md measures
    // it). PostgreSQL's migration of this number drops the same index.
    sql: `
      DROP INDEX IF EXISTS operations_by_last_action;
    `,
  },
  {
    version: 10,
    name: 'operation counts by status',
    // The count by status behind /metrics, the admin statistics and the emulator's clock was a GROUP BY
    // over every operation, run on the event loop: 145 ms at 1,000,000 rows, during which no request was
    // served. Triggers keep the counts in a row per status instead, so reading them is four rows. A row for
    // every status the CHECK on operations.status allows (0–3) is made here, so the triggers only ever
    // UPDATE a row that exists; a migration that widens that CHECK must add rows for its new values.
    // UPDATE OF status with WHEN: a write that keeps the status (most PATCHes) runs no trigger body. The
    // counts are filled from the rows already there by one pass, inside this migration's transaction.
    // PostgreSQL counts in the database, off the event loop, and a row per status there would serialise
    // its concurrent writers: its migration of this number is empty.
    sql: `
      CREATE TABLE operation_counts (
        status INTEGER PRIMARY KEY CHECK (status BETWEEN 0 AND 3),
        count INTEGER NOT NULL
      );
      INSERT INTO operation_counts (status, count) SELECT status, COUNT(*) FROM operations GROUP BY status;
      INSERT INTO operation_counts (status, count) VALUES (0, 0), (1, 0), (2, 0), (3, 0) ON CONFLICT (status) DO NOTHING;
      CREATE TRIGGER operation_counts_insert AFTER INSERT ON operations BEGIN
        UPDATE operation_counts SET count = count + 1 WHERE status = NEW.status;
      END;
      CREATE TRIGGER operation_counts_delete AFTER DELETE ON operations BEGIN
        UPDATE operation_counts SET count = count - 1 WHERE status = OLD.status;
      END;
      CREATE TRIGGER operation_counts_status AFTER UPDATE OF status ON operations WHEN OLD.status IS NOT NEW.status BEGIN
        UPDATE operation_counts SET count = count - 1 WHERE status = OLD.status;
        UPDATE operation_counts SET count = count + 1 WHERE status = NEW.status;
      END;
    `,
  },
];

/** Brings the database up to the latest schema; running it again changes nothing. */
export function migrate(db: Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)`);
  const newest = db.prepare('SELECT max(version) AS version FROM schema_migrations').pluck().get() as number | null;
  const latest = MIGRATIONS.at(-1)?.version ?? 0;
  if (newest !== null && newest > latest) {
    // A newer release migrated this file; running old code against its schema could corrupt data.
    throw new Error(`database schema version ${newest} is newer than this release knows (${latest})`);
  }
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').pluck();
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const apply = db.transaction((migration: Migration) => {
    // Checked inside the transaction: another process opening the same file may have just applied it.
    if (isApplied.get(migration.version) !== undefined) return;
    db.exec(migration.sql);
    record.run(migration.version, migration.name, new Date().toISOString());
  });
  // IMMEDIATE takes the write lock before the check, so two processes cannot both decide to apply.
  for (const migration of MIGRATIONS) apply.immediate(migration);
}
