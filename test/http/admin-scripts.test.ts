import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ADMIN_PERMISSION } from '../../src/auth/permissions.js';
import { formatDateTimeOffset, TICKS_PER_SECOND } from '../../src/operations/date-time-offset.js';
import { PASSWORD_METHOD_ID } from '../../src/operations/password-reset.js';
import { pathOf, startHarness } from '../support/harness.js';

const SECOND = TICKS_PER_SECOND;
const START = 17_000_000_000_000_000n; // 2023-11-14T22:13:20Z
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SCRIPT_ID = '5c5c5c5c-6d6d-4e7e-8f8f-000000000001';

/** The script of the issue: adele's next reset runs at +1 s, checking policy, and fails at +3 s. */
const ADELES_FAILURE = {
  user: 'adele@contoso.com',
  steps: [
    { after: 'PT1S', status: 'running', statusDetail: 'checking policy' },
    { after: 'PT3S', status: 'failed', statusDetail: 'PasswordPolicyViolation' },
  ],
};

/** A harness with the emulator's clock and state on a test clock, a helpdesk that resets, and adele and bob. */
async function emulator(options: Parameters<typeof startHarness>[0] = {}) {
  const base = { ticks: START, now: () => base.ticks };
  const h = await startHarness({ clock: base, emulatorClock: true, emulatorState: {}, ...options });
  const admin = (await h.user('admin@contoso.com', { scopes: [ADMIN_PERMISSION] })).token;
  const helpdesk = (await h.user('helpdesk@contoso.com', { scopes: ['UserAuthenticationMethod.ReadWrite.All'] })).token;
  const adele = (await h.user('adele@contoso.com')).user;
  const bob = (await h.user('bob@contoso.com')).user;
  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, token: string | null = admin) =>
    h.request(token ?? undefined, { method, url, ...(payload !== undefined && { payload: payload as object }) });
  /** Starts a reset of `user`; answers the 202 and the path of its operation. */
  const reset = async (user: string) => {
    const res = await call('POST', `/v1.0/users/${user}/authentication/methods/${PASSWORD_METHOD_ID}/resetPassword`, {}, helpdesk);
    assert.equal(res.statusCode, 202, res.body);
    return { res, location: pathOf(res.headers.location) };
  };
  /** The operation as a poll reads it now: its status, statusDetail, resourceLocation and lastActionDateTime. */
  const poll = async (location: string) => {
    const res = await call('GET', location, undefined, helpdesk);
    assert.equal(res.statusCode, 200, res.body);
    const { status, statusDetail, resourceLocation, lastActionDateTime } = res.json;
    return { status, statusDetail, resourceLocation, lastActionDateTime, retryAfter: res.headers['retry-after'] };
  };
  const advance = async (by: string) => assert.equal((await call('POST', '/admin/clock', { advanceBy: by })).statusCode, 200);
  const queued = async () => {
    const res = await call('GET', '/admin/scripts');
    assert.equal(res.statusCode, 200, res.body);
    return res.json.value;
  };
  return { h, base, admin, helpdesk, adele, bob, call, reset, poll, advance, queued };
}

const at = (seconds: bigint) => formatDateTimeOffset(START + seconds * SECOND);
/** An operation as `poll` reads it, `seconds` after START, with no resourceLocation. */
const polled = (status: string, statusDetail: string | null, seconds: bigint, retryAfter?: string) => ({
  status,
  statusDetail,
  resourceLocation: null,
  lastActionDateTime: at(seconds),
  retryAfter,
});

describe('admin: scripted password resets', async () => {
  const env = await emulator();
  after(() => env.h.close());

  it('every route needs a token (401) with the admin permission (403), and a refused call queues nothing', async () => {
    const routes = [['GET', '/admin/scripts'], ['POST', '/admin/scripts'], ['DELETE', '/admin/scripts'], ['DELETE', `/admin/scripts/${SCRIPT_ID}`]] as const;
    for (const [token, status] of [[null, 401], [env.helpdesk, 403]] as const) {
      for (const [method, url] of routes) {
        const res = await env.call(method, url, method === 'POST' ? ADELES_FAILURE : undefined, token);
        assert.equal(res.statusCode, status, `${method} ${url}`);
      }
    }
    assert.deepEqual(await env.queued(), []);
  });

  it('a script for adele: her next reset runs at +1 s and fails at +3 s by the clock; bob’s, in between, follows the defaults', async () => {
    const posted = await env.call('POST', '/admin/scripts', ADELES_FAILURE);
    assert.equal(posted.statusCode, 201, posted.body);
    assert.match(posted.json.id, GUID);
    assert.deepEqual(posted.json, { id: posted.json.id, ...ADELES_FAILURE });
    assert.deepEqual(await env.queued(), [posted.json]);

    const bobs = await env.reset(env.bob.id);
    assert.equal(bobs.res.headers['retry-after'], '3', 'the default: running halfway through 5 s');
    assert.deepEqual(await env.queued(), [posted.json], 'bob’s reset leaves adele’s script queued');
    const adeles = await env.reset('Adele@Contoso.com');
    assert.equal(adeles.res.headers['retry-after'], '1', 'her first step is the script’s');
    assert.deepEqual(await env.queued(), [], 'her reset took it');

    assert.deepEqual(await env.poll(adeles.location), polled('notStarted', null, 0n, '1'));
    await env.advance('PT1S');
    assert.deepEqual(await env.poll(adeles.location), polled('running', 'checking policy', 1n, '2'));
    await env.advance('PT1S');
    assert.equal((await env.poll(adeles.location)).status, 'running');
    assert.equal((await env.poll(bobs.location)).status, 'notStarted', 'bob’s runs at 2.5 s');
    await env.advance('PT1S');
    assert.deepEqual(await env.poll(adeles.location), polled('failed', 'PasswordPolicyViolation', 3n));
    const halfway = formatDateTimeOffset(START + (25n * SECOND) / 10n);
    assert.deepEqual(await env.poll(bobs.location), { ...polled('running', null, 2n, '2'), lastActionDateTime: halfway });
    await env.advance('PT2S');
    const bob = await env.poll(bobs.location);
    assert.equal(bob.status, 'succeeded');
    assert.equal(bob.statusDetail, 'ResetSuccess');
  });

  it('scripts are taken in order, one for the reset’s user before one for anyone', async () => {
    for (const label of ['first', 'second']) {
      assert.equal((await env.call('POST', '/admin/scripts', { steps: [{ after: 'PT1S', status: 'failed', statusDetail: label }] })).statusCode, 201);
    }
    const bobs = { user: env.bob.id, steps: [{ after: 'PT1S', status: 'failed', statusDetail: 'bob’s' }] };
    assert.equal((await env.call('POST', '/admin/scripts', bobs)).statusCode, 201);
    const resets = [await env.reset(env.adele.id), await env.reset(env.bob.id), await env.reset(env.bob.id), await env.reset(env.adele.id)];
    await env.advance('PT1S');
    const reads = [];
    for (const { location } of resets) reads.push(await env.poll(location));
    assert.deepEqual(
      reads.map(({ status, statusDetail }) => [status, statusDetail]),
      [['failed', 'first'], ['failed', 'bob’s'], ['failed', 'second'], ['notStarted', null]],
      'no script left for the last: the defaults',
    );
  });

  it('without a running step, a reset goes straight from notStarted to the outcome; left out, the outcome’s defaults', async () => {
    assert.equal((await env.call('POST', '/admin/scripts', { user: 'adele@contoso.com', steps: [{ after: 'PT2S', status: 'succeeded' }] })).statusCode, 201);
    const { res, location } = await env.reset(env.adele.id);
    assert.equal(res.headers['retry-after'], '2');
    await env.advance('PT1.5S');
    assert.equal((await env.poll(location)).status, 'notStarted');
    await env.advance('PT0.5S');
    const finished = await env.poll(location);
    assert.equal(finished.status, 'succeeded');
    assert.equal(finished.statusDetail, 'ResetSuccess');
    assert.equal(finished.resourceLocation, `http://localhost:80/v1.0/users/${env.adele.id}/authentication/methods/${PASSWORD_METHOD_ID}`);
  });

  it('DELETE takes one script out (then 404), or all of them', async () => {
    const one = (await env.call('POST', '/admin/scripts', { steps: [{ after: 'PT1S', status: 'failed' }] })).json;
    const two = (await env.call('POST', '/admin/scripts', { steps: [{ after: 'PT1S', status: 'succeeded' }] })).json;
    assert.deepEqual(await env.queued(), [one, two]);
    assert.equal((await env.call('DELETE', `/admin/scripts/${one.id}`)).statusCode, 204);
    assert.deepEqual(await env.queued(), [two]);
    const again = await env.call('DELETE', `/admin/scripts/${one.id}`);
    assert.equal(again.statusCode, 404);
    assert.equal(again.json.error.code, 'itemNotFound');
    assert.equal((await env.call('DELETE', '/admin/scripts')).statusCode, 204);
    assert.deepEqual(await env.queued(), []);
  });

  for (const [payload, message] of [
    [{ steps: [{ after: 'PT3S', status: 'running' }, { after: 'PT1S', status: 'failed' }] }, /^steps\[1\]\.after: must not be before/],
    [{ steps: [{ after: 'soon', status: 'failed' }] }, /^steps\[0\]\.after: must be an ISO 8601 duration/],
    [{ steps: [{ after: 'PT1S', status: 'running' }] }, /^steps\[0\]\.status: the last step must be the outcome/],
    [{ steps: [{ after: 'PT1S', status: 'notStarted' }] }, /^steps\[0\]\.status: cannot be notStarted/],
    [{ steps: [{ after: 'PT1S', status: 'failed', statusDetail: 'x'.repeat(1025) }] }, /^steps\[0\]\.statusDetail: .*limit of 1024/],
    [{ user: 'adele', steps: [{ after: 'PT1S', status: 'failed' }] }, /^user: must be an object id/],
    [{ steps: [{ after: 'PT1S', status: 'failed' }], when: 'now' }, /^when: is not a member of a script/],
    [[], /^\(the body\): must be a JSON object/],
  ] as const) {
    it(`400 BadRequest, and nothing queued, for ${JSON.stringify(payload).slice(0, 80)}`, async () => {
      const res = await env.call('POST', '/admin/scripts', payload);
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json.error.code, 'BadRequest');
      assert.match(res.json.error.message, message);
      assert.deepEqual(await env.queued(), []);
    });
  }

  it('a POST without a body is 400; another method is 405 with Allow', async () => {
    const empty = await env.h.app.inject({ method: 'POST', url: '/admin/scripts', headers: { authorization: `Bearer ${env.admin}` } });
    assert.equal(empty.statusCode, 400, empty.body);
    const put = await env.call('PUT', '/admin/scripts', ADELES_FAILURE);
    assert.equal(put.statusCode, 405);
    assert.equal(put.headers.allow, 'GET, POST, DELETE, HEAD');
    assert.equal((await env.call('GET', `/admin/scripts/${SCRIPT_ID}`)).headers.allow, 'DELETE');
  });

  it('a full queue (1,000 scripts) is 409 conflict, and takes the script once one is gone', async () => {
    const scripts = Array.from({ length: 1_000 }, () => ({ steps: [{ after: 'PT1S', status: 'failed' }] }));
    assert.equal((await env.call('PUT', '/admin/state', { users: [], operations: [], scripts })).statusCode, 204);
    const full = await env.call('POST', '/admin/scripts', ADELES_FAILURE);
    assert.equal(full.statusCode, 409, full.body);
    assert.equal(full.json.error.code, 'conflict');
    assert.match(full.json.error.message, /already holds 1000 scripts/);
    const [first] = await env.queued();
    assert.equal((await env.call('DELETE', `/admin/scripts/${first.id}`)).statusCode, 204);
    assert.equal((await env.call('POST', '/admin/scripts', ADELES_FAILURE)).statusCode, 201);
    assert.equal((await env.call('DELETE', '/admin/scripts')).statusCode, 204);
  });
});

describe('admin: the queue in the state: export, import and reset', async () => {
  const seedScript = { id: SCRIPT_ID, user: null, steps: [{ after: 'PT10S', status: 'succeeded', statusDetail: 'from the seed' }] };
  const seeded = { id: SCRIPT_ID, user: null, steps: [{ after: 10n * SECOND, status: 'succeeded' as const, statusDetail: 'from the seed' }] };
  const env = await emulator({ emulatorState: { seed: { users: [], operations: [], scripts: [seeded] } } });
  after(() => env.h.close());

  const exported = async () => {
    const res = await env.call('GET', '/admin/state');
    assert.equal(res.statusCode, 200, res.body);
    return JSON.parse(res.body);
  };

  it('the queue starts with the seed’s scripts', async () => {
    assert.deepEqual(await env.queued(), [seedScript]);
  });

  it('the export shows the queue in order and an operation’s running detail; an import restores both', async () => {
    const posted = (await env.call('POST', '/admin/scripts', ADELES_FAILURE)).json;
    const { location } = await env.reset(env.adele.id); // takes hers, though the seed's (for anyone) was queued first
    await env.call('POST', '/admin/scripts', ADELES_FAILURE);
    const state = await exported();
    assert.equal(state.scripts.length, 2);
    assert.deepEqual(state.scripts[0], seedScript);
    assert.deepEqual(state.scripts[1], { ...ADELES_FAILURE, id: state.scripts[1].id });
    assert.notEqual(state.scripts[1].id, posted.id, 'the one her reset took is gone');
    const scripted = state.operations.find((op: { id: string }) => location.includes(op.id));
    assert.deepEqual(scripted.schedule, {
      runAt: at(1n),
      runningStatusDetail: 'checking policy',
      finishAt: at(3n),
      outcome: 'failed',
      statusDetail: 'PasswordPolicyViolation',
      resourceLocation: null,
    });

    assert.equal((await env.call('DELETE', '/admin/scripts')).statusCode, 204);
    assert.equal((await env.call('PUT', '/admin/state', state)).statusCode, 204);
    assert.deepEqual(await exported(), state, 'the queue and the schedule come back as they were');
    await env.advance('PT1S');
    const { status, statusDetail } = await env.poll(location);
    assert.deepEqual({ status, statusDetail }, { status: 'running', statusDetail: 'checking policy' }, 'the imported schedule runs with its detail');
  });

  it('a state without scripts (written before them) imports, and empties the queue', async () => {
    const { scripts: _, ...old } = await exported();
    assert.equal((await env.call('PUT', '/admin/state', old)).statusCode, 204);
    assert.deepEqual(await env.queued(), []);
  });

  it('an import with a bad script is 400 naming it, and changes nothing', async () => {
    await env.call('POST', '/admin/scripts', ADELES_FAILURE);
    const before = await exported();
    const res = await env.call('PUT', '/admin/state', { ...before, scripts: [...before.scripts, { steps: [{ after: 'PT1S', status: 'running' }] }] });
    assert.equal(res.statusCode, 400, res.body);
    assert.match(res.json.error.message, /^scripts\[1\]\.steps\[0\]\.status: /);
    assert.deepEqual(await exported(), before);
  });

  it('a reset empties the queue back to the seed’s scripts', async () => {
    await env.call('POST', '/admin/scripts', ADELES_FAILURE);
    assert.equal((await env.call('POST', '/admin/reset')).statusCode, 204);
    assert.deepEqual(await env.queued(), [seedScript]);
    assert.deepEqual((await exported()).scripts, [seedScript]);
  });
});
