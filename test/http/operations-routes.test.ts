import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OPERATIONS, startHarness, type Harness } from '../support/harness.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('operations routes', () => {
  let h: Harness;
  let token: string;
  let userId: string;

  before(async () => {
    h = await startHarness();
    const alice = await h.user('alice@contoso.com');
    token = alice.token;
    userId = alice.user.id;
  });
  after(() => h.close());

  async function create(body: object = {}, url = OPERATIONS) {
    const res = await h.request(token, { method: 'POST', url, payload: body });
    assert.equal(res.statusCode, 201, res.body);
    return res.json;
  }

  it('POST creates: 201, Location on the user object id, the entity with server-set id and dates', async () => {
    const res = await h.request(token, { method: 'POST', url: OPERATIONS, payload: { statusDetail: 'queued' } });
    assert.equal(res.statusCode, 201);
    const op = res.json;
    assert.match(op.id, GUID);
    assert.equal(op.status, 'notStarted');
    assert.equal(op.statusDetail, 'queued');
    assert.equal(op.resourceLocation, null);
    assert.match(op.createdDateTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?Z$/);
    assert.equal(op.lastActionDateTime, op.createdDateTime);
    assert.equal(res.headers.location, `http://localhost:80/v1.0/users/${userId}/authentication/operations/${op.id}`);
    assert.equal(res.headers.etag, '"1"');
    const read = await h.request(token, { method: 'GET', url: new URL(String(res.headers.location)).pathname });
    assert.equal(read.statusCode, 200);
    assert.equal(read.json.id, op.id);
  });

  it('POST accepts a client status and lastActionDateTime, refuses the read-only id and unknownFutureValue', async () => {
    const op = await create({ status: 'RUNNING', lastActionDateTime: '2020-01-01T00:00:00.1234567Z' });
    assert.equal(op.status, 'running');
    assert.equal(op.lastActionDateTime, '2020-01-01T00:00:00.1234567Z');
    for (const body of [{ id: 'mine' }, { status: 'unknownFutureValue' }, { createdDateTime: '2020-01-01T00:00:00Z' }]) {
      const res = await h.request(token, { method: 'POST', url: OPERATIONS, payload: body });
      assert.equal(res.statusCode, 400, JSON.stringify(body));
      assert.equal(res.json.error.code, 'BadRequest');
    }
  });

  it('GET reads the operation, with @odata.context as Graph writes it', async () => {
    const op = await create();
    const res = await h.request(token, { method: 'GET', url: `${OPERATIONS}/${op.id}` });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json['@odata.context'], `http://localhost:80/v1.0/$metadata#users('${userId}')/authentication/operations/$entity`);
    assert.deepEqual(Object.keys(res.json), [
      '@odata.context',
      '@odata.type',
      'id',
      'createdDateTime',
      'lastActionDateTime',
      'status',
      'statusDetail',
      'resourceLocation',
    ]);
  });

  it('GET with $select answers only the selected properties and id, and names them in the context', async () => {
    const op = await create({ statusDetail: 'x' });
    for (const query of ['$select=status,statusDetail', 'select=statusDetail,status', '$select=STATUS,statusdetail']) {
      const res = await h.request(token, { method: 'GET', url: `${OPERATIONS}/${op.id}?${query}` });
      assert.equal(res.statusCode, 200, query);
      assert.deepEqual(Object.keys(res.json).filter((k) => !k.startsWith('@')), ['id', 'status', 'statusDetail']);
      assert.match(res.json['@odata.context'], /\/authentication\/operations\(status,statusDetail\)\/\$entity$/);
    }
    const bad = await h.request(token, { method: 'GET', url: `${OPERATIONS}/${op.id}?$select=status,nope` });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json.error.message, /'nope'/);
  });

  it('PATCH answers 200 with the full updated entity; Prefer: return=minimal answers 204', async () => {
    const op = await create();
    const res = await h.request(token, { method: 'PATCH', url: `${OPERATIONS}/${op.id}`, payload: { status: 'running' } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json.status, 'running');
    assert.equal(res.json.id, op.id);
    assert.equal(res.json.createdDateTime, op.createdDateTime);
    assert.equal(res.headers.etag, '"2"');
    const minimal = await h.request(token, {
      method: 'PATCH',
      url: `${OPERATIONS}/${op.id}`,
      payload: { statusDetail: 'half way' },
      headers: { prefer: 'return=minimal' },
    });
    assert.equal(minimal.statusCode, 204);
    assert.equal(minimal.body, '');
    assert.equal(minimal.headers['preference-applied'], 'return=minimal');
    const read = await h.request(token, { method: 'GET', url: `${OPERATIONS}/${op.id}` });
    assert.equal(read.json.statusDetail, 'half way');
  });

  it('DELETE answers 204, then the operation is 404', async () => {
    const op = await create();
    const del = await h.request(token, { method: 'DELETE', url: `${OPERATIONS}/${op.id}` });
    assert.equal(del.statusCode, 204);
    assert.equal(del.body, '');
    const gone = await h.request(token, { method: 'GET', url: `${OPERATIONS}/${op.id}` });
    assert.equal(gone.statusCode, 404);
    assert.equal(gone.json.error.code, 'itemNotFound');
    const again = await h.request(token, { method: 'DELETE', url: `${OPERATIONS}/${op.id}` });
    assert.equal(again.statusCode, 404);
    // clients send a JSON content type on every request: an empty body is no body, not malformed JSON
    const other = await create();
    const withType = await h.request(token, { method: 'DELETE', url: `${OPERATIONS}/${other.id}`, headers: { 'content-type': 'application/json' } });
    assert.equal(withType.statusCode, 204);
  });

  it('/users/{id} and /users/{userPrincipalName} address the same operations as /me, under v1.0 and beta', async () => {
    const op = await create();
    for (const path of [
      `/v1.0/users/${userId}`,
      '/v1.0/users/alice@contoso.com',
      '/v1.0/users/ALICE%40contoso.com',
      `/beta/users/${userId.toUpperCase()}`,
      '/beta/me',
    ]) {
      const res = await h.request(token, { method: 'GET', url: `${path}/authentication/operations/${op.id}` });
      assert.equal(res.statusCode, 200, path);
      assert.equal(res.json.id, op.id);
    }
    const viaUpn = await h.request(token, { method: 'GET', url: `/beta/users/alice%40contoso.com/authentication/operations/${op.id}` });
    assert.equal(viaUpn.json['@odata.context'], `http://localhost:80/beta/$metadata#users('alice%40contoso.com')/authentication/operations/$entity`);
  });

  it('lists in pages: $top, an absolute opaque nextLink that keeps the other options, no nextLink on the last page', async () => {
    const { token: bob } = await h.user('bob@contoso.com');
    const created: string[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await h.request(bob, { method: 'POST', url: OPERATIONS, payload: { statusDetail: `n${i}` } });
      created.push(res.json.id);
    }
    const seen: string[] = [];
    let url: string | undefined = `${OPERATIONS}?$top=3&$select=statusDetail`;
    let pages = 0;
    while (url !== undefined) {
      const res = await h.request(bob, { method: 'GET', url });
      assert.equal(res.statusCode, 200, res.body);
      assert.match(res.json['@odata.context'], /\/authentication\/operations\(statusDetail\)$/);
      assert.ok(res.json.value.length <= 3);
      for (const item of res.json.value) assert.deepEqual(Object.keys(item), ['id', 'statusDetail']);
      seen.push(...res.json.value.map((v: { id: string }) => v.id));
      const next: string | undefined = res.json['@odata.nextLink'];
      if (next !== undefined) {
        assert.match(next, /^http:\/\/localhost:80\/v1\.0\/me\/authentication\/operations\?/);
        assert.match(next, /\$top=3/);
        assert.match(next, /\$select=statusDetail/);
        assert.match(next, /\$skiptoken=/);
        url = next.slice('http://localhost:80'.length);
      } else url = undefined;
      pages++;
    }
    assert.equal(pages, 3);
    assert.deepEqual(seen, created);
  });

  it('lists with a default page size and rejects a $top out of range and a forged $skiptoken', async () => {
    const res = await h.request(token, { method: 'GET', url: OPERATIONS });
    assert.equal(res.statusCode, 200);
    assert.ok(Array.isArray(res.json.value));
    assert.equal(res.json['@odata.context'], `http://localhost:80/v1.0/$metadata#users('${userId}')/authentication/operations`);
    for (const query of ['$top=0', '$top=1000', '$top=-1', '$top=abc', '$skiptoken=bm9wZQ', '$skiptoken=%7B%7D', '$top=1&$top=2']) {
      const bad = await h.request(token, { method: 'GET', url: `${OPERATIONS}?${query}` });
      assert.equal(bad.statusCode, 400, query);
      assert.equal(bad.json.error.code, 'BadRequest');
    }
  });

  it('ignores query parameters it does not own (Graph Location URLs carry some) but refuses unknown $options', async () => {
    const op = await create();
    const ok = await h.request(token, { method: 'GET', url: `${OPERATIONS}/${op.id}?aadgdc=DUB02P&aadgsu=ssprprod-a` });
    assert.equal(ok.statusCode, 200);
    const bad = await h.request(token, { method: 'GET', url: `${OPERATIONS}/${op.id}?$bogus=1` });
    assert.equal(bad.statusCode, 400);
  });

  it('answers 405 with an Allow header for other methods, and 404 for unknown URLs and ids, in Graph’s envelope', async () => {
    const op = await create();
    for (const [method, url, allow] of [
      ['PUT', `${OPERATIONS}/${op.id}`, 'GET, PATCH, DELETE, HEAD'],
      ['POST', `${OPERATIONS}/${op.id}`, 'GET, PATCH, DELETE, HEAD'],
      ['PATCH', OPERATIONS, 'GET, POST, HEAD'],
      ['DELETE', OPERATIONS, 'GET, POST, HEAD'],
    ] as const) {
      const res = await h.request(token, { method, url, payload: method === 'PUT' || method === 'POST' || method === 'PATCH' ? {} : undefined });
      assert.equal(res.statusCode, 405, `${method} ${url}`);
      assert.equal(res.json.error.code, 'Request_BadRequest');
      assert.equal(res.headers.allow, allow);
    }
    for (const url of ['/v1.0/me/authentication/nothing', '/v2.0/me/authentication/operations', '/', `${OPERATIONS}/${op.id}/more`]) {
      const res = await h.request(token, { method: 'GET', url });
      assert.equal(res.statusCode, 404, url);
      assert.equal(res.json.error.code, 'itemNotFound');
    }
    const unknownUser = await h.request(token, { method: 'GET', url: '/v1.0/users/nobody@contoso.com/authentication/operations' });
    assert.equal(unknownUser.statusCode, 404);
    assert.equal(unknownUser.json.error.code, 'Request_ResourceNotFound');
  });

  it('matches paths case-insensitively and with a trailing slash, as Graph does', async () => {
    const op = await create();
    const res = await h.request(token, { method: 'GET', url: `/v1.0/Me/Authentication/Operations/${op.id}/` });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json.id, op.id);
  });
});
