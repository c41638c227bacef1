import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OPERATIONS, startHarness, type Harness } from '../support/harness.js';

const GRAPH_JSON = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('wire format', () => {
  let h: Harness;
  let token: string;
  let opId: string;

  before(async () => {
    h = await startHarness();
    token = (await h.user('wire@contoso.com')).token;
    opId = (await h.request(token, { method: 'POST', url: OPERATIONS, payload: {} })).json.id;
  });
  after(() => h.close());

  /** A success, a client error of each family, and an unauthenticated call: all carry Graph's headers. */
  const cases = () => [
    { name: 'GET item', token, method: 'GET' as const, url: `${OPERATIONS}/${opId}`, status: 200 },
    { name: 'GET list', token, method: 'GET' as const, url: OPERATIONS, status: 200 },
    { name: 'POST', token, method: 'POST' as const, url: OPERATIONS, payload: {}, status: 201 },
    { name: 'bad value', token, method: 'PATCH' as const, url: `${OPERATIONS}/${opId}`, payload: { status: 'x' }, status: 400 },
    { name: 'no token', token: undefined, method: 'GET' as const, url: OPERATIONS, status: 401 },
    { name: 'missing', token, method: 'GET' as const, url: `${OPERATIONS}/nope`, status: 404 },
    { name: 'unknown URL', token, method: 'GET' as const, url: '/v1.0/nowhere', status: 404 },
    { name: 'method', token, method: 'PUT' as const, url: OPERATIONS, payload: {}, status: 405 },
  ];

  it('every response carries request-id, client-request-id, Date, x-ms-ags-diagnostic, OData-Version and Graph’s JSON type', async () => {
    for (const c of cases()) {
      const res = await h.request(c.token, { method: c.method, url: c.url, payload: c.payload });
      assert.equal(res.statusCode, c.status, c.name);
      assert.match(String(res.headers['request-id']), GUID, c.name);
      assert.equal(res.headers['client-request-id'], res.headers['request-id'], c.name);
      assert.ok(res.headers.date, c.name);
      assert.ok(JSON.parse(String(res.headers['x-ms-ags-diagnostic'])).ServerInfo, c.name);
      assert.equal(res.headers['odata-version'], '4.0', c.name);
      assert.equal(res.headers['content-type'], GRAPH_JSON, c.name);
    }
  });

  it('echoes the client-request-id, and gives each request its own request-id', async () => {
    const a = await h.request(token, { method: 'GET', url: OPERATIONS, headers: { 'client-request-id': 'e70c5c1b-1111-2222-3333-444455556666' } });
    const b = await h.request(token, { method: 'GET', url: OPERATIONS });
    assert.equal(a.headers['client-request-id'], 'e70c5c1b-1111-2222-3333-444455556666');
    assert.notEqual(a.headers['request-id'], b.headers['request-id']);
    const bad = await h.request(token, { method: 'GET', url: `${OPERATIONS}/nope`, headers: { 'client-request-id': 'mine' } });
    assert.equal(bad.json.error.innerError['client-request-id'], 'mine');
  });

  it('every error body is exactly {error:{code,message,innerError:{date,request-id,client-request-id}}}', async () => {
    for (const c of cases().filter((c) => c.status >= 400)) {
      const res = await h.request(c.token, { method: c.method, url: c.url, payload: c.payload });
      assert.deepEqual(Object.keys(res.json), ['error'], c.name);
      assert.deepEqual(Object.keys(res.json.error), ['code', 'message', 'innerError'], c.name);
      assert.deepEqual(Object.keys(res.json.error.innerError), ['date', 'request-id', 'client-request-id'], c.name);
      assert.match(res.json.error.innerError.date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/, c.name);
      assert.equal(res.json.error.innerError['request-id'], res.headers['request-id'], c.name);
      assert.ok(res.json.error.message.length > 0, c.name);
    }
  });

  it('Prefer: include-unknown-enum-members is answered with Preference-Applied', async () => {
    const res = await h.request(token, { method: 'GET', url: `${OPERATIONS}/${opId}`, headers: { prefer: 'include-unknown-enum-members' } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['preference-applied'], 'include-unknown-enum-members');
    const plain = await h.request(token, { method: 'GET', url: `${OPERATIONS}/${opId}` });
    assert.equal(plain.headers['preference-applied'], undefined);
  });

  it('Prefer: return=representation and return=minimal on POST and PATCH, named in Preference-Applied', async () => {
    const minimal = await h.request(token, { method: 'POST', url: OPERATIONS, payload: {}, headers: { prefer: 'return=minimal' } });
    assert.equal(minimal.statusCode, 204);
    assert.equal(minimal.body, '');
    assert.match(String(minimal.headers.location), /\/authentication\/operations\/[0-9a-f-]{36}$/);
    assert.equal(minimal.headers['preference-applied'], 'return=minimal');
    const id = String(minimal.headers.location).split('/').pop();
    const full = await h.request(token, {
      method: 'PATCH',
      url: `${OPERATIONS}/${id}`,
      payload: { statusDetail: 'x' },
      headers: { prefer: 'return=representation, include-unknown-enum-members' },
    });
    assert.equal(full.statusCode, 200);
    assert.equal(full.json.statusDetail, 'x');
    assert.equal(full.headers['preference-applied'], 'return=representation, include-unknown-enum-members');
  });

  it('ETags: If-None-Match answers 304; If-Match guards PATCH and DELETE (412 writes nothing, * matches)', async () => {
    const op = (await h.request(token, { method: 'POST', url: OPERATIONS, payload: {} })).json;
    const url = `${OPERATIONS}/${op.id}`;
    const got = await h.request(token, { method: 'GET', url });
    assert.equal(got.headers.etag, '"1"');
    assert.equal((await h.request(token, { method: 'GET', url, headers: { 'if-none-match': '"1"' } })).statusCode, 304);
    assert.equal((await h.request(token, { method: 'GET', url, headers: { 'if-none-match': '"9"' } })).statusCode, 200);
    const stale = await h.request(token, { method: 'PATCH', url, payload: { status: 'running' }, headers: { 'if-match': '"7"' } });
    assert.equal(stale.statusCode, 412);
    assert.equal(stale.json.error.code, 'resourceModified');
    assert.equal((await h.request(token, { method: 'GET', url })).json.status, 'notStarted');
    const fresh = await h.request(token, { method: 'PATCH', url, payload: { status: 'running' }, headers: { 'if-match': '"1"' } });
    assert.equal(fresh.statusCode, 200);
    assert.equal(fresh.headers.etag, '"2"');
    assert.equal((await h.request(token, { method: 'DELETE', url, headers: { 'if-match': '"1"' } })).statusCode, 412);
    assert.equal((await h.request(token, { method: 'DELETE', url, headers: { 'if-match': '*' } })).statusCode, 204);
  });
});
