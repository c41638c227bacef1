/**
 * The PostgreSQL ceiling: graph-lro's storage work on the same schema with nothing else — plain
 * `node:http`, a `pg` Pool of 10 connections (graph-lro's default), named (prepared) statements.
 *
 *   node --import tsx bench/ceiling-postgres.ts --port 5061 --database postgres://postgres@127.0.0.1:5432/test --db-schema bench
 */
import pg from 'pg';
import { nowTicks, OPERATION_COLUMNS, readCeilingArgs, serveCeiling, type Row } from './ceiling-common.js';

const args = readCeilingArgs(process.argv.slice(2));
if (args.database === undefined) throw new Error('--database <postgres:// URL> is required');

const POOL_SIZE = 10;
const pool = new pg.Pool({ connectionString: args.database, max: POOL_SIZE, application_name: 'graph-lro-ceiling' });
pool.on('error', () => undefined); // an idle connection dropped: the pool replaces it

const table = args.dbSchema === undefined ? 'operations' : `${quoteIdentifier(args.dbSchema)}.operations`;
const KEY = 'tenant_id = $1 AND user_id = $2 AND id = $3';
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
  text: `SELECT ${OPERATION_COLUMNS} FROM ${table} WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_ticks, id LIMIT $3`,
};

const { tenantId, userId } = args;
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
  { engine: 'postgres', poolSize: POOL_SIZE, ...settings.rows[0] },
);

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
