import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { WriterThread } from '../../src/store/sqlite/writer-thread.js';
import { OPERATIONS, startHarness, type Harness } from '../support/harness.js';

describe('health and metrics', () => {
  let h: Harness;
  let token: string;

  before(async () => {
    h = await startHarness();
    token = (await h.user('ops@contoso.com')).token;
  });
  after(() => h.close());

  it('/healthz and /readyz answer 200 without a token', async () => {
    for (const url of ['/healthz', '/readyz']) {
      const res = await h.app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
    }
  });

  it('other methods on the operational URLs and the JWKS are 405 with Allow, in Graph\'s envelope', async () => {
    for (const url of ['/healthz', '/readyz', '/metrics', '/.well-known/jwks.json']) {
      for (const method of ['POST', 'PUT', 'DELETE'] as const) {
        const res = await h.app.inject({ method, url });
        assert.equal(res.statusCode, 405, `${method} ${url}`);
        assert.equal(res.headers.allow, 'GET, HEAD', `${method} ${url}`);
        assert.equal(res.json().error.code, 'Request_BadRequest');
      }
    }
    // /metrics is left out: a scrape now would be shared by the next test's, a moment later.
    for (const url of ['/healthz', '/readyz', '/.well-known/jwks.json']) {
      assert.equal((await h.app.inject({ method: 'HEAD', url })).statusCode, 200, `HEAD ${url}`);
    }
  });

  it('/readyz is 503 with Retry-After when the database does not answer', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    const broken = await startHarness({ store: { ...store, ping: () => Promise.reject(new Error('connection refused')) } });
    try {
      const res = await broken.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(res.statusCode, 503);
      assert.equal(res.headers['retry-after'], '5');
      assert.equal((await broken.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'still alive');
    } finally {
      await broken.close();
    }
  });

  it('a database that does not answer gives 503 with Retry-After in Graph’s envelope, not 500', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    const failure = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const down = await startHarness({ store: { ...store, operations: { ...store.operations, list: () => Promise.reject(failure) } } });
    try {
      const { token: t } = await down.user('down@contoso.com');
      const res = await down.request(t, { method: 'GET', url: OPERATIONS });
      assert.equal(res.statusCode, 503);
      assert.equal(res.headers['retry-after'], '5');
      assert.equal(res.json.error.code, 'serviceNotAvailable');
      assert.doesNotMatch(res.body, /5432|ECONNREFUSED/, 'no internals in the answer');
    } finally {
      await down.close();
    }
  });

  it('a SQLite writer thread that died answers writes 503 with Retry-After, reads go on, and /readyz says not ready', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'graph-lro-writer-died-'));
    let thread: WriterThread | undefined;
    const store = openSqliteStore({ path: join(dir, 'graph-lro.db'), placeWrites: (db) => (thread = new WriterThread(db.name)) });
    const died = await startHarness({ store });
    try {
      const { token: t } = await died.user('died@contoso.com');
      const created = await died.request(t, { method: 'POST', url: OPERATIONS, payload: { status: 'running' } });
      assert.equal(created.statusCode, 201);
      await thread!.kill();
      const res = await died.request(t, { method: 'PATCH', url: `${OPERATIONS}/${created.json.id}`, payload: { statusDetail: 'after' } });
      assert.equal(res.statusCode, 503);
      assert.equal(res.headers['retry-after'], '5');
      assert.equal(res.json.error.code, 'serviceNotAvailable');
      assert.equal((await died.request(t, { method: 'GET', url: `${OPERATIONS}/${created.json.id}` })).statusCode, 200);
      const ready = await died.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 503, 'a balancer sends writers elsewhere');
      assert.equal(ready.headers['retry-after'], '5');
    } finally {
      await died.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('/metrics counts requests by route template and status, and operations by status', async () => {
    const created = await h.request(token, { method: 'POST', url: OPERATIONS, payload: { status: 'running' } });
    await h.request(token, { method: 'GET', url: `${OPERATIONS}/${created.json.id}` });
    await h.request(token, { method: 'GET', url: `${OPERATIONS}/nope` });
    const res = await h.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    const text = res.body;
    assert.match(text, /graph_lro_http_requests_total\{method="GET",route="\/v1\.0\/me\/authentication\/operations\/:id",status="200"\} 1/);
    assert.match(text, /graph_lro_http_requests_total\{method="GET",route="\/v1\.0\/me\/authentication\/operations\/:id",status="404"\} 1/);
    assert.match(text, /graph_lro_http_requests_total\{method="POST",route="\/v1\.0\/me\/authentication\/operations",status="201"\} 1/);
    assert.match(text, /graph_lro_http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/v1\.0\/me\/authentication\/operations\/:id"\}/);
    assert.match(text, /graph_lro_operations\{status="running"\} 1/);
    assert.match(text, /graph_lro_operations\{status="failed"\} 0/);
    assert.doesNotMatch(text, new RegExp(created.json.id), 'no ids in label values');
  });
});
