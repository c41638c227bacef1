import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PERMISSION } from '../../src/auth/permissions.js';
import { formatDateTimeOffset, TICKS_PER_SECOND } from '../../src/operations/date-time-offset.js';
import { PASSWORD_METHOD_ID } from '../../src/operations/password-reset.js';
import { OPERATIONS, pathOf, startHarness, type Harness } from '../support/harness.js';
import { until } from '../support/until.js';

const SECOND = TICKS_PER_SECOND;
const MINUTE = 60n * SECOND;
const START = 17_000_000_000_000_000n; // 2023-11-14T22:13:20Z
const OTHER_TENANT = '11111111-2222-4333-8444-555555555555';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('admin: dashboard data', () => {
  let h: Harness;
  const clock = { ticks: START, now: () => clock.ticks };
  let admin: string;
  let alice: Awaited<ReturnType<Harness['user']>>;
  let bob: Awaited<ReturnType<Harness['user']>>;
  /** Operation ids in the order they were created (one minute apart). */
  const created: string[] = [];

  async function create(token: string, body: object = {}): Promise<string> {
    const res = await h.request(token, { method: 'POST', url: OPERATIONS, payload: body });
    assert.equal(res.statusCode, 201, res.body);
    created.push(res.json.id);
    clock.ticks += MINUTE;
    return res.json.id;
  }

  async function get(url: string, token = admin) {
    return h.request(token, { method: 'GET', url });
  }

  before(async () => {
    // Figures computed at every poll, and due steps written within 20 ms: this suite is about what the data
    // shows; what polls cost (the cache, the sweep's own period) is admin-poll-cost.test.ts's.
    h = await startHarness({ clock, adminStatisticsMaxAgeMs: 0, scheduleSweepMs: 20 });
    admin = (await h.user('admin@contoso.com', { scopes: [ADMIN_PERMISSION] })).token;
    alice = await h.user('alice@contoso.com');
    bob = await h.user('bob@fabrikam.com', { tenantId: OTHER_TENANT });
    await create(alice.token, { statusDetail: 'first' });
    await create(bob.token, { status: 'running' });
    await create(alice.token, { status: 'succeeded' });
    await create(bob.token, { status: 'failed', statusDetail: 'broken' });
    await create(alice.token);
  });
  after(() => h.close());

  describe('who may', () => {
    for (const url of ['/admin/operations', '/admin/statistics']) {
      it(`${url}: 401 without a token, in the envelope`, async () => {
        const res = await h.request(undefined, { method: 'GET', url });
        assert.equal(res.statusCode, 401);
        assert.equal(res.json.error.code, 'InvalidAuthenticationToken');
        assert.ok(res.headers['www-authenticate']);
      });

      it(`${url}: 403 without ${ADMIN_PERMISSION}, even with every Graph scope`, async () => {
        const res = await get(url, alice.token);
        assert.equal(res.statusCode, 403);
        assert.equal(res.json.error.code, 'Authorization_RequestDenied');
        const app = await h.appToken(['UserAuthenticationMethod.ReadWrite.All']);
        assert.equal((await get(url, app)).statusCode, 403);
      });

      it(`${url}: 200 with ${ADMIN_PERMISSION} as a delegated scope or as an app role`, async () => {
        assert.equal((await get(url)).statusCode, 200);
        assert.equal((await get(url, await h.appToken([ADMIN_PERMISSION]))).statusCode, 200);
      });
    }

    it('another method is 405 with Allow; an unknown admin URL is 404', async () => {
      const post = await h.request(admin, { method: 'POST', url: '/admin/operations', payload: {} });
      assert.equal(post.statusCode, 405);
      assert.equal(post.headers.allow, 'GET, HEAD');
      assert.equal((await get('/admin/nothing-here')).statusCode, 404);
    });
  });

  describe('GET /admin/operations', () => {
    it('lists every tenant and user, newest first, with owner and UPN', async () => {
      const res = await get('/admin/operations');
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(
        res.json.value.map((op: { id: string }) => op.id),
        [...created].reverse(),
      );
      assert.equal(res.json.nextLink, undefined);
      const bobs = res.json.value[1];
      assert.deepEqual(Object.keys(bobs), [
        'tenantId',
        'userId',
        'userPrincipalName',
        'id',
        'createdDateTime',
        'lastActionDateTime',
        'status',
        'statusDetail',
        'resourceLocation',
      ]);
      assert.deepEqual(bobs, {
        tenantId: OTHER_TENANT,
        userId: bob.user.id,
        userPrincipalName: 'bob@fabrikam.com',
        id: created[3],
        createdDateTime: formatDateTimeOffset(START + 3n * MINUTE),
        lastActionDateTime: formatDateTimeOffset(START + 3n * MINUTE),
        status: 'failed',
        statusDetail: 'broken',
        resourceLocation: null,
      });
    });

    it('an owner the directory does not know has a null userPrincipalName', async () => {
      const stranger = await h.authority.mint({
        tenantId: OTHER_TENANT,
        user: { id: '99999999-2222-4333-8444-555555555555', userPrincipalName: 'ghost@fabrikam.com' },
      });
      const id = await create(stranger);
      await h.store.users.upsert({ tenantId: OTHER_TENANT, id: 'aaaaaaaa-2222-4333-8444-555555555555', userPrincipalName: 'ghost@fabrikam.com' });
      const res = await get('/admin/operations?top=1');
      assert.equal(res.json.value[0].id, id);
      assert.equal(res.json.value[0].userPrincipalName, null, 'the UPN moved to another id');
      await h.store.admin.replace([]); // back to the suite's five, below
      created.length = 0;
      for (const token of [alice.token, bob.token, alice.token, bob.token, alice.token]) await create(token);
    });

    it('pages with top and a nextLink that carries the filters, until the last page', async () => {
      const seen: string[] = [];
      let url: string | undefined = '/admin/operations?top=2&user=ALICE@contoso.com';
      let pages = 0;
      while (url !== undefined) {
        const res = await get(url);
        assert.equal(res.statusCode, 200, res.body);
        assert.ok(res.json.value.length <= 2);
        seen.push(...res.json.value.map((op: { id: string }) => op.id));
        url = res.json.nextLink === undefined ? undefined : pathOf(res.json.nextLink);
        if (res.json.nextLink !== undefined) assert.match(res.json.nextLink, /^http:\/\/localhost:80\/admin\/operations\?user=ALICE%40contoso\.com&top=2&skiptoken=/);
        pages += 1;
      }
      assert.equal(pages, 2);
      assert.deepEqual(seen, [created[4], created[2], created[0]]);
    });

    it('filters by user (object id or UPN, any case) and by status (any case)', async () => {
      const byId = await get(`/admin/operations?user=${bob.user.id.toUpperCase()}`);
      assert.deepEqual(byId.json.value.map((op: { id: string }) => op.id), [created[3], created[1]]);
      assert.ok(byId.json.value.every((op: { tenantId: string }) => op.tenantId === OTHER_TENANT));
      const alices = await get('/admin/operations?user=alice@CONTOSO.com&status=NOTSTARTED');
      assert.deepEqual(alices.json.value.map((op: { id: string }) => op.id), [created[4], created[2], created[0]]);
      assert.deepEqual((await get('/admin/operations?status=succeeded')).json.value, []);
      assert.deepEqual((await get('/admin/operations?status=unknownFutureValue')).json, { value: [] });
      assert.deepEqual((await get('/admin/operations?user=nobody@contoso.com')).json, { value: [] });
    });

    for (const [query, pattern] of [
      ['status=done', /'status'/],
      ['status=running&status=failed', /more than once/],
      ['top=0', /'top'/],
      ['top=501', /'top'/],
      ['top=ten', /'top'/],
      ['skiptoken=not-a-cursor', /skiptoken/],
      [`skiptoken=${Buffer.from(JSON.stringify(['1', 'a\u0000', 't', 'u'])).toString('base64url')}`, /skiptoken/],
      ['user=', /'user'/],
      ['user=%00@contoso.com', /'user'/],
    ] as const) {
      it(`400 in the envelope for ${query}`, async () => {
        const res = await get(`/admin/operations?${query}`);
        assert.equal(res.statusCode, 400, res.body);
        assert.equal(res.json.error.code, 'BadRequest');
        assert.match(res.json.error.message, pattern);
      });
    }
  });

  describe('GET /admin/statistics', () => {
    it('counts by status, and a timeline of creations by current status, aligned buckets ending at now', async () => {
      const res = await get('/admin/statistics?bucket=120&buckets=4');
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json.now, formatDateTimeOffset(clock.ticks));
      const zero = { notStarted: 0, running: 0, succeeded: 0, failed: 0, unknownFutureValue: 0 };
      assert.deepEqual(res.json.byStatus, { ...zero, notStarted: 5 });
      const bucket = 120n * SECOND;
      const first = (clock.ticks / bucket - 3n) * bucket;
      assert.deepEqual(
        res.json.timeline.map((b: { start: string }) => b.start),
        [0n, 1n, 2n, 3n].map((i) => formatDateTimeOffset(first + i * bucket)),
      );
      const expected = [0n, 1n, 2n, 3n].map(() => ({ ...zero }));
      for (let i = 0n; i < 5n; i++) {
        const at = clock.ticks - (5n - i) * MINUTE; // when created[i] was made
        const index = Number((at - first) / bucket);
        if (index >= 0) expected[index]!.notStarted += 1;
      }
      assert.deepEqual(
        res.json.timeline.map(({ start: _, ...counts }: { start: string }) => counts),
        expected,
      );
    });

    it('defaults to 30 buckets of 60 s', async () => {
      const res = await get('/admin/statistics');
      assert.equal(res.json.timeline.length, 30);
      const starts = res.json.timeline.map((b: { start: string }) => Date.parse(b.start));
      assert.equal(starts[1] - starts[0], 60_000);
    });

    for (const query of ['bucket=0', 'bucket=604801', 'buckets=0', 'buckets=1441', 'bucket=1.5', 'buckets=-1']) {
      it(`400 in the envelope for ${query}`, async () => {
        const res = await get(`/admin/statistics?${query}`);
        assert.equal(res.statusCode, 400, res.body);
        assert.equal(res.json.error.code, 'BadRequest');
      });
    }
  });

  describe('scheduled operations', () => {
    it('a password reset shows its current status on the dashboard, though nobody polled it; the filter and counts once the sweep wrote it', async () => {
      const resetter = await h.user('helpdesk@contoso.com', { scopes: ['UserAuthenticationMethod.ReadWrite.All'] });
      const res = await h.request(resetter.token, {
        method: 'POST',
        url: `/v1.0/users/${alice.user.id}/authentication/methods/${PASSWORD_METHOD_ID}/resetPassword`,
        payload: {},
      });
      assert.equal(res.statusCode, 202, res.body);
      const id = new URL(String(res.headers.location)).pathname.split('/').pop();
      assert.match(String(id), GUID);
      clock.ticks += 10n * SECOND; // past the 5 s default duration
      const listed = await get('/admin/operations?top=1');
      assert.deepEqual(
        listed.json.value.map((op: { id: string; status: string; statusDetail: string }) => [op.id, op.status, op.statusDetail]),
        [[id, 'succeeded', 'ResetSuccess']],
        'at once, as its schedule has it, whether or not the sweep has run yet',
      );
      // The status filter and the counts read stored statuses: the background sweep writes the step.
      const succeeded = await until(
        'the reset listed as succeeded',
        async (): Promise<{ id: string; statusDetail: string }[]> => (await get('/admin/operations?status=succeeded')).json.value,
        (value) => value.length > 0,
      );
      assert.deepEqual(
        succeeded.map((op) => [op.id, op.statusDetail]),
        [[id, 'ResetSuccess']],
      );
      const statistics = await get('/admin/statistics');
      assert.equal(statistics.json.byStatus.succeeded, 1);
    });
  });
});
