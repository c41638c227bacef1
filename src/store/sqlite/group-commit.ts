import type { Database as Connection } from 'better-sqlite3';

/**
 * Group commit for the embedded store. Every commit is synced (`synchronous = FULL`), and a sync costs far
 * more than the statement it makes durable; SQLite, unlike PostgreSQL, never shares one sync among
 * concurrent commits. So writes are not run when asked: each is queued, and once the event loop has read
 * every request that arrived in its turn (`setImmediate`), the whole queue runs in one transaction, one
 * savepoint per write, and commits with one sync. A write that throws (a constraint) is rolled back to its
 * savepoint and fails alone; the others commit. Each caller's promise settles only after the commit that
 * holds its write, so an acknowledged write is as durable as before, and nothing is acknowledged that a crash
 * could still undo. It groups on whichever thread owns `db`: a file database's writer thread
 * (writer-thread.ts), or the event loop for an in-memory one.
 */
export class GroupCommit {
  #queue: Pending[] = [];
  readonly #commit: (group: readonly Pending[]) => Outcome[];
  #commits = 0;
  #writes = 0;
  #largest = 0;

  constructor(db: Connection) {
    // A transaction function called inside another runs as a savepoint of it (better-sqlite3's rule).
    const alone = db.transaction((write: () => unknown) => write());
    this.#commit = db.transaction((group: readonly Pending[]) => group.map(({ write }) => attempt(() => alone(write))));
  }

  /** Runs `write` in the next group; answers its result once that group has committed. */
  run<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#queue.length === 0) setImmediate(() => this.commitQueued());
      this.#queue.push({ write, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  /** Commits so far, the writes they held and the largest group: the mean group size is writes / commits. */
  statistics(): CommitStatistics {
    return { commits: this.#commits, writes: this.#writes, largestGroup: this.#largest };
  }

  /** Commits the writes queued now, at once; `close` calls it so that no acknowledged-to-be write is dropped. */
  commitQueued(): void {
    if (this.#queue.length === 0) return;
    const group = this.#queue;
    this.#queue = [];
    let outcomes: Outcome[];
    try {
      outcomes = this.#commit(group);
    } catch (error) {
      // The commit itself failed (the disk, a lock held too long): nothing of the group is stored.
      for (const pending of group) pending.reject(error);
      return;
    }
    this.#commits += 1;
    this.#writes += group.length;
    this.#largest = Math.max(this.#largest, group.length);
    group.forEach((pending, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) pending.resolve(outcome.value);
      else pending.reject(outcome.error);
    });
  }
}

export interface CommitStatistics {
  readonly commits: number;
  readonly writes: number;
  readonly largestGroup: number;
}

interface Pending {
  readonly write: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

function attempt(write: () => unknown): Outcome {
  try {
    return { ok: true, value: write() };
  } catch (error) {
    return { ok: false, error };
  }
}
