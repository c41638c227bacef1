/**
 * The emulator's simulated faults, as options: what `--simulate-*` describes (`fault-flags.ts`) and the
 * API's fault-injection hook applies (`protection/fault-injection.ts`).
 */

/** One simulated failure: requests matching `method` (any when absent) and `route` fail with `status`. */
export interface FailureRule {
  readonly method?: string;
  /**
   * A path or path prefix such as `/v1.0/me/authentication/operations`; a segment written `{id}` or `:id`
   * matches any one segment. Case-insensitive, as the router is.
   */
  readonly route: string;
  readonly status: 500 | 503;
  /** From 0 to 1: the share of matching requests that fail. */
  readonly probability: number;
}

export type ThrottleFault = { readonly probability: number } | { readonly every: number };

/**
 * Simulated faults for testing clients (what Dev Proxy offers for Graph, against a stateful service). All off
 * when absent. They apply to API routes only, after authentication and real throttling, before the handler:
 * a faulted request writes nothing.
 */
export interface FaultOptions {
  /** `429 TooManyRequests` at random (`probability`) or on every `every`-th request of each caller. */
  readonly throttle?: ThrottleFault;
  /** `Retry-After` of simulated `429` and `503` answers, in seconds (default 5). */
  readonly retryAfterSeconds?: number;
  /** Delay before the request is handled, drawn uniformly from `minMs` to `maxMs`. */
  readonly latency?: { readonly minMs: number; readonly maxMs: number };
  /** `500 generalException` / `503 serviceNotAvailable`; the first matching rule that fires wins. */
  readonly failures?: readonly FailureRule[];
  /** From [0, 1), as Math.random (the default); tests script it. */
  readonly random?: () => number;
  /** How latency waits (default: a timer); tests record the delays instead. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_FAULT_RETRY_AFTER_SECONDS = 5;

export function faultsEnabled(options: FaultOptions | undefined): options is FaultOptions {
  return options !== undefined && (options.throttle !== undefined || options.latency !== undefined || (options.failures?.length ?? 0) > 0);
}
