import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import { GraphError } from '../graph/errors.js';

export interface OverloadOptions {
  /** Event-loop delay (ms) above which requests are turned away; 0 turns the check off. */
  readonly maxEventLoopDelayMs: number;
  /** How often the delay is sampled (ms). */
  readonly sampleIntervalMs?: number;
}

/**
 * When the process falls behind (its event loop lags), an honest `503` with `Retry-After` now is better
 * than a timeout later: the client backs off, the balancer can try another instance, and the requests
 * already in progress get the time they need. Registered on the API only: health routes stay answerable.
 *
 * Start-up itself blocks the loop (migrations, key import, route compilation): the samples covering it read
 * as a huge delay, or as none at all, which under-pressure takes for an infinite one. Those say nothing of
 * the load, so the first requests of a fresh process would get a `503` for nothing: readings are ignored
 * until two sample intervals after the app is ready, when every sample covers a window after start-up.
 */
export async function registerOverloadProtection(app: FastifyInstance, options: OverloadOptions): Promise<void> {
  if (options.maxEventLoopDelayMs <= 0) return;
  const sampleIntervalMs = options.sampleIntervalMs ?? 250;
  let trustedFrom = Infinity;
  app.addHook('onReady', async () => {
    trustedFrom = performance.now() + 2 * sampleIntervalMs;
  });
  await app.register(underPressure, {
    maxEventLoopDelay: options.maxEventLoopDelayMs,
    sampleInterval: sampleIntervalMs,
    pressureHandler: () => {
      if (performance.now() < trustedFrom) return; // still start-up's own delay: let the request through
      throw new GraphError('serviceUnavailable', 'The service is overloaded. Please retry after the delay in Retry-After.', { 'Retry-After': '2' });
    },
  });
}
