/**
 * The PostgreSQL ceiling: graph-lro's storage work on the same schema with nothing else — plain
 * `node:http`, a `pg` Pool of 10 connections (graph-lro's default), named (prepared) statements.
 *
 * With `--minimal`, the least a Graph-shaped server could do instead: a table of its own holding only the
 * Graph columns plus the user and the id (a copy of the user's rows, made at start), keyed by (user, id),
 * with none of graph-lro's tenant, schedule or index columns. Beside the faithful ceiling, it shows what
 * graph-lro's schema and rules cost on top of the storage round trip.
 *
 *   node --import tsx bench/ceiling-postgres.ts --port 5061 --database postgres://postgres@127.0.0.1:5432/test --db-schema bench [--minimal]
 */
import pg from 'pg';
import { nowTicks, OPERATION_COLUMNS, readCeilingArgs, serveCeiling, type Row } from './ceiling-common.js';

const args = readCeilingArgs(process.argv.slice(2));
if (args.database === undefined) throw new Error('--database <postgres:// URL> is required');

const POOL_SIZE = 10;
const pool = new pg.Pool({ connectionString: args.database, max: POOL_SIZE, application_name: 'graph-lro-ceiling' });
pool.on('error', () => undefined); // an idle connection dropped: the pool replaces it

const qualified = (name: string) => (args.dbSchema === undefined ? name : `${quoteIdentifier(args.dbSchema)}.${name}`);
const table = args.minimal ? qualified('minimal_operations') : qualified('operations');
// The minimal table has no tenant: its key's first placeholder is bound and ignored, so both run the same calls.
const KEY = args.minimal ? '$1::text IS NOT NULL AND user_id = $2 AND id = $3' : 'tenant_id = $1 AND user_id = $2 AND id = $3';
const OWNER = args.minimal ? '$1::text IS NOT NULL AND user_id = $2' : 'tenant_id = $1 AND user_id = $2';
const GET = { name: 'ceiling/get', text: `SELECT ${OPERATION_COLUMNS} FROM ${table} WHERE ${KEY}` };
const UPDATE = {
  name: 'ceiling/update',
  text: `UPDATE ${table}
         SET last_action_ticks = $4::bigint, status = $5::smallint,
             status_detail = CASE WHEN $6::boolean THEN status_detail ELSE $7::text END,
             finished_ticks = CASE WHEN $5::smallint >= 2 THEN $4::bigint END, version = version + 1
         WHERE ${KEY} AND status IN (0, 1)
         RETURNING ${OPERATION_COLUMNS}`,
};
const PAGE = {
  name: 'ceiling/page',
  text: `SELECT ${OPERATION_COLUMNS} FROM ${table} WHERE ${OWNER} ORDER BY created_ticks, id LIMIT $3`,
};

const { tenantId, userId } = args;
if (args.minimal) await copyToMinimalTable();
const settings = await pool.query<{ synchronous_commit: string; fsync: string }>(
  `SELECT current_setting('synchronous_commit') AS synchronous_commit, current_setting('fsync') AS fsync`,
);

await serveCeiling(
  args.port,
  {
    get: async (id) => (await pool.query<Row>({ ...GET, values: [tenantId, userId, id] })).rows[0],
    update: async (id, patch) =>
      (
        await pool.query<Row>({
          ...UPDATE,
          values: [tenantId, userId, id, nowTicks().toString(), patch.status, patch.statusDetail === undefined, patch.statusDetail ?? null],
        })
      ).rows[0],
    list: async (top) => (await pool.query<Row>({ ...PAGE, values: [tenantId, userId, top] })).rows,
  },
  { engine: 'postgres', poolSize: POOL_SIZE, table: args.minimal ? 'minimal' : 'graph-lro', ...settings.rows[0] },
);

/** The user's rows, copied into a table of the Graph columns, the user and the id (made anew at each start). */
async function copyToMinimalTable(): Promise<void> {
  await pool.query(`DROP TABLE IF EXISTS ${table}`);
  await pool.query(
    `CREATE TABLE ${table} (
       user_id text COLLATE "C" NOT NULL, id text COLLATE "C" NOT NULL, created_ticks bigint NOT NULL, last_action_ticks bigint NOT NULL,
       status smallint NOT NULL, status_detail text, resource_location text, version integer NOT NULL, finished_ticks bigint,
       PRIMARY KEY (user_id, id))`,
  );
  await pool.query(
    `INSERT INTO ${table} SELECT user_id, id, created_ticks, last_action_ticks, status, status_detail, resource_location, version, finished_ticks
     FROM ${qualified('operations')} WHERE tenant_id = $1 AND user_id = $2`,
    [tenantId, userId],
  );
  await pool.query(`CREATE INDEX ON ${table} (user_id, created_ticks, id)`);
  await pool.query(`ANALYZE ${table}`);
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
