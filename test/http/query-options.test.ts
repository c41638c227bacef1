import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OPERATIONS, startHarness, type Harness } from '../support/harness.js';

interface Op {
  id: string;
  createdDateTime: string;
  lastActionDateTime: string;
  status: string;
  statusDetail: string | null;
  resourceLocation: string | null;
}

/** A fixed data set: every status, nulls, shared prefixes and suffixes, and dates a day apart. */
const SEED: Omit<Op, 'id' | 'createdDateTime'>[] = [
  { status: 'notStarted', statusDetail: null, resourceLocation: null, lastActionDateTime: '2024-01-01T00:00:00Z' },
  { status: 'running', statusDetail: 'Copying files', resourceLocation: 'https://example.com/a', lastActionDateTime: '2024-01-02T00:00:00.1234567Z' },
  { status: 'running', statusDetail: 'Copying mail', resourceLocation: null, lastActionDateTime: '2024-01-03T00:00:00Z' },
  { status: 'succeeded', statusDetail: 'ResetSuccess', resourceLocation: 'https://example.com/b', lastActionDateTime: '2024-01-04T00:00:00Z' },
  { status: 'failed', statusDetail: 'Timed out', resourceLocation: 'https://example.com/c', lastActionDateTime: '2024-01-05T00:00:00Z' },
  { status: 'succeeded', statusDetail: null, resourceLocation: 'https://other.example/files', lastActionDateTime: '2024-01-06T00:00:00Z' },
];

describe('OData query options on the list', () => {
  let h: Harness;
  let token: string;
  const ops: Op[] = [];

  before(async () => {
    h = await startHarness();
    token = (await h.user('query@contoso.com')).token;
    for (const body of SEED) {
      const res = await h.request(token, { method: 'POST', url: OPERATIONS, payload: body });
      assert.equal(res.statusCode, 201, res.body);
      ops.push(res.json);
    }
  });
  after(() => h.close());

  const get = (query: string) => h.request(token, { method: 'GET', url: `${OPERATIONS}?${query}` });

  /** Every page of a query, following nextLink; answers the items and the pages' sizes. */
  async function all(query: string): Promise<{ items: Op[]; pages: number[]; counts: unknown[] }> {
    const items: Op[] = [];
    const pages: number[] = [];
    const counts: unknown[] = [];
    let url: string | undefined = `${OPERATIONS}?${query}`;
    while (url) {
      const res = await h.request(token, { method: 'GET', url });
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
      items.push(...res.json.value);
      pages.push(res.json.value.length);
      counts.push(res.json['@odata.count']);
      const next: string | undefined = res.json['@odata.nextLink'];
      url = next ? new URL(next).pathname + new URL(next).search : undefined;
      assert.ok(pages.length < 50, 'paging terminates');
    }
    return { items, pages, counts };
  }

  const ids = (list: Op[]) => list.map((o) => o.id);
  const where = (predicate: (o: Op) => boolean) => ops.filter(predicate).map((o) => o.id);

  it('$filter on every property, with each operator, in both enum literal forms and with null', async () => {
    const cases: [string, (o: Op) => boolean][] = [
      ["status eq 'running'", (o) => o.status === 'running'],
      ["status eq microsoft.graph.longRunningOperationStatus'succeeded'", (o) => o.status === 'succeeded'],
      ["status ne 'running'", (o) => o.status !== 'running'],
      ["status in ('failed', 'notStarted')", (o) => o.status === 'failed' || o.status === 'notStarted'],
      ["status gt 'running'", (o) => o.status === 'succeeded' || o.status === 'failed'],
      ['statusDetail eq null', (o) => o.statusDetail === null],
      ['statusDetail ne null', (o) => o.statusDetail !== null],
      ["statusDetail ne 'Timed out'", (o) => o.statusDetail !== 'Timed out'],
      ["startswith(statusDetail, 'Copying')", (o) => o.statusDetail?.startsWith('Copying') ?? false],
      ["endswith(resourceLocation, '/files')", (o) => o.resourceLocation?.endsWith('/files') ?? false],
      ["contains(resourceLocation, 'example.com')", (o) => o.resourceLocation?.includes('example.com') ?? false],
      ["not contains(resourceLocation, 'example.com')", (o) => !(o.resourceLocation?.includes('example.com') ?? false)],
      ["contains(statusDetail, 'copying')", () => false], // case-sensitive, as OData says
      ['lastActionDateTime ge 2024-01-03T00:00:00Z', (o) => o.lastActionDateTime >= '2024-01-03'],
      ['lastActionDateTime lt 2024-01-02T03:00:00.1234567+03:00', (o) => o.lastActionDateTime < '2024-01-02T00:00:00.1234567Z'],
      ['lastActionDateTime le 2024-01-02T03:00:00.1234567+03:00', (o) => o.lastActionDateTime <= '2024-01-02T00:00:00.1234567Z'],
      [`createdDateTime ge ${ops[0]!.createdDateTime}`, () => true],
      [`id eq '${ops[2]!.id}'`, (o) => o.id === ops[2]!.id],
      ["(status eq 'running' or status eq 'failed') and statusDetail ne null", (o) => ['running', 'failed'].includes(o.status) && o.statusDetail !== null],
      ["not (status eq 'running') and not (statusDetail eq null)", (o) => o.status !== 'running' && o.statusDetail !== null],
      ["resourceLocation gt 'https://example.com/a'", (o) => o.resourceLocation !== null && o.resourceLocation > 'https://example.com/a'],
      ["not (resourceLocation gt 'https://example.com/a')", (o) => !(o.resourceLocation !== null && o.resourceLocation > 'https://example.com/a')],
      ["status eq 'unknownFutureValue'", () => false],
    ];
    for (const [filter, predicate] of cases) {
      const res = await get(`$filter=${encodeURIComponent(filter)}`);
      assert.equal(res.statusCode, 200, `${filter}: ${res.body}`);
      assert.deepEqual(new Set(ids(res.json.value)), new Set(where(predicate)), filter);
    }
  });

  it('$orderby on each property, asc and desc, several keys, ties broken by id', async () => {
    const compare = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1);
    const statusRank = ['notStarted', 'running', 'succeeded', 'failed'];
    const key = (o: Op, p: keyof Op) => (p === 'status' ? String(statusRank.indexOf(o.status)) : o[p]);
    for (const [orderby, keys] of [
      ['statusDetail', [['statusDetail', 1]]],
      ['statusDetail desc', [['statusDetail', -1]]],
      ['status desc,lastActionDateTime', [['status', -1], ['lastActionDateTime', 1]]],
      ['resourceLocation asc, status desc', [['resourceLocation', 1], ['status', -1]]],
      ['lastActionDateTime desc', [['lastActionDateTime', -1]]],
      ['id desc', [['id', -1]]],
    ] as [string, [keyof Op, number][]][]) {
      const expected = [...ops]
        .sort((a, b) => {
          for (const [p, dir] of keys) {
            const c = compare(key(a, p), key(b, p));
            if (c !== 0) return c * dir;
          }
          return compare(a.id, b.id);
        })
        .map((o) => o.id);
      for (const top of [100, 2]) {
        const { items } = await all(`$orderby=${encodeURIComponent(orderby)}&$top=${top}`);
        assert.deepEqual(ids(items), expected, `${orderby} (top ${top})`);
      }
    }
  });

  it('$count=true gives @odata.count on every page; /$count answers text/plain, with $filter too', async () => {
    const { counts, items } = await all("$count=true&$top=2&$filter=status ne 'notStarted'");
    assert.equal(items.length, 5);
    assert.deepEqual(counts, [5, 5, 5]);
    const plain = await h.request(token, { method: 'GET', url: `${OPERATIONS}/$count` });
    assert.equal(plain.statusCode, 200);
    assert.match(String(plain.headers['content-type']), /^text\/plain/);
    assert.equal(plain.body, String(ops.length));
    const filtered = await h.request(token, { method: 'GET', url: `${OPERATIONS}/$count?$filter=${encodeURIComponent("status eq 'running'")}` });
    assert.equal(filtered.body, '2');
    const noCount = await get('$count=false');
    assert.equal(noCount.json['@odata.count'], undefined);
  });

  it('$skip passes over rows on the first page, and the nextLink goes on by cursor', async () => {
    const { items } = await all('$skip=2&$top=2');
    assert.deepEqual(ids(items), ids(ops).slice(2));
    const first = await get('$skip=2&$top=2');
    assert.doesNotMatch(first.json['@odata.nextLink'], /skip=/);
    assert.equal((await get('$skip=1000')).json.value.length, 0);
  });

  it('filter + orderby + paging across pages while rows are inserted: nothing lost, nothing repeated', async () => {
    const { token: pager } = await h.user('pager@contoso.com');
    const create = async (statusDetail: string, status = 'running') =>
      (await h.request(pager, { method: 'POST', url: OPERATIONS, payload: { statusDetail, status } })).json as Op;
    const initial: Op[] = [];
    for (let i = 0; i < 12; i++) initial.push(await create(`item ${String(i).padStart(2, '0')}`, i % 3 === 0 ? 'failed' : 'running'));
    const query = `$filter=${encodeURIComponent("status eq 'running'")}&$orderby=statusDetail desc&$top=3`;
    const seen: string[] = [];
    let url: string | undefined = `${OPERATIONS}?${query}`;
    let round = 0;
    while (url) {
      const res = await h.request(pager, { method: 'GET', url });
      assert.equal(res.statusCode, 200, res.body);
      seen.push(...res.json.value.map((o: Op) => o.statusDetail));
      // between pages: one row that sorts before everything served (must not appear), one after (must appear)
      await create(`item 99 ${round}`);
      await create(`item 00 late ${round}`);
      round++;
      const next: string | undefined = res.json['@odata.nextLink'];
      url = next ? new URL(next).pathname + new URL(next).search : undefined;
    }
    const expectedInitial = initial.filter((o) => o.status === 'running').map((o) => o.statusDetail!);
    assert.equal(new Set(seen).size, seen.length, 'nothing repeated');
    for (const detail of expectedInitial) assert.ok(seen.includes(detail), `${detail} not lost`);
    assert.ok(!seen.some((d) => d!.startsWith('item 99')), 'rows sorting before the cursor are not served late');
    assert.deepEqual(seen, [...seen].sort().reverse(), 'in order');
  });

  it('the $ prefix is optional and names are case-insensitive', async () => {
    const res = await get(`filter=${encodeURIComponent("status eq 'failed'")}&ORDERBY=status&Top=1&$COUNT=true`);
    assert.equal(res.statusCode, 200);
    assert.equal(res.json['@odata.count'], 1);
    assert.deepEqual(ids(res.json.value), where((o) => o.status === 'failed'));
  });

  it('invalid queries are 400 with a message that says what and where; $search and $expand are refused clearly', async () => {
    for (const [query, message] of [
      ['$filter=status eq', /position 18.*expected a literal/],
      ['$filter=nope eq 1', /'nope'/],
      ["$filter=status eq 'paused'", /paused/],
      ['$filter=lastActionDateTime gt 2024-13-01T00:00:00Z', /position/],
      ["$filter=tolower(statusDetail) eq 'x'", /tolower/],
      ['$orderby=status sideways', /position/],
      ['$orderby=status,status', /status/],
      ['$search="copying"', /\$search is not supported/],
      ['$expand=*', /\$expand is not supported/],
      ['$count=maybe', /true or false/],
      ['$skip=-1', /\$skip/],
      ['$skip=1&$skiptoken=abc', /cannot be combined/],
      ['$format=xml', /\$format/],
    ] as const) {
      const res = await get(query.replaceAll(' ', '%20'));
      assert.equal(res.statusCode, 400, query);
      assert.equal(res.json.error.code, 'BadRequest');
      assert.match(res.json.error.message, message, query);
    }
  });

  it('a skiptoken is bound to its order: replaying it under another $orderby is 400', async () => {
    const first = await get('$orderby=statusDetail&$top=1');
    const token = new URL(first.json['@odata.nextLink']).searchParams.get('$skiptoken')!;
    const replay = await get(`$orderby=status&$skiptoken=${token}`);
    assert.equal(replay.statusCode, 400);
  });

  it('SQL-looking input is only ever data', async () => {
    for (const filter of ["statusDetail eq 'x'' OR 1=1 --'", "statusDetail eq '''; DROP TABLE operations; --'"]) {
      const res = await get(`$filter=${encodeURIComponent(filter)}`);
      assert.equal(res.statusCode, 200, filter);
      assert.deepEqual(res.json.value, []);
    }
    assert.equal((await get('')).json.value.length, ops.length, 'the table is still there');
  });
});
