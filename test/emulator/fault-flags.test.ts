import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFaultSettings, parseFailures, parseLatency, parseRetryAfter, parseThrottle } from '../../src/emulator/fault-flags.js';
import { InvalidInput } from '../../src/operations/domain-error.js';

describe('--simulate-* flags', () => {
  it('all unset (or empty) is no faults at all', () => {
    assert.equal(parseFaultSettings({}), undefined);
    assert.equal(parseFaultSettings({ simulateThrottling: '', simulateLatency: ' ', simulateFailures: '', simulateThrottlingRetryAfter: '5' }), undefined);
    assert.equal(parseFaultSettings({ simulateThrottling: '0', simulateLatency: '0' }), undefined, 'zero is off');
  });

  it('parses valid values', () => {
    assert.deepEqual(parseThrottle('0.1'), { probability: 0.1 });
    assert.deepEqual(parseThrottle('1'), { probability: 1 });
    assert.deepEqual(parseThrottle('.25'), { probability: 0.25 });
    assert.deepEqual(parseThrottle('every:5'), { every: 5 });
    assert.deepEqual(parseThrottle('EVERY:1'), { every: 1 });
    assert.equal(parseRetryAfter('30'), 30);
    assert.deepEqual(parseLatency('50'), { minMs: 50, maxMs: 50 });
    assert.deepEqual(parseLatency('20-200'), { minMs: 20, maxMs: 200 });
    assert.deepEqual(parseFailures('503:0.1'), [{ route: '/', status: 503, probability: 0.1 }]);
    assert.deepEqual(parseFailures(' post /v1.0/me/authentication/operations=500:0.5 ; /beta/me=503:1;'), [
      { method: 'POST', route: '/v1.0/me/authentication/operations', status: 500, probability: 0.5 },
      { route: '/beta/me', status: 503, probability: 1 },
    ]);
    assert.deepEqual(
      parseFaultSettings({ simulateThrottling: 'every:4', simulateThrottlingRetryAfter: '9', simulateLatency: '1-2', simulateFailures: '500:0.01' }),
      { throttle: { every: 4 }, retryAfterSeconds: 9, latency: { minMs: 1, maxMs: 2 }, failures: [{ route: '/', status: 500, probability: 0.01 }] },
    );
  });

  it('refuses bad values with a one-line InvalidInput naming the flag and its variable', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => parseThrottle('1.5'), /--simulate-throttling \(GRAPH_LRO_SIMULATE_THROTTLING\)/],
      [() => parseThrottle('-0.1'), /--simulate-throttling/],
      [() => parseThrottle('every:0'), /--simulate-throttling/],
      [() => parseThrottle('every:x'), /--simulate-throttling/],
      [() => parseThrottle('often'), /--simulate-throttling/],
      [() => parseRetryAfter('0'), /--simulate-throttling-retry-after \(GRAPH_LRO_SIMULATE_THROTTLING_RETRY_AFTER\)/],
      [() => parseRetryAfter('5s'), /--simulate-throttling-retry-after/],
      [() => parseLatency('200-20'), /--simulate-latency \(GRAPH_LRO_SIMULATE_LATENCY\)/],
      [() => parseLatency('fast'), /--simulate-latency/],
      [() => parseLatency('999999'), /--simulate-latency/],
      [() => parseFailures('404:0.5'), /--simulate-failures \(GRAPH_LRO_SIMULATE_FAILURES\)/],
      [() => parseFailures('503'), /--simulate-failures/],
      [() => parseFailures('503:2'), /--simulate-failures/],
      [() => parseFailures('v1.0/me=500:0.5'), /--simulate-failures/],
      [() => parseFailures('GET /a=500:0.5;oops'), /not 'oops'/],
      [() => parseFaultSettings({ simulateFailures: '503:0.1', simulateThrottlingRetryAfter: 'soon' }), /--simulate-throttling-retry-after/],
    ];
    for (const [run, pattern] of cases) {
      assert.throws(run, (error: unknown) => {
        assert.ok(error instanceof InvalidInput);
        assert.match(error.message, pattern);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      });
    }
  });
});
