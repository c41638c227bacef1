import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { collectDefaultMetrics } from 'prom-client';
import type { Store } from '../store/store.js';

/**
 * Prometheus metrics of one app. A registry of its own (not prom-client's global one), so that several
 * apps in one process — tests do that — never share or collide on metrics.
 */
export function registerMetrics(app: FastifyInstance, store: Store): Registry {
  const registry = new Registry();
  const statistics = oncePerScrape(() => store.statistics());
  collectDefaultMetrics({ register: registry, prefix: 'graph_lro_process_' });
  const requests = new Counter({
    name: 'graph_lro_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'graph_lro_http_request_duration_seconds',
    help: 'Time from request to response, by method and route template.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
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

  // The labelled series, by the label values joined: prom-client would hash the label object on every
  // request; the few distinct combinations are found once and kept (routes × methods × statuses is small).
  const series = new Map<string, { count: Counter.Internal; time: Histogram.Internal<'method' | 'route'> }>();
  app.addHook('onResponse', (request, reply, done) => {
    // The route template, never the raw URL: ids and UPNs in label values would grow the series without bound.
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${request.method} ${reply.statusCode} ${route}`;
    let labelled = series.get(key);
    if (labelled === undefined) {
      labelled = {
        count: requests.labels({ method: request.method, route, status: String(reply.statusCode) }),
        time: latency.labels({ method: request.method, route }),
      };
      series.set(key, labelled);
    }
    labelled.count.inc();
    labelled.time.observe(reply.elapsedTime / 1000);
    done();
  });
  return registry;
}

/**
 * Both store gauges read the same statistics (a scan by status): one scrape asks the store once. Answers
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
