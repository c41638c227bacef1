import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OPERATIONS, startHarness, type Harness } from '../support/harness.js';

const OPS = '/me/authentication/operations';

describe('$batch', () => {
  let h: Harness;
  let token: string;
  let opId: string;

  before(async () => {
    h = await startHarness();
    token = (await h.user('batcher@contoso.com')).token;
    opId = (await h.request(token, { method: 'POST', url: OPERATIONS, payload: {} })).json.id;
  });
  after(() => h.close());

  const batch = (requests: unknown, as = token, version = 'v1.0') =>
    h.request(as, { method: 'POST', url: `/${version}/$batch`, payload: { requests } });

  it('runs each request as if sent alone and answers {id, status, headers, body} for each', async () => {
    const res = await batch([
      { id: '1', method: 'GET', url: `${OPS}/${opId}?$select=status` },
      { id: '2', method: 'POST', url: OPS, headers: { 'Content-Type': 'application/json' }, body: { statusDetail: 'from batch' } },
      { id: '3', method: 'GET', url: `${OPS}/$count` },
      { id: '4', method: 'PATCH', url: `${OPS}/${opId}`, headers: { 'content-type': 'application/json', prefer: 'return=minimal' }, body: { status: 'running' } },
      { id: '5', method: 'GET', url: `${OPS}/00000000-0000-0000-0000-000000000000` },
    ]);
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const byId = new Map(res.json.responses.map((r: { id: string }) => [r.id, r]));
    const r1 = byId.get('1') as any;
    assert.equal(r1.status, 200);
    assert.deepEqual(Object.keys(r1.body).filter((k) => !k.startsWith('@')), ['id', 'status']);
    assert.equal(r1.headers.ETag, '"1"');
    assert.match(r1.headers['Content-Type'], /^application\/json/);
    const r2 = byId.get('2') as any;
    assert.equal(r2.status, 201);
    assert.equal(r2.body.statusDetail, 'from batch');
    assert.match(r2.headers.Location, /^http:\/\/localhost:80\/v1\.0\/users\/.+\/authentication\/operations\//);
    const r3 = byId.get('3') as any;
    assert.equal(r3.status, 200);
    assert.equal(r3.body, '2');
    const r4 = byId.get('4') as any;
    assert.equal(r4.status, 204);
    assert.equal(r4.body, undefined);
    const r5 = byId.get('5') as any;
    assert.equal(r5.status, 404);
    assert.equal(r5.body.error.code, 'itemNotFound');
    const read = await h.request(token, { method: 'GET', url: `${OPERATIONS}/${opId}` });
    assert.equal(read.json.status, 'running', 'the batched PATCH was applied');
  });

  it('dependsOn: a request after a failed dependency is 424 and does not run', async () => {
    const res = await batch([
      { id: 'a', method: 'PATCH', url: `${OPS}/missing`, headers: { 'content-type': 'application/json' }, body: { status: 'failed' } },
      { id: 'b', method: 'POST', url: OPS, headers: { 'content-type': 'application/json' }, body: { statusDetail: 'must not exist' }, dependsOn: ['a'] },
      { id: 'c', method: 'GET', url: `${OPS}/$count`, dependsOn: ['A'] },
    ]);
    assert.equal(res.statusCode, 200);
    const [a, b, c] = res.json.responses;
    assert.equal(a.status, 404);
    assert.equal(b.status, 424);
    assert.equal(b.body.error.code, 'failedDependency');
    assert.equal(c.status, 424, 'ids match case-insensitively');
    const list = await h.request(token, { method: 'GET', url: `${OPERATIONS}?$filter=${encodeURIComponent("statusDetail eq 'must not exist'")}` });
    assert.deepEqual(list.json.value, []);
  });

  it('each request is authorized as if alone: a .Read token cannot write through a batch', async () => {
    const { token: reader } = await h.user('reader@contoso.com', { scopes: ['UserAuthenticationMethod.Read'] });
    const res = await batch(
      [
        { id: '1', method: 'GET', url: OPS },
        { id: '2', method: 'POST', url: OPS, headers: { 'content-type': 'application/json' }, body: {} },
        { id: '3', method: 'GET', url: `/users/batcher@contoso.com/authentication/operations/${opId}` },
      ],
      reader,
    );
    assert.deepEqual(res.json.responses.map((r: { status: number }) => r.status), [200, 403, 403]);
  });

  it('a malformed batch is 400 as a whole: duplicate ids, more than 20 requests, bad shapes, unknown dependencies', async () => {
    const get = (id: string) => ({ id, method: 'GET', url: OPS });
    for (const [requests, message] of [
      [[get('1'), get('1')], /more than once/],
      [[get('x'), get('X')], /more than once/],
      [Array.from({ length: 21 }, (_, i) => get(String(i))), /1 to 20/],
      [[], /1 to 20/],
      ['nope', /requests/],
      [[{ id: '1', method: 'FETCH', url: OPS }], /method/],
      [[{ id: '1', method: 'GET', url: 'https://evil.example/v1.0/me' }], /relative/],
      [[{ id: '1', method: 'GET', url: OPS, dependsOn: ['2'] }, get('2')], /not an earlier request/],
      [[{ id: '', method: 'GET', url: OPS }], /id/],
    ] as const) {
      const res = await batch(requests);
      assert.equal(res.statusCode, 400, JSON.stringify(requests).slice(0, 80));
      assert.match(res.json.error.message, message);
    }
    const twenty = await batch(Array.from({ length: 20 }, (_, i) => get(String(i))));
    assert.equal(twenty.statusCode, 200);
    assert.equal(twenty.json.responses.length, 20);
  });

  it('a body needs a Content-Type; a nested $batch is refused; the batch itself needs a token', async () => {
    const res = await batch([
      { id: '1', method: 'POST', url: OPS, body: {} },
      { id: '2', method: 'POST', url: '/$batch', headers: { 'content-type': 'application/json' }, body: { requests: [] } },
    ]);
    assert.deepEqual(res.json.responses.map((r: { status: number }) => r.status), [400, 400]);
    const anonymous = await h.request(undefined, { method: 'POST', url: '/v1.0/$batch', payload: { requests: [{ id: '1', method: 'GET', url: OPS }] } });
    assert.equal(anonymous.statusCode, 401);
  });

  it('absolute URLs inside a batch use the origin the client addressed', async () => {
    const res = await h.request(token, {
      method: 'POST',
      url: '/v1.0/$batch',
      headers: { host: 'graph.example.test:8443' },
      payload: { requests: [{ id: '1', method: 'POST', url: OPS, headers: { 'content-type': 'application/json' }, body: {} }, { id: '2', method: 'GET', url: `${OPS}?$top=1` }] },
    });
    const [created, listed] = res.json.responses;
    assert.match(created.headers.Location, /^http:\/\/graph\.example\.test:8443\/v1\.0\/users\//);
    assert.match(created.body['@odata.context'], /^http:\/\/graph\.example\.test:8443\/v1\.0\/\$metadata#/);
    assert.match(listed.body['@odata.nextLink'], /^http:\/\/graph\.example\.test:8443\/v1\.0\/me\/authentication\/operations\?/);
    const forged = await h.request(token, { method: 'POST', url: OPERATIONS, payload: {}, headers: { 'x-graph-lro-batch-origin': 'x https://evil.example' } });
    assert.match(String(forged.headers.location), /^http:\/\/localhost:80\//, 'a client cannot choose the origin');
  });

  it('works on beta, with relative URLs with or without a leading slash', async () => {
    const res = await batch([{ id: '1', method: 'GET', url: 'me/authentication/operations?$top=1' }], token, 'beta');
    assert.equal(res.json.responses[0].status, 200);
    assert.match(res.json.responses[0].body['@odata.context'], /\/beta\/\$metadata#/);
  });
});
