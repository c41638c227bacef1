/**
 * What one page of a listing costs the store, by its order, as one user's operations grow: the default
 * order and `createdDateTime` and a `$filter` on status read an index range; `lastActionDateTime`, which
 * every PATCH writes and so has no index (migration 9, "updates in place"), sorts the user's rows. Through
 * the store's own `list`, in-process, on the rows `npm run bench` seeds, so no HTTP is counted.
 *
 *   node --import tsx bench/orderings.ts [--rows 1000,100000,1000000] [--engines sqlite,postgres] [--pages 15]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ListQuery } from '../src/operations/ports/operation-store.js';
import type { Store } from '../src/operations/ports/store.js';
import { openPostgresStore } from '../src/store/postgres/postgres-store.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { statusValue } from '../src/operations/status.js';
import { median, percentile, writeResults } from './report.js';
import { DATABASE_FILE, dropPostgresSchema, OWNER, seedPostgres, seedSqlite } from './seed.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000,100000,1000000' },
    engines: { type: 'string', default: 'sqlite,postgres' },
    pages: { type: 'string', default: '15' },
    database: { type: 'string', default: process.env.GRAPH_LRO_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const startedAt = new Date().toISOString();
const rowCounts = values.rows.split(',').map(Number);
const engines = values.engines.split(',');
const pages = Number(values.pages);

const PAGE = 100;
const QUERIES: Record<string, ListQuery> = {
  'default order (id)': { orderBy: [], limit: PAGE },
  'createdDateTime desc': { orderBy: [{ property: 'createdDateTime', descending: true }], limit: PAGE },
  "status eq 'running'": { filter: { kind: 'compare', op: 'eq', property: 'status', value: statusValue('running') }, orderBy: [], limit: PAGE },
  'lastActionDateTime desc': { orderBy: [{ property: 'lastActionDateTime', descending: true }], limit: PAGE },
};

interface Measured {
  engine: string;
  rows: number;
  query: string;
  medianMs: number;
  p90Ms: number;
}

const results: Measured[] = [];
for (const engine of engines) {
  for (const rows of rowCounts) {
    await withSeededStore(engine, rows, async (store) => {
      for (const [query, list] of Object.entries(QUERIES)) {
        const times = await timePages(store, list);
        const medianMs = median(times);
        results.push({ engine, rows, query, medianMs, p90Ms: percentile([...times].sort((a, b) => a - b), 90) });
        process.stderr.write(`[${engine} ${rows.toLocaleString('en-US')}] ${query}: ${medianMs.toFixed(2)} ms\n`);
      }
    });
  }
}

const table = [
  '| engine | rows of the user | listing (a page of 100) | median ms | p90 ms |',
  '|---|---:|---|---:|---:|',
  ...results.map((r) => `| ${r.engine} | ${r.rows.toLocaleString('en-US')} | \`${r.query}\` | ${r.medianMs.toFixed(2)} | ${r.p90Ms.toFixed(2)} |`),
].join('\n');
process.stdout.write(`${table}\n`);
const report = { startedAt, node: process.version, pages, results };
const file = writeResults(report, 'orderings');
process.stdout.write(`Wrote ${file}\n`);

/** Every first page of `list`, after one unmeasured page that warms the caches and plans the statement. */
async function timePages(store: Store, list: ListQuery): Promise<number[]> {
  await store.operations.list(OWNER, list);
  const times: number[] = [];
  for (let i = 0; i < pages; i++) {
    const start = process.hrtime.bigint();
    const page = await store.operations.list(OWNER, list);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (page.length !== PAGE) throw new Error(`expected a full page, got ${page.length} rows`);
  }
  return times;
}

async function withSeededStore(engine: string, rows: number, body: (store: Store) => Promise<void>): Promise<void> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'graph-lro-orderings-'));
    try {
      seedSqlite(dir, rows);
      const store = openSqliteStore({ path: join(dir, DATABASE_FILE) });
      try {
        await body(store);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return;
  }
  const schema = `bench_orderings_${process.pid}`;
  try {
    await seedPostgres(values.database, schema, rows);
    const store = await openPostgresStore({ connectionString: values.database, schema });
    try {
      await body(store);
    } finally {
      await store.close();
    }
  } finally {
    await dropPostgresSchema(values.database, schema);
  }
}
