/**
 * The SQLite ceiling's one write (PATCH: an UPDATE … RETURNING) and where it is committed (`--commit`):
 *
 * - `each`: its own transaction and its own sync, at once (the ceiling as it always was);
 * - `loop`: graph-lro's own group commit (src/store/sqlite/group-commit.ts) on the event loop: the writes of
 *   one turn share a transaction and a sync, and the loop serves nothing while the disk syncs;
 * - `thread`: the same GroupCommit in a worker thread that owns the only writing connection. The main thread
 *   keeps a connection of its own for reads, which go on while the worker waits for the disk.
 *
 * Both grouped modes use the very same GroupCommit, so the comparison is only about which thread syncs.
 * This file is also the worker's entry: started with its own URL, it runs as whatever the ceiling runs as
 * (TypeScript under tsx, or JavaScript transpiled to bench/.build/).
 */
import Database, { type Database as Connection } from 'better-sqlite3';
import { readlinkSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData, type MessagePort } from 'node:worker_threads';
import { nowTicks, OPERATION_COLUMNS, type Patch, type Row } from './ceiling-common.js';

export const COMMIT_MODES = ['each', 'loop', 'thread'] as const;
export type CommitMode = (typeof COMMIT_MODES)[number];

export interface Owner {
  readonly tenantId: string;
  readonly userId: string;
}

export interface WriterStatistics {
  readonly commits: number;
  readonly writes: number;
  readonly largestGroup: number;
  /** Time spent inside group transactions (the statements and the sync): the committing thread was blocked that long. */
  readonly commitMs: number;
  /** The committing thread's id in the kernel (Linux), so that its CPU can be read from /proc/<pid>/task/<tid>/stat. */
  readonly tid?: number;
}

export interface Writer {
  update(id: string, patch: Patch): Promise<Row | undefined>;
  /** `undefined` in `each` mode: there every write is a commit, and nothing is counted so that nothing changes. */
  statistics(): Promise<WriterStatistics | undefined>;
  close(): Promise<void>;
}

/** A connection as the ceiling has always opened it; the writer thread opens its own the same way. */
export function openConnection(file: string, synchronous: string): Connection {
  const db = new Database(file, { fileMustExist: true });
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`); // FULL: the durability graph-lro promises, every commit synced
  db.pragma('busy_timeout = 5000'); // graph-lro, when idle beside it, may hold the write lock for its retention purge
  return db;
}

const KEY = 'tenant_id = @tenantId AND user_id = @userId AND id = @id';

/** The row as written, or `undefined` for an unknown or finished operation. Runs in whichever thread owns `db`. */
export function prepareUpdate(db: Connection, owner: Owner): (id: string, patch: Patch) => Row | undefined {
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
  return (id, patch) =>
    update.all({
      ...owner,
      id,
      now: nowTicks(),
      status: patch.status,
      keepDetail: patch.statusDetail === undefined ? 1 : 0,
      statusDetail: patch.statusDetail ?? null,
    })[0];
}

export function eachWriter(db: Connection, owner: Owner): Writer {
  const write = prepareUpdate(db, owner);
  return { update: async (id, patch) => write(id, patch), statistics: async () => undefined, close: async () => undefined };
}

export async function loopWriter(db: Connection, owner: Owner): Promise<Writer> {
  const write = prepareUpdate(db, owner);
  const group = await timedGroupCommit(db);
  return {
    update: (id, patch) => group.run(() => write(id, patch)),
    statistics: async () => group.timedStatistics(),
    close: async () => group.commitQueued(),
  };
}

// ---------------------------------------------------------------------------------------------------------
// graph-lro's GroupCommit, timed

type GroupCommitModule = typeof import('../src/store/sqlite/group-commit.js');

/**
 * Loaded only by the grouped modes, so that `each` imports nothing from src/ (see ceiling-common.ts). Under
 * tsx this file sits in bench/, beside src/; transpiled to bench/.build/ it is plain JavaScript, which can
 * only load compiled graph-lro: dist/, which run.ts builds and runs graph-lro from.
 */
async function loadGroupCommit(): Promise<GroupCommitModule['GroupCommit']> {
  const path = import.meta.url.endsWith('.ts') ? '../src/store/sqlite/group-commit.ts' : '../../dist/store/sqlite/group-commit.js';
  return ((await import(new URL(path, import.meta.url).href)) as GroupCommitModule).GroupCommit;
}

async function timedGroupCommit(db: Connection) {
  const GroupCommit = await loadGroupCommit();
  const tid = kernelThreadId();
  return new (class extends GroupCommit {
    #commitMs = 0;

    // GroupCommit's setImmediate calls this.commitQueued(), so every group is timed here.
    override commitQueued(): void {
      const started = performance.now();
      super.commitQueued();
      this.#commitMs += performance.now() - started;
    }

    timedStatistics(): WriterStatistics {
      return { ...this.statistics(), commitMs: this.#commitMs, ...(tid !== undefined && { tid }) };
    }
  })(db);
}

/** The calling thread's kernel id: Node gives none, and every thread of a Node process has the same name. */
function kernelThreadId(): number | undefined {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').at(-1)); // "<pid>/task/<tid>"
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The writer thread

interface WriterData {
  readonly role: typeof WRITER_ROLE;
  readonly file: string;
  readonly synchronous: string;
  readonly owner: Owner;
}

const WRITER_ROLE = 'ceiling-sqlite-writer';

type Request = { readonly seq: number; readonly kind: 'write'; readonly id: string; readonly patch: Patch } | { readonly seq: number; readonly kind: 'statistics' };
type Reply = { readonly seq: number; readonly ok: true; readonly value: unknown } | { readonly seq: number; readonly ok: false; readonly error: string };
/** What the worker posts: `ready` once, then the replies of one commit (or of one statistics request) at a time. */
type Posted = 'ready' | Reply[];

interface Settle {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** Starts the writer thread on `file`; answers once it has opened its connection and prepared its statement. */
export async function threadWriter(file: string, synchronous: string, owner: Owner): Promise<Writer> {
  const worker = startWorker({ role: WRITER_ROLE, file, synchronous, owner });
  const pending = new Map<number, Settle>();
  let dead: Error | undefined;
  const die = (error: Error) => {
    dead ??= error;
    for (const settle of pending.values()) settle.reject(dead);
    pending.clear();
  };
  worker.on('error', die);
  worker.on('exit', (code) => die(new Error(`the writer thread exited (code ${code})`)));
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
    worker.once('exit', () => reject(dead));
  });
  worker.on('message', (replies: Posted) => {
    if (replies === 'ready') return;
    for (const reply of replies) {
      const settle = pending.get(reply.seq)!;
      pending.delete(reply.seq);
      if (reply.ok) settle.resolve(reply.value);
      else settle.reject(new Error(reply.error));
    }
  });
  let seq = 0;
  const ask = (request: Request) =>
    new Promise<unknown>((resolve, reject) => {
      if (dead) return reject(dead);
      pending.set(request.seq, { resolve, reject });
      worker.postMessage(request);
    });
  return {
    update: (id, patch) => ask({ seq: ++seq, kind: 'write', id, patch }) as Promise<Row | undefined>,
    statistics: () => ask({ seq: ++seq, kind: 'statistics' }) as Promise<WriterStatistics>,
    close: async () => void (await worker.terminate()),
  };
}

function startWorker(data: WriterData): Worker {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return new Worker(new URL(self), { workerData: data });
  // Node 20 applies neither --import nor registered loaders to a worker, so tsx is not there to load this
  // TypeScript file: the worker registers tsx itself, then imports it.
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(self)}); })`;
  return new Worker(boot, { eval: true, workerData: data });
}

/**
 * The worker: every write that arrives goes to GroupCommit, which commits all those of one turn of this
 * thread's loop together, i.e. all that arrived while the previous commit synced. Each group's replies go
 * back in one message, posted only once that group has committed.
 */
async function serveWrites(port: MessagePort, data: WriterData): Promise<void> {
  const db = openConnection(data.file, data.synchronous);
  const write = prepareUpdate(db, data.owner);
  const group = await timedGroupCommit(db);
  let replies: Promise<Reply>[] | undefined;
  port.on('message', (request: Request) => {
    if (request.kind === 'statistics') return port.postMessage([{ seq: request.seq, ok: true, value: group.timedStatistics() }]);
    const reply = group.run(() => write(request.id, request.patch)).then(
      (value): Reply => ({ seq: request.seq, ok: true, value }),
      (error: unknown): Reply => ({ seq: request.seq, ok: false, error: error instanceof Error ? error.message : String(error) }),
    );
    if (replies === undefined) {
      const batch: Promise<Reply>[] = (replies = []);
      // Queued just after GroupCommit's own setImmediate (run() above queued it), so this batch closes as its
      // group commits; its replies settle in the microtasks of that commit.
      setImmediate(() => {
        replies = undefined;
        void Promise.all(batch).then((all) => port.postMessage(all));
      });
    }
    replies.push(reply);
  });
  port.postMessage('ready' satisfies Posted);
}

if (!isMainThread && (workerData as Partial<WriterData> | null)?.role === WRITER_ROLE) {
  await serveWrites(parentPort!, workerData as WriterData);
}
