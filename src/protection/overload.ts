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
 */
export async function registerOverloadProtection(app: FastifyInstance, options: OverloadOptions): Promise<void> {
  if (options.maxEventLoopDelayMs <= 0) return;
  await app.register(underPressure, {
    maxEventLoopDelay: options.maxEventLoopDelayMs,
    sampleInterval: options.sampleIntervalMs ?? 250,
    pressureHandler: () => {
      throw new GraphError('serviceUnavailable', 'The service is overloaded. Please retry after the delay in Retry-After.', { 'Retry-After': '2' });
    },
  });
}
