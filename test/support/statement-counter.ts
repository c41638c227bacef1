import Database from 'better-sqlite3';
import pg from 'pg';

export type Engine = 'sqlite' | 'postgres';

/**
 * The SQL statements a process runs, counted where every statement of an engine passes: better-sqlite3's
 * Statement methods (one prototype for every database of the process) and `pg.Client#query` (every
 * pooled connection's, and every other client's). Process-wide, so count while nothing else runs; one
 * counter at a time, and `stop()` it (in a `finally`) to put the originals back.
 */
export interface StatementCounter {
  /** The statements run since the counter started or was last taken, their SQL text in order, and starts anew. */
  take(): string[];
  stop(): void;
}

const SQLITE_METHODS = ['run', 'get', 'all', 'iterate'] as const;

export function countStatements(engine: Engine): StatementCounter {
  const seen: string[] = [];
  const restore = engine === 'sqlite' ? wrapSqlite(seen) : wrapPostgres(seen);
  return {
    take: () => seen.splice(0),
    stop: restore,
  };
}

/** Whether a statement writes: what a read-only route must never run. */
export function isWrite(sql: string): boolean {
  return /\b(INSERT|UPDATE|DELETE|REPLACE|UPSERT)\b/i.test(sql);
}

function wrapSqlite(seen: string[]): () => void {
  const probe = new Database(':memory:');
  const prototype = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, unknown>;
  probe.close();
  const originals = SQLITE_METHODS.map((name) => [name, prototype[name]] as const);
  for (const [name, original] of originals) {
    prototype[name] = function (this: { source: string }, ...args: unknown[]) {
      seen.push(this.source);
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
  return () => {
    for (const [name, original] of originals) prototype[name] = original;
  };
}

function wrapPostgres(seen: string[]): () => void {
  const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = prototype.query;
  prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const [query] = args;
    seen.push(typeof query === 'string' ? query : String((query as { text?: unknown } | undefined)?.text));
    return original.apply(this, args);
  };
  return () => {
    prototype.query = original;
  };
}
