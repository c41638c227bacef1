import Database from 'better-sqlite3';
import type { CommitStatistics } from './group-commit.js';
import type { StoreWrite, WriteParameters } from './store-writes.js';

/** What the writer thread is started with. */
export interface WriterData {
  /** The database file, which the store has opened and migrated already. */
  readonly path: string;
}

/** One write, numbered by the store so that its answer finds its caller. */
export type WriteRequest = { readonly [W in StoreWrite]: { readonly kind: 'write'; readonly seq: number; readonly write: W; readonly parameters: WriteParameters[W] } }[StoreWrite];

/** The store to the thread: writes, then at most one `close`, after which it sends nothing. */
export type ToWriter = WriteRequest | { readonly kind: 'close' };

export type Answer = { readonly seq: number; readonly ok: true; readonly value: unknown } | { readonly seq: number; readonly ok: false; readonly error: WireError };

/**
 * The thread to the store: the answers of one group once it has committed, with the counters as of that
 * commit; then, after `close`, `closed` once its connection is closed.
 */
export type FromWriter = { readonly kind: 'answers'; readonly answers: readonly Answer[]; readonly statistics: CommitStatistics } | { readonly kind: 'closed' };

/**
 * An error as it crosses threads. A structured clone keeps an error's message but drops its class and its
 * `code`, which is what the rest of the store judges it by (a constraint, or SQLITE_BUSY as unavailable).
 */
export type WireError =
  | { readonly kind: 'sqlite'; readonly message: string; readonly code: string }
  | { readonly kind: 'other'; readonly name: string; readonly message: string; readonly code?: string };

export function toWire(error: unknown): WireError {
  if (error instanceof Database.SqliteError) return { kind: 'sqlite', message: error.message, code: error.code };
  if (!(error instanceof Error)) return { kind: 'other', name: 'Error', message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { kind: 'other', name: error.name, message: error.message, ...(typeof code === 'string' && { code }) };
}

export function fromWire(wire: WireError): Error {
  if (wire.kind === 'sqlite') return new Database.SqliteError(wire.message, wire.code);
  return Object.assign(new Error(wire.message), { name: wire.name }, wire.code !== undefined && { code: wire.code });
}
