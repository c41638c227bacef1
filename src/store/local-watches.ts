import type { Owner } from '../operations/long-running-operation.js';
import type { OperationWatch } from '../operations/ports/change-feed.js';

/** The key of one operation in the watch tables: every part of the primary key, unambiguously joined. */
export function watchKey(tenantId: string, userId: string, id: string): string {
  return JSON.stringify([tenantId, userId, id]);
}

interface Watcher {
  /** Resolves the promise `changed()` handed out last, if it is still pending. */
  resolve: (() => void) | undefined;
  /** A signal came while nobody awaited `changed()`: the next call answers at once. */
  pending: boolean;
}

/**
 * The watches of this process, by operation. Signalling is a map lookup, so writers pay nothing when
 * nobody waits; waiting holds no database resource, only a pending promise.
 */
export class LocalWatches {
  readonly #byKey = new Map<string, Set<Watcher>>();
  #released = false;
  #open = 0;

  /** The watches open now. */
  get size(): number {
    return this.#open;
  }

  /** `undefined` once everything was released: the process is shutting down. */
  open(owner: Owner, id: string, onClose: () => Promise<void> = async () => {}): OperationWatch | undefined {
    if (this.#released) return undefined;
    const key = watchKey(owner.tenantId, owner.userId, id);
    const watcher: Watcher = { resolve: undefined, pending: false };
    let watchers = this.#byKey.get(key);
    if (!watchers) this.#byKey.set(key, (watchers = new Set()));
    watchers.add(watcher);
    this.#open += 1;
    let closed = false;
    const watches = this;
    return {
      get released() {
        return watches.#released;
      },
      changed: () => {
        if (this.#released || closed || watcher.pending) {
          watcher.pending = false;
          return Promise.resolve();
        }
        return new Promise<void>((resolve) => (watcher.resolve = resolve));
      },
      close: async () => {
        if (closed) return;
        closed = true;
        this.#open -= 1;
        take(watcher);
        const set = this.#byKey.get(key);
        set?.delete(watcher);
        if (set?.size === 0) this.#byKey.delete(key);
        await onClose();
      },
    };
  }

  /** Signals the watches of one operation (free when this process has none). */
  signalOperation(owner: Owner, id: string): void {
    if (this.#byKey.size !== 0) this.signal(watchKey(owner.tenantId, owner.userId, id));
  }

  /** Signals the watches of one operation, by its {@link watchKey}. */
  signal(key: string): void {
    for (const watcher of this.#byKey.get(key) ?? []) take(watcher);
  }

  /** Signals every watch: after a gap in which changes may have gone unnoticed, all re-read. */
  signalAll(): void {
    for (const watchers of this.#byKey.values()) for (const watcher of watchers) take(watcher);
  }

  releaseAll(): void {
    this.#released = true;
    this.signalAll();
  }
}

function take(watcher: Watcher): void {
  const resolve = watcher.resolve;
  watcher.resolve = undefined;
  if (resolve) resolve();
  else watcher.pending = true;
}
