import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PERMISSION } from '../../src/auth/permissions.js';
import { formatDateTimeOffset, TICKS_PER_SECOND } from '../../src/operations/date-time-offset.js';
import { PASSWORD_METHOD_ID } from '../../src/operations/password-reset.js';
import type { StoreState } from '../../src/operations/ports/admin-store.js';
import { DEV_TENANT_ID, OPERATIONS, startHarness, type Harness } from '../support/harness.js';

const SECOND = TICKS_PER_SECOND;
const START = 17_000_000_000_000_000n; // 2023-11-14T22:13:20Z
const SEEDED_USER = '3f0c3a5e-8d1b-4c8e-9a51-0c6a3b6f2e11';

/** A harness on a test clock with the emulator's clock and state routes, and retention of one minute. */
async function emulator(options: Parameters<typeof startHarness>[0] = {}) {
  const base = { ticks: START, now: () => base.ticks };
  const h = await startHarness({
    clock: base,
    emulatorClock: true,
    emulatorState: {},
    retention: { retention: 60n * SECOND, intervalMs: 3_600_000 },
    ...options,
  });
  const admin = (await h.user('admin@contoso.com', { scopes: [ADMIN_PERMISSION] })).token;
  /** `token` null: no Authorization header. */
  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, token: string | null = admin) =>
    h.request(token ?? undefined, { method, url, ...(payload !== undefined && { payload: payload as object }) });
  return { h, base, admin, call };
}

describe('admin: the emulator is off by default', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  for (const [method, url] of [
    ['GET', '/admin/clock'],
    ['POST', '/admin/clock'],
    ['DELETE', '/admin/clock'],
    ['POST', '/admin/reset'],
    ['GET', '/admin/state'],
    ['PUT', '/admin/state'],
    ['GET', '/admin/scripts'],
    ['POST', '/admin/scripts'],
    ['DELETE', '/admin/scripts'],
    ['DELETE', '/admin/scripts/5c5c5c5c-6d6d-4e7e-8f8f-000000000001'],
  ] as const) {
    it(`${method} ${url} is 404, as an unknown URL`, async () => {
      const admin = (await h.user('admin@contoso.com', { scopes: [ADMIN_PERMISSION] })).token;
      const res = await h.request(admin, { method, url, ...(method !== 'GET' && method !== 'DELETE' && { payload: {} }) });
      assert.equal(res.statusCode, 404);
      assert.equal(res.json.error.code, 'itemNotFound');
    });
  }
});

describe('admin: the controllable clock', () => {
  let env: Awaited<ReturnType<typeof emulator>>;
  before(async () => {
    env = await emulator();
  });
  after(() => env.h.close());

  it('needs the admin permission', async () => {
    assert.equal((await env.call('GET', '/admin/clock', undefined, null)).statusCode, 401);
    const user = (await env.h.user('someone@contoso.com')).token;
    assert.equal((await env.call('POST', '/admin/clock', { advanceBy: 'PT1S' }, user)).statusCode, 403);
  });

  it('starts at the system time, and moves forwards by a duration or to a time', async () => {
    assert.deepEqual((await env.call('GET', '/admin/clock')).json, { now: formatDateTimeOffset(env.base.ticks), offset: 'PT0S' });
    const moved = await env.call('POST', '/admin/clock', { advanceBy: 'PT5M' });
    assert.equal(moved.statusCode, 200, moved.body);
    assert.deepEqual(moved.json, { now: formatDateTimeOffset(env.base.ticks + 300n * SECOND), offset: 'PT5M' });
    env.base.ticks += 2n * SECOND; // the system clock runs on; the offset stays
    assert.deepEqual((await env.call('GET', '/admin/clock')).json, { now: formatDateTimeOffset(env.base.ticks + 300n * SECOND), offset: 'PT5M' });
    const to = await env.call('POST', '/admin/clock', { now: '2030-01-01T01:00:00.5+01:00' });
    assert.equal(to.statusCode, 200, to.body);
    assert.equal(to.json.now, '2030-01-01T00:00:00.5Z');
    const created = await env.call('POST', OPERATIONS, {}, (await env.h.user('dated@contoso.com')).token);
    assert.equal(created.json.createdDateTime, '2030-01-01T00:00:00.5Z', 'the API dates by the moved clock');
  });

  for (const [body, pattern] of [
    [{ now: '2001-01-01T00:00:00Z' }, /past/],
    [{ advanceBy: '-PT5M' }, /advanceBy/],
    [{ advanceBy: 'P1M' }, /advanceBy/],
    [{ advanceBy: 'PT' }, /advanceBy/],
    [{ advanceBy: 300 }, /advanceBy/],
    [{ now: 'tomorrow' }, /now/],
    [{ advanceBy: 'P999999W' }, /cannot move past/],
    [{ advanceBy: 'PT1S', now: '2040-01-01T00:00:00Z' }, /exactly one/],
    [{}, /exactly one/],
    [{ offset: 'PT1S' }, /offset/],
    [[], /JSON object/],
  ] as const) {
    it(`400 and no move for ${JSON.stringify(body)}`, async () => {
      const before = (await env.call('GET', '/admin/clock')).json;
      const res = await env.call('POST', '/admin/clock', body);
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json.error.code, 'BadRequest');
      assert.match(res.json.error.message, pattern);
      assert.deepEqual((await env.call('GET', '/admin/clock')).json, before);
    });
  }

  it('DELETE goes back to system time only once no operation is stored (409 before)', async () => {
    const refused = await env.call('DELETE', '/admin/clock');
    assert.equal(refused.statusCode, 409, refused.body);
    assert.equal(refused.json.error.code, 'conflict');
    assert.equal((await env.call('POST', '/admin/reset')).statusCode, 204);
    const back = await env.call('DELETE', '/admin/clock');
    assert.equal(back.statusCode, 200, back.body);
    assert.deepEqual(back.json, { now: formatDateTimeOffset(env.base.ticks), offset: 'PT0S' });
    assert.equal((await env.call('DELETE', '/admin/clock')).statusCode, 200, 'at system time already: nothing to do');
  });

  it('a password reset finishes at the next read once the clock jumps past its duration', async () => {
    const helpdesk = (await env.h.user('helpdesk@contoso.com', { scopes: ['UserAuthenticationMethod.ReadWrite.All'] })).token;
    const target = await env.h.user('target@contoso.com');
    const reset = await env.call('POST', `/v1.0/users/${target.user.id}/authentication/methods/${PASSWORD_METHOD_ID}/resetPassword`, {}, helpdesk);
    assert.equal(reset.statusCode, 202, reset.body);
    const url = new URL(String(reset.headers.location));
    const location = `${url.pathname}${url.search}`;
    assert.equal((await env.call('GET', location, undefined, helpdesk)).json.status, 'notStarted');
    // Past the reset's 5 s, within the minute of retention (past it, the purge would take it at once).
    assert.equal((await env.call('POST', '/admin/clock', { advanceBy: 'PT30S' })).statusCode, 200);
    const polled = await env.call('GET', location, undefined, helpdesk);
    assert.equal(polled.json.status, 'succeeded');
    assert.equal(polled.json.statusDetail, 'ResetSuccess');
    assert.equal(polled.headers['retry-after'], undefined);
  });

  it('moving the clock past retention purges finished operations at once, and resets nobody read', async () => {
    const helpdesk = (await env.h.user('helpdesk@contoso.com', { scopes: ['UserAuthenticationMethod.ReadWrite.All'] })).token;
    const target = await env.h.user('forgotten@contoso.com');
    const reset = await env.call('POST', `/v1.0/users/${target.user.id}/authentication/methods/${PASSWORD_METHOD_ID}/resetPassword`, {}, helpdesk);
    const forgotten = new URL(String(reset.headers.location)).pathname;
    const token = (await env.h.user('purged@contoso.com')).token;
    const done = await env.call('POST', OPERATIONS, { status: 'succeeded' }, token);
    const open = await env.call('POST', OPERATIONS, { status: 'running' }, token);
    assert.equal((await env.call('GET', `${OPERATIONS}/${done.json.id}`, undefined, token)).statusCode, 200);
    assert.equal((await env.call('POST', '/admin/clock', { advanceBy: 'PT2M' })).statusCode, 200);
    assert.equal((await env.call('GET', `${OPERATIONS}/${done.json.id}`, undefined, token)).statusCode, 404);
    assert.equal((await env.call('GET', `${OPERATIONS}/${open.json.id}`, undefined, token)).statusCode, 200, 'an open one stays');
    assert.equal((await env.call('GET', forgotten, undefined, helpdesk)).statusCode, 404, 'finished by its schedule, then purged');
  });
});

describe('admin: reset, export and import', () => {
  const seed: StoreState = {
    users: [{ tenantId: DEV_TENANT_ID, id: SEEDED_USER, userPrincipalName: 'seeded@contoso.com' }],
    operations: [
      {
        owner: { tenantId: DEV_TENANT_ID, userId: SEEDED_USER },
        operation: {
          id: 'seeded-op',
          createdDateTime: START - 10n * SECOND,
          lastActionDateTime: START - 10n * SECOND,
          status: 'running',
          statusDetail: 'from the seed',
          resourceLocation: null,
          version: 1,
          finishedAt: null,
        },
      },
    ],
  };
  let env: Awaited<ReturnType<typeof emulator>>;
  before(async () => {
    env = await emulator({ emulatorState: { seed } });
    await env.h.store.admin.replace(seed.operations, seed.users); // as `--seed` does at start
  });
  after(() => env.h.close());

  const exported = async () => {
    const res = await env.call('GET', '/admin/state');
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    return JSON.parse(res.body);
  };

  it('needs the admin permission', async () => {
    const user = (await env.h.user('someone@contoso.com')).token;
    assert.equal((await env.call('GET', '/admin/state', undefined, user)).statusCode, 403);
    assert.equal((await env.call('PUT', '/admin/state', {}, user)).statusCode, 403);
    assert.equal((await env.call('POST', '/admin/reset', undefined, null)).statusCode, 401);
  });

  it('exports every user and operation, with the service fields, in the state format', async () => {
    const token = (await env.h.user('exporter@contoso.com')).token;
    const created = await env.call('POST', OPERATIONS, { status: 'failed', statusDetail: 'no' }, token);
    const state = await exported();
    assert.deepEqual(Object.keys(state), ['users', 'operations', 'scripts', 'applications']);
    assert.deepEqual(state.scripts, [], 'no script queued');
    assert.deepEqual(state.applications, [], 'no application registered');
    assert.ok(state.users.some((u: { userPrincipalName: string }) => u.userPrincipalName === 'seeded@contoso.com'));
    assert.deepEqual(state.operations[0], {
      tenantId: DEV_TENANT_ID,
      userId: (await env.h.user('exporter@contoso.com')).user.id,
      id: created.json.id,
      createdDateTime: formatDateTimeOffset(START),
      lastActionDateTime: formatDateTimeOffset(START),
      status: 'failed',
      statusDetail: 'no',
      resourceLocation: null,
      version: 1,
      finishedAt: formatDateTimeOffset(START),
      schedule: null,
    });
    assert.equal(state.operations.at(-1).id, 'seeded-op', 'newest first');
  });

  it('an import replaces everything, and exports back unchanged; the signing key survives', async () => {
    const helpdesk = (await env.h.user('helpdesk@contoso.com', { scopes: ['UserAuthenticationMethod.ReadWrite.All'] })).token;
    const reset = await env.call('POST', `/v1.0/users/${SEEDED_USER}/authentication/methods/${PASSWORD_METHOD_ID}/resetPassword`, {}, helpdesk);
    assert.equal(reset.statusCode, 202, reset.body);
    const before = await exported();
    assert.ok(before.operations.some((op: { schedule: unknown }) => op.schedule !== null), 'a schedule is exported');
    const replacement = {
      users: [{ tenantId: DEV_TENANT_ID, id: '0a0a0a0a-1b1b-4c2c-8d3d-4e4e4e4e4e4e', userPrincipalName: 'imported@contoso.com' }],
      operations: before.operations.slice(0, 2),
    };
    const put = await env.call('PUT', '/admin/state', replacement);
    assert.equal(put.statusCode, 204, put.body);
    const after = await exported();
    assert.deepEqual(after.operations, replacement.operations);
    // The admin who exported is written back to the directory by that very request, as every caller is.
    assert.deepEqual(
      after.users.map((u: { userPrincipalName: string }) => u.userPrincipalName),
      ['imported@contoso.com', 'admin@contoso.com'],
    );
    // The admin's token still verifies (same key), and the directory is the imported one.
    const byUpn = await env.call('GET', '/v1.0/users/imported@contoso.com/authentication/operations', undefined, helpdesk);
    assert.equal(byUpn.statusCode, 200, byUpn.body);
    assert.equal((await env.call('GET', `/v1.0/users/seeded@contoso.com/authentication/operations`, undefined, helpdesk)).statusCode, 404);
    const again = await env.call('GET', '/v1.0/users/helpdesk@contoso.com/authentication/operations', undefined, helpdesk);
    assert.equal(again.statusCode, 200, 'the caller is written to the directory again at its next request');
  });

  it('a bad entry late in the document is 400 naming its path, and nothing changes', async () => {
    const before = await exported();
    const good = (i: number) => ({ tenantId: DEV_TENANT_ID, userId: SEEDED_USER, id: `op-${i}`, createdDateTime: '2024-01-01T00:00:00Z' });
    const operations = [...Array.from({ length: 600 }, (_, i) => good(i)), { ...good(600), status: 'done' }];
    const res = await env.call('PUT', '/admin/state', { users: [], operations });
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json.error.code, 'BadRequest');
    assert.match(res.json.error.message, /^operations\[600\]\.status: /);
    assert.deepEqual(await exported(), before);
  });

  for (const [document, path] of [
    [[], /^\(the document\)/],
    [{ users: {} }, /^users: /],
    [{ extra: [] }, /^\(the document\)\.extra: /],
    [{ users: [{ tenantId: DEV_TENANT_ID, id: 'nope', userPrincipalName: 'a@b.c' }] }, /^users\[0\]\.id: /],
    [{ users: [{ id: SEEDED_USER, userPrincipalName: 'a@b.c' }] }, /^users\[0\]\.tenantId: /],
    [
      {
        users: [
          { tenantId: DEV_TENANT_ID, id: SEEDED_USER, userPrincipalName: 'a@b.c' },
          { tenantId: DEV_TENANT_ID, id: '0a0a0a0a-1b1b-4c2c-8d3d-4e4e4e4e4e4e', userPrincipalName: 'A@B.C' },
        ],
      },
      /^users\[1\]: repeats/,
    ],
    [{ operations: [{ tenantId: DEV_TENANT_ID, userId: SEEDED_USER, id: 'x' }] }, /^operations\[0\]\.createdDateTime: /],
    [{ operations: [{ tenantId: DEV_TENANT_ID, userId: SEEDED_USER, id: 'x', createdDateTime: '2024-01-01T00:00:00Z', statusDetail: 'a'.repeat(1025) }] }, /^operations\[0\]\.statusDetail: /],
    [{ operations: [{ tenantId: DEV_TENANT_ID, userId: SEEDED_USER, id: 'x\u0000', createdDateTime: '2024-01-01T00:00:00Z' }] }, /^operations\[0\]\.id: /],
    [{ operations: [{ tenantId: DEV_TENANT_ID, userId: SEEDED_USER, id: 'x', createdDateTime: '2024-01-01T00:00:00Z', finishedAt: '2024-01-01T00:00:00Z' }] }, /^operations\[0\]\.finishedAt: /],
    [{ operations: [{ tenantId: DEV_TENANT_ID, userId: SEEDED_USER, id: 'x', createdDateTime: '2024-01-01T00:00:00Z', version: 0 }] }, /^operations\[0\]\.version: /],
    [
      {
        operations: [
          {
            tenantId: DEV_TENANT_ID,
            userId: SEEDED_USER,
            id: 'x',
            createdDateTime: '2024-01-01T00:00:00Z',
            schedule: { runAt: '2024-01-01T00:00:05Z', finishAt: '2024-01-01T00:00:01Z', outcome: 'succeeded' },
          },
        ],
      },
      /^operations\[0\]\.schedule\.finishAt: /,
    ],
  ] as const) {
    it(`400 for ${JSON.stringify(document).slice(0, 90)}`, async () => {
      const res = await env.call('PUT', '/admin/state', document);
      assert.equal(res.statusCode, 400, res.body);
      assert.match(res.json.error.message, path);
    });
  }

  it('takes a state larger than the API body limit', async () => {
    const operations = Array.from({ length: 1_000 }, (_, i) => ({
      tenantId: DEV_TENANT_ID,
      userId: SEEDED_USER,
      id: `bulk-${i}`,
      createdDateTime: formatDateTimeOffset(START + BigInt(i)),
      statusDetail: 'x'.repeat(100),
    }));
    const body = { users: [], operations };
    assert.ok(JSON.stringify(body).length > 64 * 1024);
    assert.equal((await env.call('PUT', '/admin/state', body)).statusCode, 204);
    const state = await exported();
    assert.equal(state.operations.length, 1_000, 'exported across pages');
    assert.equal(new Set(state.operations.map((op: { id: string }) => op.id)).size, 1_000);
  });

  it('reset deletes every operation, keeps the users, and brings the seed back', async () => {
    const token = (await env.h.user('resetter@contoso.com')).token;
    await env.call('POST', OPERATIONS, {}, token);
    const res = await env.call('POST', '/admin/reset');
    assert.equal(res.statusCode, 204, res.body);
    const state = await exported();
    assert.deepEqual(state.operations.map((op: { id: string }) => op.id), ['seeded-op']);
    const upns = state.users.map((u: { userPrincipalName: string }) => u.userPrincipalName);
    assert.ok(upns.includes('seeded@contoso.com') && upns.includes('resetter@contoso.com'), upns.join());
    assert.equal((await env.call('GET', OPERATIONS, undefined, token)).json.value.length, 0);
  });
});
