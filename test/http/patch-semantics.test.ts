import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OPERATIONS, startHarness, type Harness } from '../support/harness.js';

/** The seed page's request body ("Update longRunningOperation"), verbatim. */
const SEED_BODY = {
  '@odata.type': '#microsoft.graph.longRunningOperation',
  lastActionDateTime: '2017-01-01T00:02:09.4916918+03:00',
  status: 'String',
  statusDetail: 'Status Detail value',
  resourceLocation: 'Resource Location value',
};

describe('PATCH semantics', () => {
  let h: Harness;
  let token: string;

  before(async () => {
    h = await startHarness();
    token = (await h.user('patcher@contoso.com')).token;
  });
  after(() => h.close());

  async function create(body: object = {}) {
    const res = await h.request(token, { method: 'POST', url: OPERATIONS, payload: body });
    assert.equal(res.statusCode, 201, res.body);
    return res.json;
  }
  const patch = (id: string, payload: unknown, headers: Record<string, string> = {}) =>
    h.request(token, { method: 'PATCH', url: `${OPERATIONS}/${id}`, payload: payload as object, headers });
  const read = async (id: string) => (await h.request(token, { method: 'GET', url: `${OPERATIONS}/${id}` })).json;

  /** A rejected request must leave the stored entity exactly as it was. */
  async function assertRejected(id: string, payload: unknown, status: number, message?: RegExp, headers?: Record<string, string>) {
    const before = await read(id);
    const res = await patch(id, payload, headers);
    assert.equal(res.statusCode, status, `${JSON.stringify(payload)} → ${res.body}`);
    assert.equal(typeof res.json.error.code, 'string');
    if (message) assert.match(res.json.error.message, message);
    assert.deepEqual(await read(id), before);
    return res;
  }

  it('the seed example with a valid status gives the seed response shape, dates in UTC with all 7 digits', async () => {
    const op = await create();
    const res = await patch(op.id, { ...SEED_BODY, status: 'running' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json['@odata.type'], '#microsoft.graph.longRunningOperation');
    assert.deepEqual(
      Object.keys(res.json).filter((k) => k !== '@odata.context'),
      ['@odata.type', 'id', 'createdDateTime', 'lastActionDateTime', 'status', 'statusDetail', 'resourceLocation'],
    );
    assert.equal(res.json.lastActionDateTime, '2016-12-31T21:02:09.4916918Z');
    assert.equal(res.json.status, 'running');
    assert.equal(res.json.statusDetail, 'Status Detail value');
    assert.equal(res.json.resourceLocation, 'Resource Location value');
    assert.equal(res.json.createdDateTime, op.createdDateTime);
  });

  it('the seed’s literal body (status "String") is 400 and changes nothing', async () => {
    const op = await create();
    const res = await assertRejected(op.id, SEED_BODY, 400, /'String'.*longRunningOperationStatus/);
    assert.equal(res.json.error.code, 'BadRequest');
  });

  it('changes only the properties sent, and dates the change with the server clock unless the client dates it', async () => {
    const op = await create({ statusDetail: 'a', resourceLocation: 'https://example.com/r' });
    const res = await patch(op.id, { statusDetail: 'b' });
    assert.equal(res.json.statusDetail, 'b');
    assert.equal(res.json.resourceLocation, 'https://example.com/r');
    assert.equal(res.json.status, 'notStarted');
    assert.ok(res.json.lastActionDateTime >= op.lastActionDateTime);
  });

  it('status is case-insensitive on input and canonical on output', async () => {
    for (const [input, output] of [
      ['notstarted', 'notStarted'],
      ['NOTSTARTED', 'notStarted'],
      ['Running', 'running'],
      ['SUCCEEDED', 'succeeded'],
    ]) {
      const op = await create();
      const res = await patch(op.id, { status: input });
      assert.equal(res.statusCode, 200, input);
      assert.equal(res.json.status, output);
      assert.equal((await read(op.id)).status, output);
    }
  });

  it('unknownFutureValue leaves the status unchanged; other values are 400', async () => {
    const op = await create({ status: 'running' });
    const res = await patch(op.id, { status: 'unknownFutureValue', statusDetail: 'still going' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json.status, 'running');
    assert.equal(res.json.statusDetail, 'still going');
    for (const status of ['skipped', 'completed', '', 'not started', 1, null, true]) {
      await assertRejected(op.id, { status }, 400);
    }
  });

  it('the lifecycle only moves forward, and a finished operation never changes (409)', async () => {
    const op = await create();
    assert.equal((await patch(op.id, { status: 'running' })).statusCode, 200);
    await assertRejected(op.id, { status: 'notStarted' }, 409, /cannot move back/);
    assert.equal((await patch(op.id, { status: 'failed', statusDetail: 'boom' })).statusCode, 200);
    for (const body of [{ status: 'running' }, { status: 'succeeded' }, { statusDetail: 'other' }, { lastActionDateTime: '2030-01-01T00:00:00Z' }]) {
      const res = await assertRejected(op.id, body, 409, /finished/);
      assert.equal(res.json.error.code, 'conflict');
    }
    const same = await patch(op.id, { status: 'FAILED', statusDetail: 'boom' });
    assert.equal(same.statusCode, 200, 'a PATCH that changes nothing is fine');
    assert.equal(same.json.status, 'failed');
  });

  it('a step may be skipped: notStarted → succeeded', async () => {
    const op = await create();
    const res = await patch(op.id, { status: 'succeeded', statusDetail: 'ResetSuccess' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json.status, 'succeeded');
  });

  it('@odata.type is accepted for the entity’s own type only', async () => {
    const op = await create();
    assert.equal((await patch(op.id, { '@odata.type': '#microsoft.graph.longRunningOperation', statusDetail: 'x' })).statusCode, 200);
    for (const type of ['#microsoft.graph.richLongRunningOperation', '#microsoft.graph.user', 42]) {
      await assertRejected(op.id, { '@odata.type': type }, 400, /@odata\.type/);
    }
  });

  it('an unknown property is 400 and the message names it', async () => {
    const op = await create();
    await assertRejected(op.id, { statusDetail: 'x', percentComplete: 50 }, 400, /'percentComplete'/);
    await assertRejected(op.id, { Status: 'running' }, 400, /'Status'/);
  });

  it('id and createdDateTime are read-only: 400 when changed, accepted when echoed unchanged', async () => {
    const op = await create();
    await assertRejected(op.id, { id: 'another' }, 400, /'id' is read-only/);
    await assertRejected(op.id, { createdDateTime: '2001-01-01T00:00:00Z' }, 400, /'createdDateTime' is read-only/);
    const echoed = await patch(op.id, { id: op.id, createdDateTime: op.createdDateTime, statusDetail: 'echo' });
    assert.equal(echoed.statusCode, 200);
    assert.equal(echoed.json.statusDetail, 'echo');
    // a client that round-trips through a JavaScript Date sends the same instant cut to milliseconds
    const viaDate = await patch(op.id, { createdDateTime: new Date(op.createdDateTime).toISOString(), statusDetail: 'date' });
    assert.equal(viaDate.statusCode, 200, viaDate.body);
    const oneMsLater = new Date(new Date(op.createdDateTime).getTime() + 1).toISOString();
    await assertRejected(op.id, { createdDateTime: oneMsLater }, 400, /'createdDateTime' is read-only/);
  });

  it('statusDetail and resourceLocation accept null; other properties do not', async () => {
    const op = await create({ statusDetail: 'x', resourceLocation: 'y' });
    const res = await patch(op.id, { statusDetail: null, resourceLocation: null });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json.statusDetail, null);
    assert.equal(res.json.resourceLocation, null);
    await assertRejected(op.id, { lastActionDateTime: null }, 400);
    await assertRejected(op.id, { statusDetail: 5 }, 400, /string or null/);
    await assertRejected(op.id, { resourceLocation: ['a'] }, 400);
  });

  it('DateTimeOffsets keep 7 fractional digits and any offset; malformed ones are 400', async () => {
    const op = await create();
    for (const [input, output] of [
      ['2024-01-18T16:37:10Z', '2024-01-18T16:37:10Z'],
      ['2024-01-18T16:37:10.1000000Z', '2024-01-18T16:37:10.1Z'],
      ['2024-01-18T16:37:10.0000001-05:30', '2024-01-18T22:07:10.0000001Z'],
      ['2024-02-29T00:00:00+14:00', '2024-02-28T10:00:00Z'],
    ]) {
      const res = await patch(op.id, { lastActionDateTime: input });
      assert.equal(res.statusCode, 200, input);
      assert.equal(res.json.lastActionDateTime, output);
    }
    for (const bad of ['2020-03-19T12-01-03.45Z', '2023-02-29T00:00:00Z', '2024-01-18T16:37:10.12345678Z', '2024-01-18', '2024-01-18T25:00:00Z', 'yesterday', 1705595830]) {
      await assertRejected(op.id, { lastActionDateTime: bad }, 400, /DateTimeOffset/);
    }
  });

  it('over-long strings, NUL characters and broken Unicode are 400', async () => {
    const op = await create();
    await assertRejected(op.id, { statusDetail: 'x'.repeat(1025) }, 400, /limit of 1024/);
    await assertRejected(op.id, { resourceLocation: 'x'.repeat(2049) }, 400, /limit of 2048/);
    await assertRejected(op.id, { statusDetail: 'a\u0000b' }, 400);
    await assertRejected(op.id, '{"statusDetail":"\\ud800"}', 400);
    assert.equal((await patch(op.id, { statusDetail: 'x'.repeat(1024) })).statusCode, 200);
  });

  it('malformed JSON is 400, a non-JSON body 415, an oversized body 413, a non-object body 400', async () => {
    const op = await create();
    const res = await assertRejected(op.id, '{"status": ', 400, /JSON/);
    assert.equal(res.json.error.code, 'BadRequest');
    await assertRejected(op.id, '', 400, undefined, { 'content-type': 'application/json' });
    await assertRejected(op.id, 'status=running', 415, undefined, { 'content-type': 'application/x-www-form-urlencoded' });
    await assertRejected(op.id, 'status', 415, undefined, { 'content-type': 'text/plain' });
    const big = await assertRejected(op.id, JSON.stringify({ statusDetail: 'x'.repeat(70_000) }), 413, /larger than the 65536 bytes this URL accepts \(--body-limit\)/);
    assert.equal(big.json.error.code, 'requestEntityTooLarge');
    for (const body of ['[]', '"running"', 'null', '42']) await assertRejected(op.id, body, 400);
    await assertRejected(op.id, '{"__proto__":{"status":"running"}}', 400);
  });

  it('PATCH of an id that does not exist is 404', async () => {
    const res = await patch('00000000-0000-0000-0000-000000000000', { status: 'running' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json.error.code, 'itemNotFound');
  });
});
