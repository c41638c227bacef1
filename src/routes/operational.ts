import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { methodNotAllowed } from './method-not-allowed.js';

/**
 * What a load balancer and a monitoring system ask: `/healthz` (the process answers: liveness), `/readyz`
 * (the database answers too: readiness, so a balancer stops sending requests an instance cannot serve) and
 * `/metrics` (Prometheus). No token: these carry no operation data; keep them off the public listener.
 */
export interface OperationalRoutesOptions {
  /** Resolves when the database answers: the readiness check. */
  readonly ready: () => Promise<void>;
  readonly metrics: Registry;
}

export async function operationalRoutes(app: FastifyInstance, options: OperationalRoutesOptions): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    try {
      await options.ready();
      return { status: 'ready' };
    } catch (error) {
      request.log.warn({ err: error }, 'database not reachable');
      return reply.code(503).header('Retry-After', '5').send({ status: 'unavailable', reason: 'database not reachable' });
    }
  });

  app.get('/metrics', async (_request, reply) => {
    reply.type(options.metrics.contentType);
    return options.metrics.metrics();
  });

  for (const url of ['/healthz', '/readyz', '/metrics']) methodNotAllowed(app, url, ['GET']);
}
