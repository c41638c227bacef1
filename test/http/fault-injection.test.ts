import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FaultOptions } from '../../src/emulator/faults.js';
import { OPERATIONS, startHarness } from '../support/harness.js';

/** A `random` that answers `values` in turn (then repeats the last), and counts its draws. */
function scripted(...values: number[]): (() => number) & { draws: number } {
  const random = Object.assign(() => values[Math.min(random.draws++, values.length - 1)]!, { draws: 0 });
  return random;
}

async function withFaults(faults: FaultOptions, body: (h: Awaited<ReturnType<typeof startHarness>>, token: string) => Promise<void>) {
  const h = await startHarness({ faults });
  try {
    const { token } = await h.user('faulty@contoso.com');
    await body(h, token);
  } finally {
    await h.close();
  }
}

describe('fault injection (emulator)', () => {
  it('throttles by probability: 429 TooManyRequests, Retry-After and the body of real throttling', async () => {
    await withFaults({ throttle: { probability: 0.5 }, random: scripted(0.7, 0.2, 0.9) }, async (h, token) => {
      assert.equal((await h.request(token, { method: 'GET', url: OPERATIONS })).statusCode, 200, '0.7 ≥ 0.5: served');
      const limited = await h.request(token, { method: 'GET', url: OPERATIONS });
      assert.equal(limited.statusCode, 429, '0.2 < 0.5: throttled');
      assert.equal(limited.headers['retry-after'], '5', 'the default Retry-After');
      assert.match(String(limited.headers['content-type']), /^application\/json/);
      assert.equal(limited.json.error.code, 'TooManyRequests');
      assert.equal(limited.json.error.message, 'Please retry again later.');
      assert.deepEqual(
        { code: limited.json.error.innerError.code, message: limited.json.error.innerError.message, status: limited.json.error.innerError.status },
        { code: '429', message: 'Please retry after', status: '429' },
      );
      assert.equal(limited.json.error.innerError['request-id'], limited.headers['request-id']);
      assert.equal((await h.request(token, { method: 'GET', url: OPERATIONS })).statusCode, 200);
    });
  });

  it('throttles every Nth request of each caller, with the configured Retry-After', async () => {
    await withFaults({ throttle: { every: 3 }, retryAfterSeconds: 2 }, async (h, alice) => {
      const { token: bob } = await h.user('bob@contoso.com');
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await h.request(alice, { method: 'GET', url: OPERATIONS })).statusCode);
      assert.deepEqual(statuses, [200, 200, 429, 200, 200, 429]);
      assert.equal((await h.request(bob, { method: 'GET', url: OPERATIONS })).statusCode, 200, 'each caller counts apart');
      assert.equal((await h.request(bob, { method: 'GET', url: OPERATIONS })).statusCode, 200);
      const limited = await h.request(bob, { method: 'GET', url: OPERATIONS }); // bob's 3rd
      assert.equal(limited.statusCode, 429);
      assert.equal(limited.headers['retry-after'], '2');
    });
  });

  it('delays each API request by a drawn latency, through the injected sleep, then handles it', async () => {
    const slept: number[] = [];
    const sleep = async (ms: number) => void slept.push(ms);
    await withFaults({ latency: { minMs: 20, maxMs: 200 }, random: scripted(0, 0.5, 0.999999), sleep }, async (h, token) => {
      for (let i = 0; i < 3; i++) {
        const res = await h.request(token, { method: 'POST', url: OPERATIONS, payload: { statusDetail: `n${i}` } });
        assert.equal(res.statusCode, 201, 'the handler ran after the delay');
      }
      assert.deepEqual(slept, [20, 110, 200]);
      assert.ok(slept.every((ms) => ms >= 20 && ms <= 200));
      assert.equal((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
      assert.equal(slept.length, 3, 'health is not delayed');
    });
  });

  it('fails matching requests by method and route with 500 generalException, writing nothing', async () => {
    const random = scripted(0.1, 0.9);
    await withFaults({ failures: [{ method: 'POST', route: OPERATIONS, status: 500, probability: 0.5 }], random }, async (h, token) => {
      const failed = await h.request(token, { method: 'POST', url: OPERATIONS, payload: { statusDetail: 'lost' } });
      assert.equal(failed.statusCode, 500);
      assert.equal(failed.json.error.code, 'generalException');
      assert.equal(failed.json.error.innerError['request-id'], failed.headers['request-id']);
      assert.equal(failed.headers['retry-after'], undefined);
      const kept = await h.request(token, { method: 'POST', url: OPERATIONS, payload: { statusDetail: 'kept' } });
      assert.equal(kept.statusCode, 201);
      assert.equal(random.draws, 2);
      const list = await h.request(token, { method: 'GET', url: OPERATIONS });
      assert.equal(list.statusCode, 200, 'GET does not match the POST rule');
      assert.deepEqual(list.json.value.map((op: { statusDetail: string }) => op.statusDetail), ['kept'], 'the failed POST wrote nothing');
      assert.equal(random.draws, 2, 'no draw for a request no rule matches');
    });
  });

  it('fails with 503 serviceNotAvailable and Retry-After on a templated route; the PATCH is not applied', async () => {
    const failures = [{ method: 'patch', route: '/v1.0/me/authentication/operations/{id}', status: 503, probability: 1 }] as const;
    await withFaults({ failures, retryAfterSeconds: 7 }, async (h, token) => {
      const op = (await h.request(token, { method: 'POST', url: OPERATIONS, payload: { statusDetail: 'before' } })).json;
      const failed = await h.request(token, { method: 'PATCH', url: `${OPERATIONS}/${op.id}`, payload: { status: 'running', statusDetail: 'after' } });
      assert.equal(failed.statusCode, 503);
      assert.equal(failed.json.error.code, 'serviceNotAvailable');
      assert.equal(failed.headers['retry-after'], '7');
      const read = await h.request(token, { method: 'GET', url: `${OPERATIONS}/${op.id}` });
      assert.equal(read.statusCode, 200);
      assert.equal(read.json.statusDetail, 'before');
      assert.equal(read.json.status, op.status);
      assert.equal((await h.request(token, { method: 'PATCH', url: `/beta/me/authentication/operations/${op.id}`, payload: {} })).statusCode, 200, 'beta is another route');
    });
  });

  it('never affects health, readiness, metrics or $metadata, and unauthenticated requests are still 401', async () => {
    const faults: FaultOptions = { throttle: { every: 1 }, failures: [{ route: '/', status: 500, probability: 1 }], latency: { minMs: 5, maxMs: 5 }, sleep: async () => assert.fail('no delay') };
    const h = await startHarness({ faults });
    try {
      for (const url of ['/healthz', '/readyz', '/metrics', '/v1.0/$metadata', '/beta/$metadata']) {
        assert.equal((await h.app.inject({ method: 'GET', url })).statusCode, 200, url);
      }
      assert.equal((await h.request(undefined, { method: 'GET', url: OPERATIONS })).statusCode, 401);
    } finally {
      await h.close();
    }
  });

  it('a route-less failure rule applies to every API route; the rejection is logged', async () => {
    const lines: string[] = [];
    const h = await startHarness({ faults: { failures: [{ route: '/', status: 503, probability: 1 }] }, logLevel: 'info', logStream: { write: (l) => void lines.push(l) } });
    try {
      const { token } = await h.user('logged@contoso.com');
      const res = await h.request(token, { method: 'GET', url: '/beta/me/authentication/operations/$count' });
      assert.equal(res.statusCode, 503);
      const rejected = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'request rejected');
      assert.ok(rejected, 'a "request rejected" line');
      assert.equal(rejected.status, 503);
      assert.equal(rejected.code, 'serviceNotAvailable');
    } finally {
      await h.close();
    }
  });

  it('is off by default', async () => {
    const h = await startHarness();
    try {
      const { token } = await h.user('calm@contoso.com');
      for (let i = 0; i < 20; i++) assert.equal((await h.request(token, { method: 'POST', url: OPERATIONS, payload: {} })).statusCode, 201);
    } finally {
      await h.close();
    }
  });
});
