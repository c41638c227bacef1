/**
 * The SQLite ceiling: graph-lro's storage work on the same database file with nothing else — plain
 * `node:http`, better-sqlite3, prepared statements, WAL with `synchronous = FULL` (graph-lro's level), each
 * write its own transaction and its own sync. With `--synchronous NORMAL` it syncs only at checkpoints: the
 * speed of no sync per commit, which group commit aims at while keeping FULL's durability.
 *
 *   node --import tsx bench/ceiling-sqlite.ts --port 5060 --data ./data [--synchronous NORMAL]
 */
import Database from 'better-sqlite3';
import { join, resolve } from 'node:path';
import { nowTicks, OPERATION_COLUMNS, readCeilingArgs, serveCeiling, type Row } from './ceiling-common.js';

const args = readCeilingArgs(process.argv.slice(2));
if (args.data === undefined) throw new Error('--data <folder holding graph-lro.db> is required');

const db = new Database(join(resolve(args.data), 'graph-lro.db'), { fileMustExist: true });
db.pragma('journal_mode = WAL');
if (!['FULL', 'NORMAL'].includes(args.synchronous)) throw new Error(`--synchronous must be FULL or NORMAL, not ${args.synchronous}`);
db.pragma(`synchronous = ${args.synchronous}`); // FULL: the durability graph-lro promises, every commit synced
db.pragma('busy_timeout = 5000'); // graph-lro, when idle beside it, may hold the write lock for its retention purge

const owner = { tenantId: args.tenantId, userId: args.userId };
const KEY = 'tenant_id = @tenantId AND user_id = @userId AND id = @id';
const select = db.prepare<[Record<string, unknown>], Row>(`SELECT ${OPERATION_COLUMNS} FROM operations WHERE ${KEY}`).safeIntegers(true);
// One statement: write and read back. Run with all(), never get(): get() resets the statement after its
// first row, before SQLite's step reaches DONE, and only a step that reaches DONE runs the WAL hook, i.e.
// the auto-checkpoint. With get() the commits still happen (at reset) but the WAL is never checkpointed and
// grows without bound (measured: 90 MiB in 12 s of PATCHes on a 1,000-row database).
const update = db
  .prepare<[Record<string, unknown>], Row>(
    `UPDATE operations
     SET last_action_ticks = @now, status = @status,
         status_detail = CASE WHEN @keepDetail THEN status_detail ELSE @statusDetail END,
         finished_ticks = CASE WHEN @status >= 2 THEN @now ELSE NULL END, version = version + 1
     WHERE ${KEY} AND status IN (0, 1)
     RETURNING ${OPERATION_COLUMNS}`,
  )
  .safeIntegers(true);
const page = db
  .prepare<[Record<string, unknown>], Row>(
    `SELECT ${OPERATION_COLUMNS} FROM operations WHERE tenant_id = @tenantId AND user_id = @userId
     ORDER BY created_ticks, id LIMIT @top`,
  )
  .safeIntegers(true);

await serveCeiling(
  args.port,
  {
    get: async (id) => select.get({ ...owner, id }),
    update: async (id, patch) =>
      update.all({
        ...owner,
        id,
        now: nowTicks(),
        status: patch.status,
        keepDetail: patch.statusDetail === undefined ? 1 : 0,
        statusDetail: patch.statusDetail ?? null,
      })[0],
    list: async (top) => page.all({ ...owner, top }),
  },
  {
    engine: 'sqlite',
    journal_mode: db.pragma('journal_mode', { simple: true }),
    synchronous: Number(db.pragma('synchronous', { simple: true })),
  },
);
