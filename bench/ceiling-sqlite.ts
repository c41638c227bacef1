/**
 * The SQLite ceiling: graph-lro's storage work on the same database file with nothing else — plain
 * `node:http`, better-sqlite3, prepared statements, WAL with `synchronous = FULL` (graph-lro's level), each
 * write its own transaction and its own sync. With `--synchronous NORMAL` it syncs only at checkpoints: the
 * speed of no sync per commit, which group commit aims at while keeping FULL's durability.
 *
 * `--commit loop|thread` groups the writes instead (see ceiling-sqlite-writer.ts): on the event loop, as
 * graph-lro does, or in a writer thread while the main thread keeps reading. SIGUSR2 prints the grouping so
 * far as a line `commits {…}` (bench/commit-designs.ts reads it around each run).
 *
 *   node --import tsx bench/ceiling-sqlite.ts --port 5060 --data ./data [--synchronous NORMAL] [--commit loop|thread]
 */
import { join, resolve } from 'node:path';
import { OPERATION_COLUMNS, readCeilingArgs, serveCeiling, type Row } from './ceiling-common.js';
import { COMMIT_MODES, eachWriter, loopWriter, openConnection, threadWriter, type CommitMode, type Writer } from './ceiling-sqlite-writer.js';

const args = readCeilingArgs(process.argv.slice(2));
if (args.data === undefined) throw new Error('--data <folder holding graph-lro.db> is required');
if (!['FULL', 'NORMAL'].includes(args.synchronous)) throw new Error(`--synchronous must be FULL or NORMAL, not ${args.synchronous}`);
if (!(COMMIT_MODES as readonly string[]).includes(args.commit)) throw new Error(`--commit must be ${COMMIT_MODES.join(', ')}, not ${args.commit}`);
const commit = args.commit as CommitMode;

const file = join(resolve(args.data), 'graph-lro.db');
// In `thread` mode this connection only reads: the writer thread opens its own.
const db = openConnection(file, args.synchronous);

const owner = { tenantId: args.tenantId, userId: args.userId };
const KEY = 'tenant_id = @tenantId AND user_id = @userId AND id = @id';
const select = db.prepare<[Record<string, unknown>], Row>(`SELECT ${OPERATION_COLUMNS} FROM operations WHERE ${KEY}`).safeIntegers(true);
const page = db
  .prepare<[Record<string, unknown>], Row>(
    `SELECT ${OPERATION_COLUMNS} FROM operations WHERE tenant_id = @tenantId AND user_id = @userId
     ORDER BY created_ticks, id LIMIT @top`,
  )
  .safeIntegers(true);

const writer: Writer =
  commit === 'each' ? eachWriter(db, owner) : commit === 'loop' ? await loopWriter(db, owner) : await threadWriter(file, args.synchronous, owner);
process.on('SIGUSR2', () => {
  writer.statistics().then(
    (statistics) => process.stdout.write(`commits ${JSON.stringify(statistics ?? null)}\n`),
    (error: unknown) => process.stderr.write(`statistics: ${(error as Error).message}\n`),
  );
});

await serveCeiling(
  args.port,
  {
    get: async (id) => select.get({ ...owner, id }),
    update: (id, patch) => writer.update(id, patch),
    list: async (top) => page.all({ ...owner, top }),
  },
  {
    engine: 'sqlite',
    journal_mode: db.pragma('journal_mode', { simple: true }),
    synchronous: Number(db.pragma('synchronous', { simple: true })),
    commit,
  },
);
