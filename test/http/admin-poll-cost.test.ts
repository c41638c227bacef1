/**
 * What an open dashboard tab costs the database, counted in SQL statements on both engines: its polls of
 * `/admin/statistics` are answered from the instance's cache, its polls of `/admin/operations` read one
 * page and write nothing, and the scheduled work they no longer drive is done by the background sweep.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AppOptions } from '../../src/app.js';
import { ADMIN_PERMISSION } from '../../src/auth/permissions.js';
import { formatDateTimeOffset, TICKS_PER_SECOND } from '../../src/operations/date-time-offset.js';
import { PASSWORD_METHOD_ID, RESET_SUCCESS } from '../../src/operations/password-reset.js';
import { MAX_CACHED_PARAMETER_SETS } from '../../src/operations/statistics-cache.js';
import type { OperationStatus } from '../../src/operations/status.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/operations/ports/store.js';
import { DEV_TENANT_ID, OPERATIONS, startHarness } from '../support/harness.js';
import { describePostgres, openFreshPostgresStore } from '../support/postgres.js';
import { countStatements, isWrite, type Engine } from '../support/statement-counter.js';
import { until } from '../support/until.js';

const SECOND = TICKS_PER_SECOND;
const START = 17_000_000_000_000_000n; // 2023-11-14T22:13:20Z
const RESET_DURATION = 5n * SECOND; // the default
const RESETS = 3;
/** Long enough that neither the cache nor the sweep turns over while a test counts. */
const HOUR_MS = 3_600_000;

/** Polls of one tab within the cache period (the page polls every 2 s, the figures last 5 s). */
const POLLS = 5;

/**
 * An app on `store` with the emulator's clock on a test clock that only the test moves, an admin, and
 * password resets started by a helpdesk user for a target user, plus one operation without a schedule.
 */
async function dashboardOn(store: Store, options: Partial<AppOptions>) {
  const base = { ticks: START, now: () => base.ticks };
  const h = await startHarness({ store, clock: base, emulatorClock: true, emulatorState: {}, ...options });
  const admin = (await h.user('admin@contoso.com', { scopes: [ADMIN_PERMISSION] })).token;
  const helpdesk = (await h.user('helpdesk@contoso.com', { scopes: ['UserAuthenticationMethod.ReadWrite.All'] })).token;
  const target = await h.user('target@contoso.com');
  const owner = { tenantId: DEV_TENANT_ID, userId: target.user.id };
  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object, token = admin) =>
    h.request(token, { method, url, ...(payload !== undefined && { payload }) });
  const resets: string[] = [];
  for (let i = 0; i < RESETS; i++) {
    const res = await call('POST', `/v1.0/users/${target.user.id}/authentication/methods/${PASSWORD_METHOD_ID}/resetPassword`, {}, helpdesk);
    assert.equal(res.statusCode, 202, res.body);
    resets.push(new URL(String(res.headers.location)).pathname.split('/').pop()!);
  }
  const plain = await call('POST', OPERATIONS, {}, target.token);
  assert.equal(plain.statusCode, 201, plain.body);
  // The admin's first request writes the admin to the directory: done here, so that polls count only themselves.
  assert.equal((await call('GET', '/admin/clock')).statusCode, 200);
  /** The stored status of each reset, read from the store itself. */
  const stored = async (): Promise<OperationStatus[]> => Promise.all(resets.map(async (id) => (await store.operations.get(owner, id))!.status));
  return { h, base, owner, call, resets, plainId: String(plain.json.id), stored };
}

type Dashboard = Awaited<ReturnType<typeof dashboardOn>>;

/** A statement's first words, for the test's diagnostics. */
function summary(sql: string): string {
  return sql.replace(/\s+/g, ' ').slice(0, 60);
}

function pollCostSuite(engine: Engine, openStore: () => Promise<Store>): void {
  /** `poll` run with every statement counted: its answer and the SQL it ran. */
  async function counted<T>(poll: () => Promise<T>): Promise<{ answer: T; statements: string[] }> {
    const counter = countStatements(engine);
    try {
      const answer = await poll();
      return { answer, statements: counter.take() };
    } finally {
      counter.stop();
    }
  }

  describe(`${engine}: polls of a dashboard with due scheduled operations`, () => {
    let d: Dashboard;
    before(async () => {
      d = await dashboardOn(await openStore(), { adminStatisticsMaxAgeMs: HOUR_MS, scheduleSweepMs: HOUR_MS });
      d.base.ticks += RESET_DURATION + 10n * SECOND; // time passes, nobody reads: every reset is due to finish
    });
    after(() => d.h.close());

    it(`${POLLS} polls of /admin/statistics within the cache period: statements on the first only, none a write`, async (t) => {
      const first = await counted(() => d.call('GET', '/admin/statistics'));
      assert.equal(first.answer.statusCode, 200, first.answer.body);
      assert.ok(first.statements.length > 0, 'the first poll computes');
      assert.deepEqual(first.statements.filter(isWrite), [], 'no poll drives the schedules');
      t.diagnostic(`first poll: ${first.statements.length} statements: ${first.statements.map(summary).join(' | ')}`);
      for (let i = 1; i < POLLS; i++) {
        const poll = await counted(() => d.call('GET', '/admin/statistics'));
        assert.equal(poll.answer.statusCode, 200);
        assert.deepEqual(poll.statements, [], `poll ${i + 1} ran no statement`);
        assert.deepEqual(poll.answer.json, first.answer.json);
      }
      assert.deepEqual(await d.stored(), Array(RESETS).fill('notStarted'), 'the due steps are still unwritten');
    });

    it('the figures carry the time they were computed at, not the time they are served', async () => {
      const first = (await d.call('GET', '/admin/statistics?bucket=7&buckets=3')).json;
      assert.equal(first.now, formatDateTimeOffset(d.base.ticks));
      d.base.ticks += SECOND;
      const { answer, statements } = await counted(() => d.call('GET', '/admin/statistics?bucket=7&buckets=3'));
      assert.deepEqual(statements, []);
      assert.equal(answer.json.now, first.now);
    });

    it('a poll of /admin/operations runs the page read alone and writes nothing, yet shows each reset as its schedule has it now', async (t) => {
      const { answer, statements } = await counted(() => d.call('GET', '/admin/operations'));
      assert.equal(answer.statusCode, 200, answer.body);
      assert.equal(statements.length, 1, statements.join('\n'));
      assert.deepEqual(statements.filter(isWrite), []);
      t.diagnostic(`poll: ${statements.length} statement: ${statements.map(summary).join(' | ')}`);
      const shown = new Map(answer.json.value.map((op: { id: string; status: string; statusDetail: string }) => [op.id, [op.status, op.statusDetail]]));
      for (const id of d.resets) assert.deepEqual(shown.get(id), ['succeeded', RESET_SUCCESS], id);
      assert.deepEqual(shown.get(d.plainId), ['notStarted', null]);
      assert.deepEqual(await d.stored(), Array(RESETS).fill('notStarted'), 'shown, not written');
    });

    it('with a status filter, a row whose due step moves it out of the filter is left out of the page', async () => {
      const { answer, statements } = await counted(() => d.call('GET', `/admin/operations?status=notStarted&top=${RESETS + 1}`));
      assert.equal(statements.length, 1);
      assert.deepEqual(answer.json.value.map((op: { id: string }) => op.id), [d.plainId], 'the resets are stored notStarted, but no longer are');
      assert.deepEqual(await d.stored(), Array(RESETS).fill('notStarted'));
    });

    it('each parameter set is its own entry', async () => {
      const other = await counted(() => d.call('GET', '/admin/statistics?bucket=600&buckets=36'));
      assert.ok(other.statements.length > 0, 'other parameters: computed');
      assert.equal(other.answer.json.timeline.length, 36);
      assert.deepEqual((await counted(() => d.call('GET', '/admin/statistics?bucket=600&buckets=36'))).statements, []);
      assert.deepEqual((await counted(() => d.call('GET', '/admin/statistics'))).statements, [], 'the defaults are still kept');
    });

    it(`at most ${MAX_CACHED_PARAMETER_SETS} parameter sets are kept: the one computed longest ago goes first`, async () => {
      const url = (buckets: number) => `/admin/statistics?bucket=1&buckets=${buckets}`;
      for (let buckets = 1; buckets <= MAX_CACHED_PARAMETER_SETS + 1; buckets++) await d.call('GET', url(buckets));
      const latest = await counted(() => d.call('GET', url(MAX_CACHED_PARAMETER_SETS + 1)));
      assert.deepEqual(latest.statements, [], 'still kept');
      const first = await counted(() => d.call('GET', url(1)));
      assert.ok(first.statements.length > 0, 'dropped to make room for the others');
    });

    it('after POST /admin/clock the next poll is current: the due steps are written, and counted', async () => {
      const before = (await d.call('GET', '/admin/statistics')).json;
      assert.equal(before.byStatus.notStarted, RESETS + 1, 'cached: computed before anything was written');
      const moved = await d.call('POST', '/admin/clock', { advanceBy: 'PT1S' });
      assert.equal(moved.statusCode, 200, moved.body);
      assert.deepEqual(await d.stored(), Array(RESETS).fill('succeeded'), 'the move wrote the due steps');
      const { answer, statements } = await counted(() => d.call('GET', '/admin/statistics'));
      assert.ok(statements.length > 0, 'computed again');
      assert.equal(answer.json.now, moved.json.now);
      assert.equal(answer.json.byStatus.succeeded, RESETS);
      assert.equal(answer.json.byStatus.notStarted, 1);
    });

    it('after POST /admin/reset the next poll is current', async () => {
      const cached = await counted(() => d.call('GET', '/admin/statistics'));
      assert.deepEqual(cached.statements, [], 'served from the cache until then');
      assert.equal(cached.answer.json.byStatus.succeeded, RESETS);
      assert.equal((await d.call('POST', '/admin/reset')).statusCode, 204);
      const { answer, statements } = await counted(() => d.call('GET', '/admin/statistics'));
      assert.ok(statements.length > 0);
      assert.equal(answer.json.byStatus.succeeded, 0);
      assert.equal(answer.json.byStatus.notStarted, 0);
    });

    it('after an import (PUT /admin/state) the next poll is current', async () => {
      assert.deepEqual((await counted(() => d.call('GET', '/admin/statistics'))).statements, [], 'served from the cache until then');
      const state = { users: [], operations: [{ tenantId: DEV_TENANT_ID, userId: d.owner.userId, id: 'imported', createdDateTime: formatDateTimeOffset(START) }] };
      const put = await d.call('PUT', '/admin/state', state);
      assert.equal(put.statusCode, 204, put.body);
      assert.equal((await d.call('GET', '/admin/statistics')).json.byStatus.notStarted, 1);
    });

    it('after DELETE /admin/clock the next poll is at system time again', async () => {
      assert.equal((await d.call('POST', '/admin/reset')).statusCode, 204);
      const ahead = (await d.call('GET', '/admin/statistics')).json.now;
      assert.notEqual(ahead, formatDateTimeOffset(d.base.ticks), 'computed on the moved clock');
      assert.equal((await d.call('DELETE', '/admin/clock')).statusCode, 200);
      assert.equal((await d.call('GET', '/admin/statistics')).json.now, formatDateTimeOffset(d.base.ticks));
    });
  });

  describe(`${engine}: the cache period`, () => {
    const PERIOD_MS = 1_000;
    let d: Dashboard;
    before(async () => {
      d = await dashboardOn(await openStore(), { adminStatisticsMaxAgeMs: PERIOD_MS, scheduleSweepMs: HOUR_MS });
    });
    after(() => d.h.close());

    it('once the period is over, a poll computes the figures again', async () => {
      const start = performance.now(); // the cache's clock: its figures are computed after this
      const first = await counted(() => d.call('GET', '/admin/statistics'));
      assert.ok(first.statements.length > 0);
      assert.deepEqual((await counted(() => d.call('GET', '/admin/statistics'))).statements, [], 'within it, from the cache');
      const statementsOfAPoll = async () => (await counted(() => d.call('GET', '/admin/statistics'))).statements;
      await until('a poll that computes again', statementsOfAPoll, (statements) => statements.length > 0, { timeoutMs: PERIOD_MS + 10_000, intervalMs: 50 });
      assert.ok(performance.now() - start >= PERIOD_MS, 'computed again, but not before the period was over');
    });
  });

  describe(`${engine}: the background sweep`, () => {
    let d: Dashboard;
    before(async () => {
      d = await dashboardOn(await openStore(), { adminStatisticsMaxAgeMs: HOUR_MS, scheduleSweepMs: 20 });
    });
    after(() => d.h.close());

    it('writes the due steps that nobody reads, on every instance’s timer', async () => {
      assert.deepEqual(await d.stored(), Array(RESETS).fill('notStarted'));
      d.base.ticks += RESET_DURATION / 2n; // due to start running
      await until('running, by the sweep', d.stored, (statuses) => statuses.every((status) => status === 'running'));
      d.base.ticks += RESET_DURATION; // due to finish
      await until('succeeded, by the sweep', d.stored, (statuses) => statuses.every((status) => status === 'succeeded'));
      const listed = await d.call('GET', '/admin/operations?status=succeeded');
      assert.deepEqual(listed.json.value.map((op: { id: string }) => op.id).sort(), [...d.resets].sort(), 'written: the filter finds them');
    });
  });
}

pollCostSuite('sqlite', async () => openSqliteStore({ path: ':memory:' }));
await describePostgres('PostgreSQL', () => pollCostSuite('postgres', () => openFreshPostgresStore()));
