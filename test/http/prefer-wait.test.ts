import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { emulatorServices } from '../../src/app.js';
import { TICKS_PER_SECOND } from '../../src/operations/date-time-offset.js';
import { PASSWORD_METHOD_ID } from '../../src/operations/password-reset.js';
import { RECONNECT_MS } from '../../src/store/postgres/change-listener.js';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/operations/ports/store.js';
import pg from 'pg';
import { OPERATIONS, startHarness, type Harness } from '../support/harness.js';
import { describePostgres, openFreshPostgresStore, POSTGRES_TEST_URL, type FreshPostgresStore } from '../support/postgres.js';
import { until } from '../support/until.js';

/**
 * A waiting request that does not end at the change fails by this bound instead of passing late: it is
 * below the periodic re-read (5 s) that would otherwise end it with the right answer anyway.
 */
const BOUND = { timeout: 4_000 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The store, with a way to learn when a request has started watching: a change made after that must
 * end the wait, which is what these tests are about (a change made before it ends the wait trivially).
 */
function observed(store: Store): { store: Store; nextWatch: () => Promise<void> } {
  let notify: (() => void) | undefined;
  const wrapped: Store = {
    ...store,
    changes: {
      watch: async (...args) => {
        const watch = await store.changes.watch(...args);
        notify?.();
        return watch;
      },
      releaseAll: () => store.changes.releaseAll(),
      watching: () => store.changes.watching(),
      signalAll: () => store.changes.signalAll(),
    },
  };
  return { store: wrapped, nextWatch: () => new Promise<void>((resolve) => (notify = resolve)) };
}

interface Instances {
  /** Where the waiting requests go. */
  readonly reader: Harness;
  /** Where the writes go: the same instance on SQLite, another one on PostgreSQL. */
  readonly writer: Harness;
  /** An instance on the same data whose --max-wait is 1 s. */
  readonly capped: Harness;
  readonly nextWatch: () => Promise<void>;
  close(): Promise<void>;
}

function preferWaitSuite(name: string, start: () => Promise<Instances>): void {
  describe(`Prefer: wait (${name})`, () => {
    let instances: Instances;
    let token: string;
    before(async () => {
      instances = await start();
      token = (await instances.writer.user('waiter@contoso.com')).token;
    });
    after(() => instances.close());

    async function create(): Promise<{ url: string; etag: string }> {
      const res = await instances.writer.request(token, { method: 'POST', url: OPERATIONS, payload: { status: 'running' } });
      assert.equal(res.statusCode, 201, res.body);
      return { url: `${OPERATIONS}/${res.json.id}`, etag: String(res.headers.etag) };
    }

    function waitingGet(url: string, prefer: string, headers: Record<string, string> = {}) {
      return instances.reader.request(token, { method: 'GET', url, headers: { prefer, ...headers } });
    }

    it('answers as soon as the operation changes, with the change and Preference-Applied', BOUND, async () => {
      const { url } = await create();
      const watching = instances.nextWatch();
      const waiting = waitingGet(url, 'wait=30');
      await watching;
      const patch = await instances.writer.request(token, { method: 'PATCH', url, payload: { status: 'succeeded', statusDetail: 'done' } });
      assert.equal(patch.statusCode, 200, patch.body);
      const res = await waiting;
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json.status, 'succeeded');
      assert.equal(res.json.statusDetail, 'done');
      assert.equal(res.headers.etag, '"2"');
      assert.equal(res.headers['preference-applied'], 'wait=30');
      assert.equal(res.headers['retry-after'], undefined, 'finished: nothing to poll for');
    });

    it('shows the requests waiting on /metrics (graph_lro_waiting_requests), the instance\'s own', BOUND, async () => {
      const { url } = await create();
      const waitingNow = async (instance: Harness) =>
        Number(/^graph_lro_waiting_requests (\d+)$/m.exec((await instance.app.inject({ method: 'GET', url: '/metrics' })).body)?.[1]);
      assert.equal(await waitingNow(instances.reader), 0);
      const watching = instances.nextWatch();
      const waiting = waitingGet(url, 'wait=30');
      await watching;
      assert.equal(await waitingNow(instances.reader), 1);
      if (instances.writer !== instances.reader) assert.equal(await waitingNow(instances.writer), 0);
      await instances.writer.request(token, { method: 'PATCH', url, payload: { statusDetail: 'seen' } });
      assert.equal((await waiting).statusCode, 200);
      assert.equal(await waitingNow(instances.reader), 0);
    });

    it('with If-None-Match of the current ETag, waits for a change from it', BOUND, async () => {
      const { url, etag } = await create();
      const watching = instances.nextWatch();
      const waiting = waitingGet(url, 'wait=30', { 'if-none-match': etag });
      await watching;
      await instances.writer.request(token, { method: 'PATCH', url, payload: { statusDetail: 'half way' } });
      const res = await waiting;
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json.statusDetail, 'half way');
      assert.equal(res.headers.etag, '"2"');
      assert.equal(res.headers['retry-after'], '1', 'still running');
    });

    it('with a stale If-None-Match, answers at once with what changed since', BOUND, async () => {
      const { url, etag } = await create();
      await instances.writer.request(token, { method: 'PATCH', url, payload: { statusDetail: 'moved on' } });
      const res = await waitingGet(url, 'wait=30', { 'if-none-match': etag });
      assert.equal(res.statusCode, 200);
      assert.equal(res.json.statusDetail, 'moved on');
    });

    it('a finished operation is answered at once', BOUND, async () => {
      const { url } = await create();
      await instances.writer.request(token, { method: 'PATCH', url, payload: { status: 'failed' } });
      const res = await waitingGet(url, 'wait=30');
      assert.equal(res.statusCode, 200);
      assert.equal(res.json.status, 'failed');
    });

    it('without a change: the current state after the wait (the server caps it), or 304 for If-None-Match', BOUND, async () => {
      const { url, etag } = await create();
      const capped = (prefer: string, headers: Record<string, string> = {}) =>
        instances.capped.request(token, { method: 'GET', url, headers: { prefer, ...headers } });
      const res = await capped('wait=3600');
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers.etag, etag);
      assert.equal(res.headers['preference-applied'], 'wait=1', 'capped at the configured --max-wait');
      const notModified = await capped('wait=3600', { 'if-none-match': etag });
      assert.equal(notModified.statusCode, 304);
      assert.equal(notModified.headers['preference-applied'], 'wait=1');
      assert.equal(notModified.body, '');
    });

    it('a delete while waiting answers 404', BOUND, async () => {
      const { url } = await create();
      const watching = instances.nextWatch();
      const waiting = waitingGet(url, 'wait=30');
      await watching;
      assert.equal((await instances.writer.request(token, { method: 'DELETE', url })).statusCode, 204);
      const res = await waiting;
      assert.equal(res.statusCode, 404);
      assert.equal(res.json.error.code, 'itemNotFound');
    });

    it('wait=0, a malformed wait, and Prefer on other requests change nothing', async () => {
      const { url } = await create();
      for (const prefer of ['wait=0', 'wait=soon', 'wait=-1', 'wait']) {
        const res = await waitingGet(url, prefer);
        assert.equal(res.statusCode, 200, prefer);
        assert.equal(res.headers['preference-applied'], prefer === 'wait=0' ? 'wait=0' : undefined, prefer);
      }
      const list = await instances.reader.request(token, { method: 'GET', url: OPERATIONS, headers: { prefer: 'wait=30' } });
      assert.equal(list.headers['preference-applied'], undefined, 'a listing does not wait');
    });

    it('an emulator reset, on any instance, ends the wait at once: the operation is gone', BOUND, async () => {
      const { url } = await create();
      const watching = instances.nextWatch();
      const waiting = waitingGet(url, 'wait=30');
      await watching;
      await sleep(100); // past its first read: only a signal can end the wait now
      await emulatorServices(instances.writer.app).state!.reset();
      assert.equal((await waiting).statusCode, 404);
    });

    // Steps at 0.3 s (running) and 0.6 s (succeeded): without a timer for them, the waits would last until
    // --max-wait (30 s) and exceed this bound.
    it('a scheduled step ends the wait when it is due (a password reset running, then finishing)', BOUND, async () => {
      const helpdesk = await instances.writer.user('helpdesk@contoso.com', { scopes: ['UserAuthenticationMethod.ReadWrite.All'] });
      const target = await instances.writer.user('forgetful@contoso.com');
      const started = await instances.writer.request(helpdesk.token, {
        method: 'POST',
        url: `/v1.0/users/${target.user.id}/authentication/methods/${PASSWORD_METHOD_ID}/resetPassword`,
        payload: {},
      });
      assert.equal(started.statusCode, 202, started.body);
      const location = new URL(String(started.headers.location));
      const poll = (headers: Record<string, string> = {}) =>
        instances.reader.request(helpdesk.token, { method: 'GET', url: `${location.pathname}${location.search}`, headers: { prefer: 'wait=30', ...headers } });
      const running = await poll();
      assert.equal(running.json.status, 'running');
      const finished = await poll({ 'if-none-match': String(running.headers.etag) });
      assert.equal(finished.json.status, 'succeeded');
      assert.equal(finished.json.statusDetail, 'ResetSuccess');
    });
  });
}

/** Waits end at the first of a change and --max-wait: the tests that wait for a change need a long one. */
const WAITING = { limits: { maxWaitSeconds: 30 }, passwordReset: { durationTicks: 6_000_000n }, emulatorState: {} } as const;
const CAPPED = { limits: { maxWaitSeconds: 1 } } as const;

preferWaitSuite('sqlite, one instance', async () => {
  const { store, nextWatch } = observed(openSqliteStore({ path: ':memory:' }));
  const h = await startHarness({ store, ...WAITING });
  const capped = await startHarness({ store, ...CAPPED });
  return {
    reader: h,
    writer: h,
    capped,
    nextWatch,
    close: async () => {
      await capped.app.close();
      await h.close();
    },
  };
});

await describePostgres('Prefer: wait across two instances on PostgreSQL', () => {
  preferWaitSuite('postgres, two instances', async () => {
    const first: FreshPostgresStore = await openFreshPostgresStore();
    const { store, nextWatch } = observed(first);
    const reader = await startHarness({ store, ...WAITING });
    const writer = await startHarness({ store: await openPostgresStore({ connectionString: POSTGRES_TEST_URL, schema: first.schema }), ...WAITING });
    const capped = await startHarness({ store: await openPostgresStore({ connectionString: POSTGRES_TEST_URL, schema: first.schema }), ...CAPPED });
    return {
      reader,
      writer,
      capped,
      nextWatch,
      close: async () => {
        await capped.close();
        await writer.close();
        await reader.close();
      },
    };
  });
});

await describePostgres('Prefer: wait when the listening connection is lost (PostgreSQL)', () => {
  it('opens it again within a second while requests wait, so a later change still reaches them at once', { timeout: 8_000 }, async () => {
    const writerStore = await openFreshPostgresStore();
    const name = `graph-lro-test-${process.pid}-${Date.now()}`;
    const { store, nextWatch } = observed(await openPostgresStore({ connectionString: POSTGRES_TEST_URL, schema: writerStore.schema, applicationName: name }));
    const reader = await startHarness({ store, ...WAITING });
    const writer = await startHarness({ store: writerStore, ...WAITING });
    const admin = new pg.Client({ connectionString: POSTGRES_TEST_URL });
    await admin.connect();
    try {
      const { token } = await writer.user('waiter@contoso.com');
      const url = `${OPERATIONS}/${(await writer.request(token, { method: 'POST', url: OPERATIONS, payload: {} })).json.id}`;
      const watching = nextWatch();
      const waiting = reader.request(token, { method: 'GET', url, headers: { prefer: 'wait=30' } });
      await watching;
      await sleep(100);
      const listener = (query: string) => admin.query('SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query LIKE $2', [`${name}/listener`, query]);
      const killed = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [`${name}/listener`]);
      assert.equal(killed.rowCount, 1, "the reader's listening connection");
      await until('a new listening connection', () => listener('LISTEN %'), (result) => result.rowCount === 1, { timeoutMs: 3_000 });
      await writer.request(token, { method: 'PATCH', url, payload: { statusDetail: 'after the gap' } });
      assert.equal((await waiting).json.statusDetail, 'after the gap');
    } finally {
      await admin.end();
      await reader.close();
      await writer.close();
    }
  });
});

await describePostgres('Prefer: wait when the listening connection is lost and the store closes (PostgreSQL)', () => {
  it('the reopening it had scheduled, due after the close, opens nothing: no connection outlives the store', { timeout: 8_000 }, async () => {
    const name = `graph-lro-test-${process.pid}-${Date.now()}-closed`;
    // Closed with the harness, which drops its schema.
    const { store, nextWatch } = observed(await openFreshPostgresStore({ applicationName: name }));
    const h = await startHarness({ store, ...WAITING });
    const admin = new pg.Client({ connectionString: POSTGRES_TEST_URL });
    await admin.connect();
    const listeners = async () => (await admin.query('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [`${name}/listener`])).rowCount;
    try {
      const { token } = await h.user('waiter@contoso.com');
      const url = `${OPERATIONS}/${(await h.request(token, { method: 'POST', url: OPERATIONS, payload: {} })).json.id}`;
      const watching = nextWatch();
      const waiting = h.request(token, { method: 'GET', url, headers: { prefer: 'wait=30' } });
      await watching;
      assert.equal((await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [`${name}/listener`])).rowCount, 1);
      await sleep(100); // the client has seen its connection end, and scheduled the reopening
      const closed = h.app.close();
      assert.equal((await waiting).statusCode, 200, 'the waiting request is answered at the close');
      await closed;
      await store.close();
      await sleep(RECONNECT_MS + 300);
      assert.equal(await listeners(), 0, 'no listening connection was opened after the close');
    } finally {
      await admin.end();
    }
  });
});

describe('Prefer: wait and the emulator clock', () => {
  it('a jump of the clock past a scheduled step ends the wait at once', BOUND, async () => {
    const { store, nextWatch } = observed(openSqliteStore({ path: ':memory:' }));
    const hour = 3600n * TICKS_PER_SECOND;
    const h = await startHarness({ store, limits: { maxWaitSeconds: 30 }, passwordReset: { durationTicks: hour }, emulatorClock: true });
    try {
      const helpdesk = await h.user('helpdesk@contoso.com', { scopes: ['UserAuthenticationMethod.ReadWrite.All'] });
      const target = await h.user('patient@contoso.com');
      const url = `/v1.0/users/${target.user.id}/authentication/methods/${PASSWORD_METHOD_ID}/resetPassword`;
      const started = await h.request(helpdesk.token, { method: 'POST', url, payload: {} });
      const location = new URL(String(started.headers.location));
      const watching = nextWatch();
      const waiting = h.request(helpdesk.token, { method: 'GET', url: `${location.pathname}${location.search}`, headers: { prefer: 'wait=30' } });
      await watching;
      await sleep(100); // past its first read: only a signal can end the wait now
      await emulatorServices(h.app).clock!.advanceBy(hour); // the reset's whole hour, without waiting it
      assert.equal((await waiting).json.status, 'succeeded');
    } finally {
      await h.close();
    }
  });
});

describe('Prefer: wait and shutdown', () => {
  it('a request waiting when the server shuts down is answered at once with the current state', BOUND, async () => {
    const { store, nextWatch } = observed(openSqliteStore({ path: ':memory:' }));
    const h = await startHarness({ store, ...WAITING });
    const { token } = await h.user('waiter@contoso.com');
    const created = await h.request(token, { method: 'POST', url: OPERATIONS, payload: {} });
    const watching = nextWatch();
    const waiting = h.request(token, { method: 'GET', url: `${OPERATIONS}/${created.json.id}`, headers: { prefer: 'wait=30' } });
    await watching;
    const closing = performance.now();
    const closed = h.app.close();
    const res = await waiting;
    // Not the end of its 30 s wait: until it ends, a rolling restart waits, and the request re-reads the row.
    assert.ok(performance.now() - closing < 10_000, `answered ${Math.round(performance.now() - closing)} ms after the close began`);
    assert.equal(res.statusCode, 200);
    assert.equal(res.json.status, 'notStarted');
    await closed;
    await store.close();
  });
});
