/**
 * Seeds N operations of the dev user straight into a store (not through HTTP), with graph-lro's own
 * migrations, so graph-lro and the ceiling then read the very same data.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import pg from 'pg';
import { migrate as migrateSqlite } from '../src/store/sqlite/migrations.js';
import { migrate as migratePostgres, quoteIdentifier } from '../src/store/postgres/migrations.js';
import { DEV_TENANT_ID, DEV_USER_PRINCIPAL_NAME, derivedObjectId } from '../src/users/seed-users.js';

export const DATABASE_FILE = 'graph-lro.db'; // the name graph-lro's cli.ts gives the file in --data

export const OWNER = {
  tenantId: DEV_TENANT_ID,
  userId: derivedObjectId(DEV_TENANT_ID, DEV_USER_PRINCIPAL_NAME),
  userPrincipalName: DEV_USER_PRINCIPAL_NAME,
} as const;

export interface SeededIds {
  /** Every seeded id (GETs pick from these). */
  readonly all: string[];
  /** The notStarted and running ones: a PATCH to `running` is legal on them (a finished one answers 409). */
  readonly open: string[];
}

export interface SeedResult extends SeededIds {
  readonly seconds: number;
  /** Seconds per step, in order. */
  readonly phases: Record<string, number>;
  readonly statusCounts: Record<string, number>;
}

const TICKS_PER_MS = 10_000n;
const STATUS_NAMES = ['notStarted', 'running', 'succeeded', 'failed'] as const;

/** The rows column by column (a million row objects would cost the runner far more memory and time). */
interface SeedRows {
  readonly count: number;
  readonly id: string[];
  /** Row numbers in ascending id order (key order). */
  readonly byId: Uint32Array;
  readonly created: BigInt64Array;
  readonly lastAction: BigInt64Array;
  readonly status: Uint8Array;
  readonly version: Uint8Array;
  readonly statusDetail: (string | null)[];
  readonly resourceLocation: (string | null)[];
}

/** Seconds spent in each step since the previous one. */
class Laps {
  readonly phases: Record<string, number> = {};
  readonly #started = performance.now();
  #last = this.#started;

  mark(step: string): void {
    const now = performance.now();
    this.phases[step] = Math.round(now - this.#last) / 1000;
    this.#last = now;
  }

  get seconds(): number {
    return (performance.now() - this.#started) / 1000;
  }
}

/** mulberry32: the same rows for the same N, run after run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/**
 * N version-4-shaped GUIDs in ascending order, without a sort: the first 48 bits are N sorted uniform draws
 * (cumulative exponential spacings), the rest random. They look like graph-lro's randomUUID() ids.
 */
function sortedUuids(count: number, next: () => number): string[] {
  const random = () => (next() + 0.5) / 4294967296;
  const spacings = new Float64Array(count + 1);
  let total = 0;
  for (let k = 0; k <= count; k++) spacings[k] = total += -Math.log(random());
  const ids = new Array<string>(count);
  const hex8 = () => next().toString(16).padStart(8, '0');
  for (let k = 0; k < count; k++) {
    const prefix = Math.floor((spacings[k]! / total) * 2 ** 48).toString(16).padStart(12, '0');
    const tail = hex8() + hex8() + hex8();
    const variant = ((parseInt(tail[3]!, 16) & 0x3) | 0x8).toString(16);
    ids[k] = `${prefix.slice(0, 8)}-${prefix.slice(8, 12)}-4${tail.slice(0, 3)}-${variant}${tail.slice(4, 7)}-${tail.slice(7, 19)}`;
  }
  return ids;
}

/**
 * The rows, in creation order over the last 6 hours (all recent: retention, 24 h by default, must not purge
 * finished rows while the benchmark reads them). 45 % running, 40 % notStarted, 10 % succeeded, 5 % failed.
 * Ids are random with respect to creation order, as graph-lro's are; `byId` lists the rows in id order.
 */
function generate(count: number): SeedRows {
  if (lastGenerated?.count === count) return lastGenerated;
  lastGenerated = undefined; // a million rows are worth freeing before the next count is built
  const next = prng(0x5eed ^ count);
  const random = () => next() / 4294967296;
  const sorted = sortedUuids(count, next);
  // A random permutation: the row created i-th gets the rank[i]-th smallest id.
  const rank = Uint32Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = rank[i]!;
    rank[i] = rank[j]!;
    rank[j] = swap;
  }
  const byId = new Uint32Array(count);
  const rows: SeedRows = {
    count,
    id: new Array<string>(count),
    byId,
    created: new BigInt64Array(count),
    lastAction: new BigInt64Array(count),
    status: new Uint8Array(count),
    version: new Uint8Array(count),
    statusDetail: new Array<string | null>(count),
    resourceLocation: new Array<string | null>(count),
  };
  const nowMs = Date.now();
  const spanMs = 6 * 3600 * 1000;
  const stepTicks = (spanMs * 10_000) / Math.max(count, 1);
  const startTicks = BigInt(nowMs - spanMs) * TICKS_PER_MS;
  const nowTicks = BigInt(nowMs) * TICKS_PER_MS;
  const locationIds = sortedUuids(Math.ceil(count / 8), next);
  for (let i = 0; i < count; i++) {
    const created = startTicks + BigInt(Math.floor((i + random()) * stepTicks));
    const later = created + BigInt(Math.floor(random() * 600_000)) * TICKS_PER_MS; // up to 10 minutes later
    const r = random();
    const status = r < 0.45 ? 1 : r < 0.85 ? 0 : r < 0.95 ? 2 : 3;
    rows.id[i] = sorted[rank[i]!]!;
    byId[rank[i]!] = i;
    rows.created[i] = created;
    rows.lastAction[i] = status === 0 ? created : later < nowTicks ? later : nowTicks;
    rows.status[i] = status;
    rows.version[i] = status === 0 ? 1 : 2 + Math.floor(random() * 3);
    rows.statusDetail[i] = status === 1 ? `step ${1 + Math.floor(random() * 9)} of 10` : status === 3 ? 'The provider refused the request.' : null;
    rows.resourceLocation[i] =
      status === 2 ? `https://graph.microsoft.com/v1.0/me/authentication/methods/${locationIds[Math.floor(random() * locationIds.length)]}` : null;
  }
  lastGenerated = rows;
  return rows;
}

/** The runner seeds every engine with one row count in turn: the rows are generated once for all of them. */
let lastGenerated: SeedRows | undefined;

function summarize(rows: SeedRows): SeededIds & { statusCounts: Record<string, number> } {
  const open: string[] = [];
  const counts: Record<string, number> = {};
  for (let i = 0; i < rows.count; i++) {
    const status = rows.status[i]!;
    if (status < 2) open.push(rows.id[i]!);
    const name = STATUS_NAMES[status]!;
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return { all: rows.id, open, statusCounts: counts };
}

/** graph-lro's finished_ticks: when a terminal status was reached (its last action, for seeded rows). */
function finished(rows: SeedRows, i: number): bigint | null {
  return rows.status[i]! >= 2 ? rows.lastAction[i]! : null;
}

/**
 * Creates `<dir>/graph-lro.db` with graph-lro's migrations and N rows, and leaves it in WAL mode. The rows go
 * in key order with the secondary indexes dropped, which are then rebuilt from their own stored definitions:
 * the same schema graph-lro created, loaded in seconds instead of a minute of random b-tree inserts.
 */
export function seedSqlite(dir: string, count: number): SeedResult {
  const laps = new Laps();
  const rows = generate(count);
  laps.mark('generate');
  const db = new Database(join(dir, DATABASE_FILE));
  try {
    // Loading only: a rollback journal and no syncs (the servers later open it with WAL and synchronous = FULL).
    db.pragma('journal_mode = DELETE');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -1048576');
    db.pragma('temp_store = MEMORY');
    migrateSqlite(db);
    const indexes = db
      .prepare<[], { name: string; sql: string }>(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'operations' AND sql IS NOT NULL`)
      .all();
    const insertUser = db.prepare('INSERT INTO users (tenant_id, id, user_principal_name, upn_lower) VALUES (?, ?, ?, ?)');
    const insert = db.prepare(
      `INSERT INTO operations (tenant_id, user_id, id, created_ticks, last_action_ticks, status, status_detail, resource_location, version, finished_ticks)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    db.transaction(() => {
      for (const { name } of indexes) db.exec(`DROP INDEX "${name.replaceAll('"', '""')}"`);
      insertUser.run(OWNER.tenantId, OWNER.userId, OWNER.userPrincipalName, OWNER.userPrincipalName.toLowerCase());
      for (const i of rows.byId) {
        insert.run(
          OWNER.tenantId,
          OWNER.userId,
          rows.id[i],
          rows.created[i],
          rows.lastAction[i],
          rows.status[i],
          rows.statusDetail[i],
          rows.resourceLocation[i],
          rows.version[i],
          finished(rows, i),
        );
      }
      laps.mark('insert');
      for (const { sql } of indexes) db.exec(sql);
      laps.mark('index');
    })();
    db.pragma('journal_mode = WAL');
    laps.mark('commit');
    return { ...summarize(rows), seconds: laps.seconds, phases: laps.phases };
  } finally {
    db.close();
  }
}

/** Rows per INSERT … SELECT FROM unnest(…): one round trip, eight array parameters. */
const PG_BATCH = 50_000;

/**
 * Creates `schema` with graph-lro's PostgreSQL migrations and N rows, vacuumed and analyzed. The rows go in
 * creation order (the heap order a real table gets) with the table's indexes and primary key dropped, which
 * are then rebuilt from their own stored definitions.
 */
export async function seedPostgres(connectionString: string, schema: string, count: number): Promise<SeedResult> {
  const laps = new Laps();
  const rows = generate(count);
  laps.mark('generate');
  const client = new pg.Client({ connectionString, application_name: 'graph-lro-bench-seed' });
  await client.connect();
  try {
    await migratePostgres(client, schema);
    const q = quoteIdentifier(schema);
    // Loading only; the servers run with the server's own settings.
    await client.query('SET synchronous_commit = off');
    await client.query(`SET maintenance_work_mem = '512MB'`);
    await client.query('BEGIN');
    const indexes = await client.query<{ name: string; definition: string }>(
      `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = $1::regclass AND NOT x.indisprimary`,
      [`${q}.operations`],
    );
    const primaryKey = await client.query<{ name: string; definition: string }>(
      `SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'`,
      [`${q}.operations`],
    );
    for (const { name } of indexes.rows) await client.query(`DROP INDEX ${q}.${quoteIdentifier(name)}`);
    for (const { name } of primaryKey.rows) await client.query(`ALTER TABLE ${q}.operations DROP CONSTRAINT ${quoteIdentifier(name)}`);
    await client.query(`INSERT INTO ${q}.users (tenant_id, id, user_principal_name, upn_lower) VALUES ($1, $2, $3, $4)`, [
      OWNER.tenantId,
      OWNER.userId,
      OWNER.userPrincipalName,
      OWNER.userPrincipalName.toLowerCase(),
    ]);
    const insert = `INSERT INTO ${q}.operations
        (tenant_id, user_id, id, created_ticks, last_action_ticks, status, status_detail, resource_location, version, finished_ticks)
      SELECT $1, $2, u.* FROM unnest($3::text[], $4::int8[], $5::int8[], $6::int2[], $7::text[], $8::text[], $9::int4[], $10::int8[]) AS u`;
    for (let from = 0; from < count; from += PG_BATCH) {
      const to = Math.min(from + PG_BATCH, count);
      const slice = <T>(pick: (i: number) => T) => Array.from({ length: to - from }, (_, k) => pick(from + k));
      await client.query(insert, [
        OWNER.tenantId,
        OWNER.userId,
        rows.id.slice(from, to),
        slice((i) => rows.created[i]!.toString()),
        slice((i) => rows.lastAction[i]!.toString()),
        Array.from(rows.status.subarray(from, to)),
        rows.statusDetail.slice(from, to),
        rows.resourceLocation.slice(from, to),
        Array.from(rows.version.subarray(from, to)),
        slice((i) => finished(rows, i)?.toString() ?? null),
      ]);
    }
    laps.mark('insert');
    for (const { name, definition } of primaryKey.rows) {
      await client.query(`ALTER TABLE ${q}.operations ADD CONSTRAINT ${quoteIdentifier(name)} ${definition}`);
    }
    for (const { definition } of indexes.rows) await client.query(definition);
    await client.query('COMMIT');
    laps.mark('index');
    // Otherwise autovacuum/autoanalyze would wake up on the fresh rows in the middle of a measurement.
    await client.query(`VACUUM (ANALYZE) ${q}.operations, ${q}.users`);
    laps.mark('vacuum');
    return { ...summarize(rows), seconds: laps.seconds, phases: laps.phases };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

export async function dropPostgresSchema(connectionString: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString, application_name: 'graph-lro-bench-cleanup' });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}
