import { Worker } from 'node:worker_threads';
import { STORE_WRITER_STOPPED } from '../unavailable.js';
import type { CommitStatistics } from './group-commit.js';
import type { StoreWrite, WriteParameters, WriteResults, StoreWrites } from './store-writes.js';
import { fromWire, type Answer, type FromWriter, type ToWriter, type WriteRequest, type WriterData } from './writer-protocol.js';

/**
 * The writes of a file database, committed in a thread of their own (writer-worker.ts), so that
 * the event loop goes on serving reads while the disk syncs a commit: measured on the bare server, PATCH +
 * GET at once served 1.7–2.3× the GETs at a GET p99 of 3.5 ms instead of 18.5, for some 15 % fewer PATCHes
 * (bench/commit-designs.ts). Reads stay on the store's own connection: WAL lets them run beside the writer.
 */
export class WriterThread implements StoreWrites {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Settle>();
  #seq = 0;
  #statistics: CommitStatistics = { commits: 0, writes: 0, largestGroup: 0 };
  #state: State = { kind: 'open' };
  readonly #exited: Promise<void>;

  /** `path` must be a file the store has already created and migrated. */
  constructor(path: string) {
    this.#worker = startWorker({ path });
    // Only writes awaiting their answer keep the process alive, as the store's own connection would.
    this.#worker.unref();
    this.#worker.on('message', (message: FromWriter) => this.#receive(message));
    this.#worker.on('error', (error) => this.#stop(new WriterStoppedError(`the SQLite writer thread failed: ${error.message}`, { cause: error })));
    this.#exited = new Promise((resolve) =>
      this.#worker.once('exit', (code) => {
        this.#stop(new WriterStoppedError(`the SQLite writer thread exited (code ${code})`));
        resolve();
      }),
    );
  }

  run<W extends StoreWrite>(write: W, parameters: WriteParameters[W]): Promise<WriteResults[W]> {
    const request = { kind: 'write', seq: ++this.#seq, write, parameters } as WriteRequest;
    return new Promise((resolve, reject) => {
      if (this.#state.kind === 'stopped') return reject(this.#state.error);
      if (this.#state.kind !== 'open') return reject(new Error('the SQLite store is closed'));
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(request.seq, { resolve: resolve as (value: unknown) => void, reject });
      this.#post(request);
    });
  }

  statistics(): CommitStatistics {
    return this.#statistics;
  }

  check(): void {
    if (this.#state.kind === 'stopped') throw this.#state.error;
  }

  async close(): Promise<void> {
    if (this.#state.kind === 'open') {
      this.#state = { kind: 'closing' };
      this.#worker.ref();
      this.#post({ kind: 'close' });
    }
    await this.#exited;
  }

  /** For tests: ends the thread as a crash would, without committing or answering anything. */
  async kill(): Promise<void> {
    await this.#worker.terminate();
  }

  #post(message: ToWriter): void {
    this.#worker.postMessage(message);
  }

  #receive(message: FromWriter): void {
    if (message.kind === 'closed') {
      this.#state = { kind: 'closed' };
      return;
    }
    this.#statistics = message.statistics;
    for (const answer of message.answers) this.#settle(answer);
    if (this.#pending.size === 0 && this.#state.kind === 'open') this.#worker.unref();
  }

  #settle(answer: Answer): void {
    const settle = this.#pending.get(answer.seq);
    this.#pending.delete(answer.seq);
    if (answer.ok) settle?.resolve(answer.value);
    else settle?.reject(fromWire(answer.error));
  }

  /** Every write still waiting, and every later one, fails as the store being unavailable: never a hang. */
  #stop(error: WriterStoppedError): void {
    if (this.#state.kind === 'closed' || this.#state.kind === 'stopped') return;
    this.#state = { kind: 'stopped', error };
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
  }
}

/** Answers the clients 503 (see unavailable.ts): the writes may succeed once the service has restarted. */
export class WriterStoppedError extends Error {
  readonly code = STORE_WRITER_STOPPED;
}

/** `closing`: asked to close, the thread still committing what it was sent; `closed`: its connection is closed. */
type State = { readonly kind: 'open' } | { readonly kind: 'closing' } | { readonly kind: 'closed' } | { readonly kind: 'stopped'; readonly error: WriterStoppedError };

interface Settle {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

function startWorker(data: WriterData): Worker {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return new Worker(new URL('./writer-worker.js', self), { workerData: data });
  // Run as TypeScript (the tests, under tsx): Node 20 applies neither --import nor registered loaders to a
  // worker, so the worker registers tsx itself before importing its entry. Never reached from dist/.
  const entry = new URL('./writer-worker.ts', self).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true, workerData: data });
}
