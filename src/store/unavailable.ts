/**
 * Whether an error means the database cannot serve right now (down, restarting, out of connections, busy),
 * as opposed to a fault in the request or in our code: the engines' judgement of their drivers' errors
 * (either engine's, and the network's below them). `app.ts` hands it to the error handler, which answers
 * such requests 503 with Retry-After, so clients retry instead of giving up on a 500; the protocol layer
 * itself knows no engine.
 */
export function isStoreUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (NODE_NETWORK_CODES.has(code)) return true;
    if (/^(08|53|57P)/.test(code)) return true; // PostgreSQL: connection exception, insufficient resources, operator intervention
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_IOERR' || code === 'SQLITE_FULL') return true;
    if (code === STORE_WRITER_STOPPED) return true;
  }
  const message = error instanceof Error ? error.message : '';
  // pg-pool's own errors carry no code
  return /timeout exceeded when trying to connect|Connection terminated|Cannot use a pool after calling end/i.test(message);
}

/** The embedded store's writer thread has stopped (sqlite/writer-thread.ts): no write can commit until a restart. */
export const STORE_WRITER_STOPPED = 'GRAPH_LRO_WRITER_STOPPED';

const NODE_NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN']);
