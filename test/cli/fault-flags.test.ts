import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { call, runCli, startServer } from '../support/process.js';

describe('command line: --simulate-* flags', () => {
  it('a bad value: a one-line message naming the flag, exit 2', () => {
    for (const [args, env, pattern] of [
      [['--simulate-failures', '404:0.5'], {}, /--simulate-failures \(GRAPH_LRO_SIMULATE_FAILURES\) must be entries/],
      [[], { GRAPH_LRO_SIMULATE_FAILURES: 'POST /v1.0/me=500' }, /--simulate-failures/],
      [['--simulate-throttling', 'sometimes'], {}, /--simulate-throttling \(GRAPH_LRO_SIMULATE_THROTTLING\)/],
      [['--simulate-latency', '9-1'], {}, /--simulate-latency/],
    ] as const) {
      const res = runCli(['serve', '--memory', ...args], env);
      assert.equal(res.status, 2, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, /^graph-lro: [^\n]+\n$/, 'one line');
      assert.match(res.stderr, pattern);
    }
  });

  it('the flags reach the server: every 2nd request is 429 with the configured Retry-After', async () => {
    const server = await startServer(['--memory', '--simulate-throttling', 'every:2'], { GRAPH_LRO_SIMULATE_THROTTLING_RETRY_AFTER: '3' });
    try {
      const ops = '/v1.0/me/authentication/operations';
      assert.equal((await call(server.origin, server.token, 'GET', ops)).status, 200);
      const limited = await call(server.origin, server.token, 'GET', ops);
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('retry-after'), '3');
      assert.equal(limited.json.error.code, 'TooManyRequests');
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });
});
