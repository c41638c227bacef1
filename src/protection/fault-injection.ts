import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.js';
import { DEFAULT_FAULT_RETRY_AFTER_SECONDS, faultsEnabled, type FaultOptions } from '../emulator/faults.js';
import { GraphError } from '../graph/errors.js';
import { appKey, tooManyRequests, userKey } from './throttling.js';

/** Callers whose request counts (for `every`) are kept; past it the counts start again. */
const MAX_TRACKED_CALLERS = 10_000;

/**
 * Registers the faults in the authenticated API scope. Per request, in order: latency (one draw when the range
 * is not a single value), throttling (one draw when by probability), then each matching failure rule (one draw
 * each, until one fires).
 */
export function registerFaultInjection(api: FastifyInstance, options: FaultOptions | undefined): void {
  if (!faultsEnabled(options)) return;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const retryAfter = String(options.retryAfterSeconds ?? DEFAULT_FAULT_RETRY_AFTER_SECONDS);
  const { throttle, latency } = options;
  const failures = (options.failures ?? []).map((rule) => ({ ...rule, method: rule.method?.toUpperCase(), segments: segmentsOf(rule.route) }));
  const counts = new Map<string, number>();

  const throttled = (request: FastifyRequest): boolean => {
    if (throttle === undefined) return false;
    if ('probability' in throttle) return random() < throttle.probability;
    const key = callerKey(request.principal);
    if (counts.size >= MAX_TRACKED_CALLERS && !counts.has(key)) counts.clear();
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n % throttle.every);
    return n % throttle.every === 0;
  };

  api.addHook('preHandler', async (request) => {
    if (latency) {
      const ms = latency.minMs + Math.floor((latency.maxMs > latency.minMs ? random() : 0) * (latency.maxMs - latency.minMs + 1));
      if (ms > 0) await sleep(ms);
    }
    if (throttled(request)) {
      request.log.info({ fault: 'throttle' }, 'simulated fault');
      throw tooManyRequests(Number(retryAfter));
    }
    const path = segmentsOf(request.url.split('?')[0]!);
    for (const rule of failures) {
      if (rule.method !== undefined && rule.method !== request.method) continue;
      if (!matchesPrefix(rule.segments, path) || !(random() < rule.probability)) continue;
      request.log.info({ fault: rule.status, route: rule.route }, 'simulated fault');
      throw rule.status === 503
        ? new GraphError('serviceUnavailable', undefined, { 'Retry-After': retryAfter })
        : new GraphError('internal');
    }
  });
}

/** The user for delegated tokens, else the app: the same keys real throttling counts by. */
function callerKey(principal: Principal): string {
  return userKey(principal) ?? appKey(principal)!;
}

function segmentsOf(path: string): string[] {
  return path
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      try {
        return decodeURIComponent(segment).toLowerCase();
      } catch {
        return segment.toLowerCase();
      }
    });
}

const isWildcard = (segment: string) => /^(\{[^/]*\}|:.+)$/.test(segment);

/** Whether `route` is `path` or a prefix of it, segment by segment. */
function matchesPrefix(route: readonly string[], path: readonly string[]): boolean {
  return route.length <= path.length && route.every((segment, i) => isWildcard(segment) || segment === path[i]);
}
