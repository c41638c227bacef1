import type { PageLimits } from './graph/list-options.js';

/**
 * What one request may take and how long it may take: the service's limits, with the defaults `serve`'s
 * flags (`config.ts`) show and `buildApp` (`app.ts`) falls back on.
 */
export interface Limits extends PageLimits {
  /** The largest request body accepted, in bytes (413 above). */
  readonly bodyLimit: number;
  /** The largest request line plus headers, in bytes (431 above): bounds the URL too. */
  readonly maxHeaderSize: number;
  /** Time for a whole request to arrive (408 after), against clients that send slowly. */
  readonly requestTimeoutMs: number;
  /** Time for the request line and headers to arrive. */
  readonly headersTimeoutMs: number;
  /** How long an idle keep-alive connection stays open: longer than load balancers' own idle timeouts (60 s). */
  readonly keepAliveTimeoutMs: number;
  /** The longest `Prefer: wait` honoured, in seconds: below load balancers' idle timeouts, which would cut a longer one. */
  readonly maxWaitSeconds: number;
}

export const DEFAULT_LIMITS: Limits = {
  bodyLimit: 64 * 1024,
  defaultPageSize: 100,
  maxPageSize: 999,
  maxHeaderSize: 16 * 1024,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 72_000,
  maxWaitSeconds: 30,
};
