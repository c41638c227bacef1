import type { Metric, Registry } from 'prom-client';

/** Latency buckets, in seconds: from half a millisecond (a cached read) to 2.5 s (a wait cut short, a slow store). */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] as const;

const REQUESTS = 'graph_lro_http_requests_total';
const LATENCY = 'graph_lro_http_request_duration_seconds';

interface Count {
  readonly labels: { readonly method: string; readonly route: string; readonly status: string };
  value: number;
}

/** One method on one route template: its requests by status, and their latency. */
interface Series {
  readonly labels: { readonly method: string; readonly route: string };
  readonly counts: Map<number, Count>;
  /** Observations per bucket (not cumulative), the last one for above every bound (+Inf). */
  readonly buckets: number[];
  sum: number;
  count: number;
}

/**
 * Requests by method, route template and status, and their latency by method and route. Recorded in plain
 * numbers and handed to prom-client only when scraped: prom-client validates and hashes the label set on
 * every observation, even through a labelled child, and this runs on every request. The series are few
 * (route templates × methods × statuses) and found by the strings the request already holds (the route's
 * template, the method) and the status number: no key is put together per request.
 */
export class RequestMetrics {
  readonly #series = new Map<string, Map<string, Series>>();

  record(method: string, route: string, status: number, seconds: number): void {
    let byMethod = this.#series.get(route);
    if (byMethod === undefined) this.#series.set(route, (byMethod = new Map()));
    let series = byMethod.get(method);
    if (series === undefined) {
      series = { labels: { method, route }, counts: new Map(), buckets: new Array<number>(LATENCY_BUCKETS.length + 1).fill(0), sum: 0, count: 0 };
      byMethod.set(method, series);
    }
    let count = series.counts.get(status);
    if (count === undefined) series.counts.set(status, (count = { labels: { method, route, status: String(status) }, value: 0 }));
    count.value += 1;
    let bucket = 0;
    while (bucket < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[bucket]!) bucket++;
    series.buckets[bucket]! += 1;
    series.sum += seconds;
    series.count += 1;
  }

  /**
   * Adds both metrics to `registry` as collectors in prom-client's own metric shape (what its Counter and
   * Histogram answer from `get()`), so the exposition format, `# HELP` and `# TYPE` lines included, is
   * prom-client's.
   */
  registerIn(registry: Registry): void {
    registry.registerMetric(
      collector(REQUESTS, 'HTTP requests answered, by method, route template and status.', 'counter', () =>
        this.#all().flatMap((series) => [...series.counts.values()].map(({ labels, value }) => ({ labels, value }))),
      ),
    );
    registry.registerMetric(
      collector(LATENCY, 'Time from request to response, by method and route template.', 'histogram', () =>
        this.#all().flatMap((series) => histogramValues(series)),
      ),
    );
  }

  #all(): Series[] {
    return [...this.#series.values()].flatMap((byMethod) => [...byMethod.values()]);
  }
}

function histogramValues({ labels, buckets, sum, count }: Series) {
  let cumulative = 0;
  const values = buckets.map((n, i) => {
    cumulative += n;
    const le = i < LATENCY_BUCKETS.length ? LATENCY_BUCKETS[i]! : '+Inf';
    return { labels: { le, ...labels }, value: cumulative, metricName: `${LATENCY}_bucket` };
  });
  return [...values, { labels, value: sum, metricName: `${LATENCY}_sum` }, { labels, value: count, metricName: `${LATENCY}_count` }];
}

/**
 * A metric the registry reads like its own: prom-client's Registry asks only `name`, `help`, `type`,
 * `aggregator` and `get()` of what it holds, which its type names as its own classes, hence the cast.
 */
function collector(name: string, help: string, type: 'counter' | 'histogram', values: () => object[]): Metric {
  const metric = { name, help, type, aggregator: 'sum', get: async () => ({ name, help, type, aggregator: 'sum', values: values() }) };
  return metric as unknown as Metric;
}
