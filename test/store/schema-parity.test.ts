import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Database as Connection } from 'better-sqlite3';
import { MIGRATIONS as POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { openSqliteDatabase } from '../../src/store/sqlite/sqlite-store.js';
import { connectPostgres, describePostgres, openFreshPostgresStore } from '../support/postgres.js';

/**
 * One schema truth: both engines' live schemas, read back from the databases after migrating, are the same
 * tables with the same columns (name, nullability, type family), keys, CHECK constraints (by name and the
 * columns they read) and indexes (name, columns, uniqueness, predicate), but for the intended differences
 * listed below. A change to one engine's migrations that the other lacks fails here.
 */

/**
 * Every difference the two schemas are meant to have, and why. Nothing else may differ.
 */
const INTENDED_DIFFERENCES = {
  /** Tables one engine has and the other does not need. */
  onlyIn: {
    postgres: {
      // Who waits on which operation (`Prefer: wait`), so that writers NOTIFY only when someone LISTENs, on
      // any instance (PostgreSQL migration 4). SQLite's one process keeps its watches in memory.
      operation_watchers: 'LISTEN/NOTIFY across instances',
    },
    sqlite: {
      // The counts by status that triggers keep (SQLite migration 10), so that the statistics read four
      // rows instead of scanning every operation on the event loop. PostgreSQL counts in the database.
      operation_counts: 'statistics without a scan on the event loop',
    },
  },
  /**
   * Each migrator's own bookkeeping, read and written by its `migrate()` only, never by the service:
   * SQLite records `applied_at` as ISO text, PostgreSQL as a timestamptz defaulting to now(). Its rows
   * are compared instead (the migrations' versions and names, below).
   */
  bookkeeping: ['schema_migrations'],
  /**
   * The owner's key columns lead PostgreSQL's keys and indexes as (user_id, tenant_id): user_id is the
   * distribution column on Citus, and the more selective one. SQLite's lead with (tenant_id, user_id).
   * Either order serves every statement, which pins both by equality; the columns after them (the sort
   * column, then id) are in the same order on both. Compared with PostgreSQL's pair read as SQLite's.
   */
  ownerKeyOrder: { postgres: ['user_id', 'tenant_id'], sqlite: ['tenant_id', 'user_id'] },
} as const;

/** A column's type as both engines can agree on it: SQLite has one INTEGER where PostgreSQL has three sizes. */
type TypeFamily = 'text' | 'integer' | 'uuid' | 'timestamp';

interface Column {
  readonly name: string;
  readonly nullable: boolean;
  readonly type: TypeFamily;
}

interface Check {
  readonly name: string;
  /** The columns its expression reads, sorted. */
  readonly columns: readonly string[];
}

interface Index {
  readonly name: string;
  readonly columns: readonly string[];
  readonly unique: boolean;
  /** A partial index's predicate, normalised (see {@link normalisedPredicate}); null for a whole index. */
  readonly where: string | null;
}

interface Table {
  readonly columns: readonly Column[];
  readonly primaryKey: readonly string[];
  /** UNIQUE constraints, each by its columns, sorted. */
  readonly uniqueKeys: readonly (readonly string[])[];
  /** Sorted by name. */
  readonly checks: readonly Check[];
  /** The indexes made by CREATE INDEX (not those behind a key), sorted by name. */
  readonly indexes: readonly Index[];
}

type Schema = Record<string, Table>;

interface SchemaReading {
  readonly schema: Schema;
  /** Text columns that take part in a key or an index, each with its collation. */
  readonly keyedTextCollations: Readonly<Record<string, string>>;
}

// ---- SQLite ----

function sqliteType(declared: string): TypeFamily {
  const type = declared.toUpperCase();
  if (type === 'TEXT') return 'text';
  if (type === 'INTEGER') return 'integer';
  throw new Error(`no type family for SQLite's ${declared}`);
}

/** The schema of a migrated SQLite database, from PRAGMA table_info / index_list / index_info and the tables' SQL. */
function readSqliteSchema(db: Connection): SchemaReading {
  const schema: Schema = {};
  const keyedTextCollations: Record<string, string> = {};
  const tables = db
    .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .all() as { name: string; sql: string }[];
  for (const { name: table, sql } of tables) {
    const withoutRowid = /\)\s*WITHOUT\s+ROWID\s*$/i.test(sql);
    const info = db.pragma(`table_info(${quoted(table)})`) as { name: string; type: string; notnull: number; pk: number }[];
    const types = new Map(info.map((column) => [column.name, sqliteType(column.type)]));
    const columns = info.map((column) => ({
      name: column.name,
      // A WITHOUT ROWID table's primary key columns are NOT NULL whatever they declare, as PostgreSQL's are.
      nullable: column.notnull === 0 && !(withoutRowid && column.pk > 0),
      type: sqliteType(column.type),
    }));
    const primaryKey = info
      .filter((column) => column.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((column) => column.name);
    const uniqueKeys: string[][] = [];
    const indexes: Index[] = [];
    const list = db.pragma(`index_list(${quoted(table)})`) as { name: string; unique: number; origin: string; partial: number }[];
    for (const index of list) {
      const xinfo = (db.pragma(`index_xinfo(${quoted(index.name)})`) as { name: string | null; coll: string; key: number }[]).filter(
        (column) => column.key === 1,
      );
      const indexColumns = xinfo.map((column) => column.name!);
      for (const column of xinfo) if (types.get(column.name!) === 'text') keyedTextCollations[`${table}.${column.name}`] = column.coll;
      if (index.origin === 'u') uniqueKeys.push([...indexColumns].sort());
      if (index.origin !== 'c') continue;
      const indexSql = (db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?").pluck().get(index.name) as string) ?? '';
      const where = /\sWHERE\s([\s\S]*)$/i.exec(indexSql)?.[1];
      indexes.push({ name: index.name, columns: indexColumns, unique: index.unique === 1, where: where === undefined ? null : normalisedPredicate(where) });
    }
    schema[table] = {
      columns,
      primaryKey,
      uniqueKeys: uniqueKeys.sort(byText),
      checks: sqliteChecks(table, sql, new Set(types.keys())),
      indexes: indexes.sort((a, b) => a.name.localeCompare(b.name)),
    };
  }
  return { schema, keyedTextCollations };
}

/**
 * The CHECK constraints of a CREATE TABLE statement: SQLite keeps no catalogue of them, only the text. A
 * named one keeps its name; an unnamed column constraint gets the name PostgreSQL would give it.
 */
function sqliteChecks(table: string, sql: string, columnNames: ReadonlySet<string>): Check[] {
  const body = sql.slice(sql.indexOf('(') + 1, sql.lastIndexOf(')'));
  const checks: Check[] = [];
  for (const definition of topLevelParts(body)) {
    const isColumn = !/^(CONSTRAINT|PRIMARY|UNIQUE|CHECK|FOREIGN)\b/i.test(definition);
    const column = isColumn ? definition.split(/\s+/)[0]! : undefined;
    const pattern = /(?:CONSTRAINT\s+(\w+)\s+)?CHECK\s*\(/gi;
    for (let m = pattern.exec(definition); m !== null; m = pattern.exec(definition)) {
      const expression = balanced(definition, m.index + m[0].length - 1);
      const name = m[1] ?? (column !== undefined ? `${table}_${column}_check` : `${table}_check`);
      checks.push({ name, columns: referencedColumns(expression, columnNames) });
      pattern.lastIndex = m.index + m[0].length + expression.length;
    }
  }
  return checks.sort((a, b) => a.name.localeCompare(b.name));
}

/** The comma-separated parts of a parenthesised list, commas inside nested parentheses left alone. */
function topLevelParts(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts.filter(Boolean);
}

/** The text inside the parentheses that open at `open`. */
function balanced(text: string, open: number): string {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return text.slice(open + 1, i);
  }
  throw new Error(`unbalanced parentheses in ${text}`);
}

function referencedColumns(expression: string, columnNames: ReadonlySet<string>): string[] {
  return [...new Set(expression.match(/[a-z_][a-z0-9_]*/gi) ?? [])].filter((word) => columnNames.has(word)).sort();
}

function quoted(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

// ---- PostgreSQL ----

function postgresType(dataType: string): TypeFamily {
  if (dataType === 'text') return 'text';
  if (dataType === 'smallint' || dataType === 'integer' || dataType === 'bigint') return 'integer';
  if (dataType === 'uuid') return 'uuid';
  if (dataType === 'timestamp with time zone') return 'timestamp';
  throw new Error(`no type family for PostgreSQL's ${dataType}`);
}

/** The schema of a migrated PostgreSQL schema, from information_schema and pg_catalog. */
async function readPostgresSchema(schemaName: string): Promise<SchemaReading> {
  const client = await connectPostgres(schemaName);
  try {
    const columnRows = (
      await client.query<{ table_name: string; column_name: string; is_nullable: string; data_type: string; collation_name: string | null }>(
        `SELECT c.table_name, c.column_name, c.is_nullable, c.data_type, c.collation_name
           FROM information_schema.columns c
           JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
          WHERE c.table_schema = $1 AND t.table_type = 'BASE TABLE'
          ORDER BY c.table_name, c.ordinal_position`,
        [schemaName],
      )
    ).rows;
    // Each constraint with its columns in key order (for a CHECK: the columns its expression reads).
    const constraints = (
      await client.query<{ table_name: string; name: string; type: string; columns: string[] }>(
        `SELECT r.relname AS table_name, c.conname AS name, c.contype AS type,
                ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
                        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS columns
           FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
          WHERE r.relnamespace = $1::regnamespace`,
        [schemaName],
      )
    ).rows;
    // Indexes made by CREATE INDEX: those behind a primary key or UNIQUE constraint are the constraints'.
    const indexRows = (
      await client.query<{ table_name: string; name: string; unique: boolean; predicate: string | null; columns: string[] }>(
        `SELECT t.relname AS table_name, i.relname AS name, x.indisunique AS unique, pg_get_expr(x.indpred, x.indrelid) AS predicate,
                ARRAY(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
                        JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS columns
           FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
          WHERE t.relnamespace = $1::regnamespace
            AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)`,
        [schemaName],
      )
    ).rows;
    const schema: Schema = {};
    for (const table of [...new Set(columnRows.map((row) => row.table_name))].sort()) {
      const mine = <Row extends { table_name: string }>(rows: readonly Row[]) => rows.filter((row) => row.table_name === table);
      const constraint = (type: string) => mine(constraints).filter((row) => row.type === type);
      schema[table] = {
        columns: mine(columnRows).map((row) => ({ name: row.column_name, nullable: row.is_nullable === 'YES', type: postgresType(row.data_type) })),
        primaryKey: constraint('p')[0]?.columns ?? [],
        uniqueKeys: constraint('u')
          .map((row) => [...row.columns].sort())
          .sort(byText),
        checks: constraint('c')
          .map((row) => ({ name: row.name, columns: [...row.columns].sort() }))
          .sort((a, b) => a.name.localeCompare(b.name)),
        indexes: mine(indexRows)
          .map((row) => ({ name: row.name, columns: row.columns, unique: row.unique, where: row.predicate === null ? null : normalisedPredicate(row.predicate) }))
          .sort((a, b) => a.name.localeCompare(b.name)),
      };
    }
    const keyed = new Set([...constraints.filter((row) => row.type !== 'c'), ...indexRows].flatMap((row) => row.columns.map((column) => `${row.table_name}.${column}`)));
    const keyedTextCollations = Object.fromEntries(
      columnRows
        .filter((row) => row.data_type === 'text' && keyed.has(`${row.table_name}.${row.column_name}`))
        .map((row) => [`${row.table_name}.${row.column_name}`, row.collation_name ?? '(default)']),
    );
    return { schema, keyedTextCollations };
  } finally {
    await client.end();
  }
}

// ---- comparing ----

/**
 * A predicate as both engines' texts agree on it: PostgreSQL writes it back fully parenthesised
 * (`((run_at_ticks IS NOT NULL) AND (finished_ticks IS NULL))`), SQLite as it was written.
 */
function normalisedPredicate(text: string): string {
  return text.replace(/[()\s]+/g, ' ').trim().toLowerCase();
}

function byText(a: readonly string[], b: readonly string[]): number {
  return a.join(',').localeCompare(b.join(','));
}

/** An engine's schema with the intended differences taken out: what the other engine's must equal. */
function comparable(schema: Schema, engine: 'sqlite' | 'postgres'): Schema {
  const { postgres: pgOrder, sqlite: sqliteOrder } = INTENDED_DIFFERENCES.ownerKeyOrder;
  const ownerFirst = (columns: readonly string[]) =>
    engine === 'postgres' && columns[0] === pgOrder[0] && columns[1] === pgOrder[1] ? [...sqliteOrder, ...columns.slice(2)] : columns;
  const result: Schema = {};
  for (const [name, table] of Object.entries(schema)) {
    if ((INTENDED_DIFFERENCES.bookkeeping as readonly string[]).includes(name)) continue;
    if (Object.hasOwn(INTENDED_DIFFERENCES.onlyIn[engine], name)) continue;
    result[name] = {
      ...table,
      primaryKey: ownerFirst(table.primaryKey),
      indexes: table.indexes.map((index) => ({ ...index, columns: ownerFirst(index.columns) })),
    };
  }
  return result;
}

function migratedSqlite(): Connection {
  return openSqliteDatabase(':memory:');
}

/** The latest schema read back from a fresh SQLite database. */
function freshSqliteSchema(): SchemaReading {
  const db = migratedSqlite();
  try {
    return readSqliteSchema(db);
  } finally {
    db.close();
  }
}

describe('schema parity: one schema on both engines', () => {
  it('the two engines’ migrations have the same versions and names, in order', () => {
    const list = (migrations: readonly { version: number; name: string }[]) => migrations.map(({ version, name }) => ({ version, name }));
    assert.deepEqual(list(SQLITE_MIGRATIONS), list(POSTGRES_MIGRATIONS));
    assert.deepEqual(
      SQLITE_MIGRATIONS.map((migration) => migration.version),
      SQLITE_MIGRATIONS.map((_, i) => i + 1),
      'numbered 1, 2, 3, … without a gap',
    );
  });

  it('SQLite: every text column in a key or an index compares bytewise (BINARY)', () => {
    for (const [column, collation] of Object.entries(freshSqliteSchema().keyedTextCollations)) assert.equal(collation, 'BINARY', column);
  });

  it('SQLite: the schema refuses a partial schedule, one that finishes before it runs, and an unknown outcome', () => {
    const db = migratedSqlite();
    try {
      const insert = db.prepare(
        `INSERT INTO operations (tenant_id, user_id, id, created_ticks, last_action_ticks, status, version, run_at_ticks, finish_at_ticks, outcome)
         VALUES ('t', 'u', ?, 0, 0, 0, 1, ?, ?, ?)`,
      );
      insert.run('ok', 1, 2, 1);
      insert.run('none', null, null, null);
      for (const [id, runAt, finishAt, outcome] of [['no-finish', 1, null, 0], ['no-outcome', 1, 2, null], ['backwards', 2, 1, 0], ['outcome', 1, 2, 2]]) {
        assert.throws(() => insert.run(id, runAt, finishAt, outcome), /CHECK constraint failed: operations_schedule_whole/, String(id));
      }
    } finally {
      db.close();
    }
  });

  it('SQLite: a database of an earlier release migrates to the very schema of a fresh one, keeping its rows', () => {
    const fresh = freshSqliteSchema().schema;
    // Released SQLite 4 made the indexes that are now migration 5 ('reads across owners'); its text, as released:
    const released4 = {
      version: 4,
      name: 'reads across owners',
      sql: `CREATE INDEX operations_by_created_all ON operations (created_ticks, id);
            CREATE INDEX operations_due ON operations (run_at_ticks) WHERE run_at_ticks IS NOT NULL AND finished_ticks IS NULL;`,
    };
    for (const releasedAt of [3, 4]) {
      const path = join(mkdtempSync(join(tmpdir(), 'graph-lro-parity-')), 'old.db');
      const old = new Database(path);
      old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)');
      const applied = [...SQLITE_MIGRATIONS.filter((m) => m.version <= 3), ...(releasedAt >= 4 ? [released4] : [])];
      for (const migration of applied) {
        old.exec(migration.sql);
        old.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, '');
      }
      old.exec(`INSERT INTO operations (tenant_id, user_id, id, created_ticks, last_action_ticks, status, version, run_at_ticks, finish_at_ticks, outcome)
                VALUES ('t', 'u', 'scheduled', 1, 1, 0, 1, 5, 9, 0), ('t', 'u', 'plain', 2, 2, 2, 3, NULL, NULL, NULL)`);
      old.close();
      const db = openSqliteDatabase(path);
      try {
        assert.deepEqual(readSqliteSchema(db).schema, fresh, `from version ${releasedAt}`);
        const rows = db.prepare('SELECT id, status, version, run_at_ticks, finish_at_ticks, outcome FROM operations ORDER BY id').all();
        assert.deepEqual(rows, [
          { id: 'plain', status: 2, version: 3, run_at_ticks: null, finish_at_ticks: null, outcome: null },
          { id: 'scheduled', status: 0, version: 1, run_at_ticks: 5, finish_at_ticks: 9, outcome: 0 },
        ]);
      } finally {
        db.close();
      }
    }
  });
});

await describePostgres('schema parity: SQLite against PostgreSQL', () => {
  it('tables, columns, keys, CHECK constraints and indexes are the same, but for the intended differences', async () => {
    const store = await openFreshPostgresStore();
    let postgres: SchemaReading;
    try {
      postgres = await readPostgresSchema(store.schema);
    } finally {
      await store.close();
    }
    const sqlite = freshSqliteSchema();
    // Every listed difference is still there: an entry that no longer holds must go from the list.
    for (const table of Object.keys(INTENDED_DIFFERENCES.onlyIn.postgres)) {
      assert.ok(table in postgres.schema && !(table in sqlite.schema), `${table} is in PostgreSQL only`);
    }
    for (const table of Object.keys(INTENDED_DIFFERENCES.onlyIn.sqlite)) {
      assert.ok(table in sqlite.schema && !(table in postgres.schema), `${table} is in SQLite only`);
    }
    for (const table of INTENDED_DIFFERENCES.bookkeeping) assert.ok(table in postgres.schema && table in sqlite.schema, `${table} is on both`);
    const expected = comparable(postgres.schema, 'postgres');
    const actual = comparable(sqlite.schema, 'sqlite');
    assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), 'the same tables');
    for (const table of Object.keys(expected)) assert.deepEqual(actual[table], expected[table], `table ${table}`);
  });

  it('PostgreSQL: every text column in a key or an index compares bytewise (COLLATE "C"), as SQLite’s BINARY does', async () => {
    const store = await openFreshPostgresStore();
    try {
      const { keyedTextCollations } = await readPostgresSchema(store.schema);
      assert.ok(Object.keys(keyedTextCollations).length > 0);
      for (const [column, collation] of Object.entries(keyedTextCollations)) assert.equal(collation, 'C', column);
    } finally {
      await store.close();
    }
  });
});
