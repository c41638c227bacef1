import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.js';
import { GraphError } from '../graph/errors.js';

/** `max` requests per `windowSeconds`. */
export interface RateLimit {
  readonly max: number;
  readonly windowSeconds: number;
}

export interface ThrottlingOptions {
  /** Per signed-in user (delegated tokens). */
  readonly user?: RateLimit;
  /** Per calling application, whoever it acts for. */
  readonly app?: RateLimit;
}

/**
 * Graph's throttling: over a limit, `429 TooManyRequests` with `Retry-After` and Graph's body. Counters are
 * per instance (in memory), by design: a caller spread over N instances by the balancer gets about N times
 * the limit, so set limits per instance. Runs after authentication, so callers are told apart by their
 * verified identity, never by something they could forge.
 */
export async function registerThrottling(api: FastifyInstance, options: ThrottlingOptions): Promise<void> {
  if (!options.user && !options.app) return;
  await api.register(rateLimit, { global: false });
  const checks = [
    options.user && limiter(api, options.user, (request) => userKey(request.principal)),
    options.app && limiter(api, options.app, (request) => appKey(request.principal)),
  ].filter((check) => check !== undefined);
  api.addHook('preHandler', async (request) => {
    for (const check of checks) await check(request);
  });
}

/** The signed-in user a request counts against; none for an app acting as itself. */
export function userKey(principal: Principal): string | undefined {
  return principal.kind === 'delegated' ? `user:${principal.tenantId}/${principal.userId}` : undefined;
}

/** The calling application a request counts against, when the token names one. */
export function appKey(principal: Principal): string | undefined {
  return principal.appId === undefined ? undefined : `app:${principal.tenantId}/${principal.appId}`;
}

type Check = (request: FastifyRequest) => Promise<void>;

function limiter(api: FastifyInstance, limit: RateLimit, keyOf: (request: FastifyRequest) => string | undefined): Check {
  const check = api.createRateLimit({ max: limit.max, timeWindow: limit.windowSeconds * 1000, keyGenerator: (request) => keyOf(request)! });
  return async (request) => {
    if (keyOf(request) === undefined) return;
    const result = await check(request);
    if (result.isAllowed || !result.isExceeded) return;
    throw tooManyRequests(Math.max(1, result.ttlInSeconds));
  };
}

/** Graph's throttling answer: `429 TooManyRequests`, `Retry-After` and Graph's `innerError` (also used by simulated throttling). */
export function tooManyRequests(retryAfterSeconds: number): GraphError {
  return new GraphError(
    'tooManyRequests',
    undefined,
    { 'Retry-After': String(retryAfterSeconds) },
    { code: '429', message: 'Please retry after', status: '429' },
  );
}
