import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { RequestMetrics } from '../../src/observability/request-metrics.js';

async function exposition(record: (metrics: RequestMetrics) => void): Promise<string[]> {
  const metrics = new RequestMetrics();
  record(metrics);
  const registry = new Registry();
  metrics.registerIn(registry);
  return (await registry.metrics()).split('\n');
}

describe('RequestMetrics', () => {
  it('counts requests per method, route and status, each kept apart whatever the order they come in', async () => {
    const lines = await exposition((m) => {
      m.record('GET', '/a', 200, 0.001);
      m.record('GET', '/b', 200, 0.001);
      m.record('GET', '/a', 404, 0.001);
      m.record('PATCH', '/b', 200, 0.001);
      m.record('GET', '/a', 200, 0.001);
      m.record('GET', 'unmatched', 404, 0.001);
    });
    assert.ok(lines.includes('# TYPE graph_lro_http_requests_total counter'));
    const counts = lines.filter((l) => l.startsWith('graph_lro_http_requests_total{')).sort();
    assert.deepEqual(counts, [
      'graph_lro_http_requests_total{method="GET",route="/a",status="200"} 2',
      'graph_lro_http_requests_total{method="GET",route="/a",status="404"} 1',
      'graph_lro_http_requests_total{method="GET",route="/b",status="200"} 1',
      'graph_lro_http_requests_total{method="GET",route="unmatched",status="404"} 1',
      'graph_lro_http_requests_total{method="PATCH",route="/b",status="200"} 1',
    ]);
    const totals = lines.filter((l) => l.startsWith('graph_lro_http_request_duration_seconds_count{')).sort();
    assert.deepEqual(totals, [
      'graph_lro_http_request_duration_seconds_count{method="GET",route="/a"} 3',
      'graph_lro_http_request_duration_seconds_count{method="GET",route="/b"} 1',
      'graph_lro_http_request_duration_seconds_count{method="GET",route="unmatched"} 1',
      'graph_lro_http_request_duration_seconds_count{method="PATCH",route="/b"} 1',
    ]);
  });

  it('keeps a cumulative histogram in which a value on a bound counts in that bound (le), and beyond all in +Inf', async () => {
    const lines = await exposition((m) => {
      for (const seconds of [0.0005, 0.0006, 0.001, 2.5, 3]) m.record('GET', '/a', 200, seconds);
      m.record('GET', '/a', 500, 0.0001); // another status: the same latency series
    });
    const bucket = (le: string) => lines.find((l) => l.startsWith(`graph_lro_http_request_duration_seconds_bucket{le="${le}",method="GET",route="/a"}`))?.split(' ')[1];
    assert.ok(lines.includes('# TYPE graph_lro_http_request_duration_seconds histogram'));
    assert.equal(bucket('0.0005'), '2');
    assert.equal(bucket('0.001'), '4');
    assert.equal(bucket('1'), '4');
    assert.equal(bucket('2.5'), '5');
    assert.equal(bucket('+Inf'), '6');
    assert.ok(lines.includes('graph_lro_http_request_duration_seconds_count{method="GET",route="/a"} 6'));
    const sum = Number(lines.find((l) => l.startsWith('graph_lro_http_request_duration_seconds_sum'))?.split(' ')[1]);
    assert.ok(Math.abs(sum - 5.5022) < 1e-9, String(sum));
  });
});
