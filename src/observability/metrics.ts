import type { FastifyInstance } from 'fastify';
import { Gauge, Registry } from 'prom-client';
import { collectDefaultMetrics } from 'prom-client';
import type { Store } from '../operations/ports/store.js';
import { RequestMetrics } from './request-metrics.js';

/**
 * Prometheus metrics of one app. A registry of its own (not prom-client's global one), so that several
 * apps in one process — tests do that — never share or collide on metrics.
 */
export function registerMetrics(app: FastifyInstance, store: Pick<Store, 'statistics' | 'changes'>): Registry {
  const registry = new Registry();
  const statistics = oncePerScrape(() => store.statistics());
  collectDefaultMetrics({ register: registry, prefix: 'graph_lro_process_' });
  const requests = new RequestMetrics();
  requests.registerIn(registry);
  new Gauge({
    name: 'graph_lro_operations',
    help: 'Stored operations by status (all tenants and users).',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const { operationsByStatus } = await statistics();
      for (const [status, count] of Object.entries(operationsByStatus)) this.set({ status }, count);
    },
  });
  new Gauge({
    name: 'graph_lro_db_connections',
    help: 'Database pool connections by state (total, idle, waiting clients); absent for the embedded store.',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const { connections } = await statistics();
      if (connections) for (const [state, count] of Object.entries(connections)) this.set({ state }, count);
    },
  });
  new Gauge({
    name: 'graph_lro_waiting_requests',
    help: 'Requests of this instance waiting for an operation to change (Prefer: wait).',
    registers: [registry],
    collect() {
      this.set(store.changes.watching());
    },
  });
  new Gauge({
    name: 'graph_lro_db_group_commits',
    help: 'The embedded store since it opened: commits, the writes they held (writes / commits is the mean group size), and the largest group; absent on PostgreSQL.',
    labelNames: ['measure'] as const,
    registers: [registry],
    async collect() {
      const { groupCommits } = await statistics();
      if (!groupCommits) return;
      this.set({ measure: 'commits' }, groupCommits.commits);
      this.set({ measure: 'writes' }, groupCommits.writes);
      this.set({ measure: 'largest_group' }, groupCommits.largestGroup);
    },
  });

  app.addHook('onResponse', (request, reply, done) => {
    // The route template, never the raw URL: ids and UPNs in label values would grow the series without bound.
    requests.record(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  return registry;
}

/**
 * Both store gauges read the same statistics (on PostgreSQL a scan by status): one scrape asks the store once. Answers
 * within a second of each other share one read.
 */
function oncePerScrape<T>(read: () => Promise<T>): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (last === undefined || now - last.at > 1000) last = { at: now, value: read() };
    return last.value;
  };
}
