import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CONSUMER_TENANT_ID } from '../../src/auth/principal.js';
import { formatDateTimeOffset, TICKS_PER_SECOND } from '../../src/operations/date-time-offset.js';
import { PASSWORD_METHOD_ID } from '../../src/operations/password-reset.js';
import { pathOf, startHarness, type Harness, type TokenOptions } from '../support/harness.js';

const GUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const SECOND = TICKS_PER_SECOND;
const START = 17_000_000_000_000_000n; // 2023-11-14T22:13:20Z, past 2^53 ticks
const READ_WRITE_ALL = 'UserAuthenticationMethod.ReadWrite.All';

const resetUrl = (userKey: string, version = 'v1.0', methodId = PASSWORD_METHOD_ID) =>
  `/${version}/users/${userKey}/authentication/methods/${methodId}/resetPassword`;
const legacyResetUrl = (userKey: string, version = 'v1.0', methodId = PASSWORD_METHOD_ID) =>
  `/${version}/users/${userKey}/authentication/passwordMethods/${methodId}/resetPassword`;

/** A harness on a clock the test moves, with an admin (ReadWrite.All) and a target user. */
async function emulator(options: Parameters<typeof startHarness>[0] = {}) {
  const clock = { ticks: START, now: () => clock.ticks };
  const h = await startHarness({ clock, ...options });
  const admin = await h.user('admin@contoso.com', { scopes: [READ_WRITE_ALL] });
  const target = await h.user('target.user@contoso.com');
  return { h, clock, admin, target };
}

describe('resetPassword', () => {
  let h: Harness;
  let clock: { ticks: bigint };
  let admin: Awaited<ReturnType<typeof emulator>>['admin'];
  let target: Awaited<ReturnType<typeof emulator>>['target'];

  before(async () => {
    ({ h, clock, admin, target } = await emulator());
  });
  after(() => h.close());

  async function reset(url: string, body?: unknown, token = admin.token) {
    return h.request(token, { method: 'POST', url, ...(body !== undefined && { payload: body as object }) });
  }

  async function operationCount(): Promise<number> {
    const res = await h.request(admin.token, { method: 'GET', url: `/v1.0/users/${target.user.id}/authentication/operations/$count` });
    return Number(res.body);
  }

  describe('the request', () => {
    it('by UPN, without a password: 202, Location on the object id with an opaque query, Retry-After, a generated password', async () => {
      const res = await reset(resetUrl('Target.User@contoso.com'), {});
      assert.equal(res.statusCode, 202, res.body);
      assert.match(
        String(res.headers.location),
        new RegExp(`^http://localhost:80/v1\\.0/users/${target.user.id}/authentication/operations/${GUID}\\?aadgdc=[^&]+&aadgsu=[^&]+$`),
      );
      assert.match(String(res.headers['retry-after']), /^[1-9]\d*$/);
      assert.equal(res.headers['retry-after'], '3', 'the first step is halfway through the 5 s default');
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.deepEqual(Object.keys(res.json), ['@odata.context', 'newPassword']);
      assert.equal(res.json['@odata.context'], 'http://localhost:80/v1.0/$metadata#microsoft.graph.passwordResetResponse');
      const password: string = res.json.newPassword;
      assert.equal(password.length, 16);
      for (const characterClass of [/[A-Z]/, /[a-z]/, /\d/, /[^A-Za-z0-9]/]) assert.match(password, characterClass);
      const again = await reset(resetUrl(target.user.id), {});
      assert.notEqual(again.json.newPassword, password, 'every reset makes a new password');
    });

    it('with newPassword: 202 with no body and no content type', async () => {
      const res = await reset(resetUrl(target.user.id), { newPassword: 'Correct-Horse-9' });
      assert.equal(res.statusCode, 202);
      assert.equal(res.body, '');
      assert.equal(res.headers['content-type'], undefined);
      assert.match(String(res.headers.location), new RegExp(`/v1\\.0/users/${target.user.id}/authentication/operations/${GUID}\\?`));
      assert.equal(res.headers['retry-after'], '3');
    });

    it('no body at all is a reset with a generated password', async () => {
      const res = await h.app.inject({ method: 'POST', url: resetUrl(target.user.id), headers: { authorization: `Bearer ${admin.token}` } });
      assert.equal(res.statusCode, 202, res.body);
      assert.equal(typeof res.json().newPassword, 'string');
    });

    it('both URL forms, both versions, any case of the method id; the Location keeps the version', async () => {
      for (const version of ['v1.0', 'beta']) {
        for (const url of [
          resetUrl('target.user@contoso.com', version),
          legacyResetUrl(target.user.id, version),
          resetUrl(target.user.id.toUpperCase(), version, PASSWORD_METHOD_ID.toUpperCase()),
          `/${version}/USERS/${target.user.id}/Authentication/Methods/${PASSWORD_METHOD_ID}/RESETPASSWORD`,
        ]) {
          const res = await reset(url, { newPassword: 'x' });
          assert.equal(res.statusCode, 202, `${url}: ${res.body}`);
          assert.ok(String(res.headers.location).startsWith(`http://localhost:80/${version}/users/${target.user.id}/authentication/operations/`), url);
        }
      }
    });

    it('body rules: an object with newPassword (a string) only; anything else is 400 and creates nothing', async () => {
      const before = await operationCount();
      const cases: [unknown, RegExp][] = [
        [{ newPassword: 'x', forceChangePasswordNextSignIn: true }, /'forceChangePasswordNextSignIn'.*not a valid parameter/],
        [{ password: 'x' }, /'password'/],
        [{ NewPassword: 'x' }, /'NewPassword'/],
        [{ newPassword: 42 }, /'newPassword' must be a string/],
        [{ newPassword: null }, /'newPassword' must be a string/],
        [{ newPassword: { value: 'x' } }, /'newPassword' must be a string/],
        [['x'], /JSON object/],
      ];
      for (const [body, message] of cases) {
        const res = await reset(resetUrl(target.user.id), body);
        assert.equal(res.statusCode, 400, JSON.stringify(body));
        assert.equal(res.json.error.code, 'BadRequest');
        assert.match(res.json.error.message, message);
      }
      for (const payload of ['"x"', 'null', '{"newPassword":']) {
        const res = await h.request(admin.token, { method: 'POST', url: resetUrl(target.user.id), payload, headers: { 'content-type': 'application/json' } });
        assert.equal(res.statusCode, 400, payload);
      }
      assert.equal(await operationCount(), before);
    });

    it('other methods are 405 with Allow: POST', async () => {
      for (const method of ['GET', 'PATCH', 'DELETE', 'PUT'] as const) {
        for (const url of [resetUrl(target.user.id), legacyResetUrl(target.user.id)]) {
          const res = await h.request(admin.token, { method, url });
          assert.equal(res.statusCode, 405, `${method} ${url}`);
          assert.equal(res.headers.allow, 'POST');
          assert.equal(res.json.error.code, 'Request_BadRequest');
        }
      }
    });
  });

  describe('who may reset', () => {
    async function refused(token: string, url: string, status: number, code: string, message?: RegExp) {
      const before = await operationCount();
      const res = await reset(url, { newPassword: 'x' }, token);
      assert.equal(res.statusCode, status, `${url}: ${res.body}`);
      assert.equal(res.json.error.code, code);
      if (message) assert.match(res.json.error.message, message);
      assert.equal(await operationCount(), before, 'nothing was created');
    }

    it("not on the caller's own account, by UPN or by object id: 403", async () => {
      for (const key of ['admin@contoso.com', 'ADMIN@contoso.com', admin.user.id]) {
        await refused(admin.token, resetUrl(key), 403, 'Authorization_RequestDenied', /own password/);
      }
    });

    it('application tokens are not supported, whatever their roles: 403', async () => {
      const app = await h.appToken([READ_WRITE_ALL, 'UserAuthenticationMethod.Read.All']);
      await refused(app, resetUrl(target.user.id), 403, 'Authorization_RequestDenied', /not supported with application permissions/);
    });

    for (const scopes of [['UserAuthenticationMethod.ReadWrite'], ['UserAuthenticationMethod.Read.All'], ['User.Read']]) {
      it(`a delegated token with only ${scopes.join(' ')}: 403`, async () => {
        const { token } = await h.user(`helpdesk-${scopes[0]}@contoso.com`, { scopes } satisfies TokenOptions);
        await refused(token, resetUrl(target.user.id), 403, 'Authorization_RequestDenied', /^Insufficient privileges to complete the operation\.$/);
      });
    }

    it('a personal Microsoft account: 403', async () => {
      const { token } = await h.user('someone@outlook.com', { tenantId: CONSUMER_TENANT_ID, scopes: [READ_WRITE_ALL] });
      await refused(token, resetUrl(target.user.id), 403, 'Authorization_RequestDenied', /Personal Microsoft accounts/);
    });

    it('an unknown user, or a user of another tenant: 404 Request_ResourceNotFound', async () => {
      await refused(admin.token, resetUrl('nobody@contoso.com'), 404, 'Request_ResourceNotFound');
      await refused(admin.token, resetUrl('00000000-0000-4000-8000-000000000001'), 404, 'Request_ResourceNotFound');
      const elsewhere = await h.user('target.user@fabrikam.com', { tenantId: '11111111-1111-4111-8111-111111111111' });
      await refused(admin.token, resetUrl(elsewhere.user.id), 404, 'Request_ResourceNotFound');
    });

    it('a method id that is not the password method: 404 itemNotFound', async () => {
      for (const id of ['28c10230-6103-485e-b985-444c60001491', '3179e48a-750b-4051-897c-87b9720928f7', 'password']) {
        await refused(admin.token, resetUrl(target.user.id, 'v1.0', id), 404, 'itemNotFound', new RegExp(`'${id}'`));
        await refused(admin.token, legacyResetUrl(target.user.id, 'v1.0', id), 404, 'itemNotFound');
      }
    });

    it('there is no /me form', async () => {
      const res = await h.request(admin.token, { method: 'POST', url: `/v1.0/me/authentication/methods/${PASSWORD_METHOD_ID}/resetPassword`, payload: {} });
      assert.equal(res.statusCode, 404);
    });
  });

  describe('the operation', () => {
    async function start(body: object = { newPassword: 'x' }) {
      const res = await reset(resetUrl(target.user.userPrincipalName), body);
      assert.equal(res.statusCode, 202, res.body);
      return { path: pathOf(res.headers.location) };
    }

    async function poll(path: string) {
      const res = await h.request(admin.token, { method: 'GET', url: path });
      assert.equal(res.statusCode, 200, res.body);
      return res;
    }

    it('notStarted, running from halfway, then succeeded with ResetSuccess and the password method as resourceLocation', async () => {
      const created = clock.ticks;
      const { path } = await start();
      assert.ok(path.includes('?aadgdc='), 'polled by the exact Location, query string included');

      const first = await poll(path);
      assert.equal(first.json.status, 'notStarted');
      assert.equal(first.json.createdDateTime, formatDateTimeOffset(created));
      assert.equal(first.json.lastActionDateTime, first.json.createdDateTime);
      assert.equal(first.json.statusDetail, null);
      assert.equal(first.json.resourceLocation, null);
      assert.equal(first.headers['retry-after'], '3');

      clock.ticks = created + 2n * SECOND;
      assert.equal((await poll(path)).json.status, 'notStarted');
      clock.ticks = created + 25n * SECOND / 10n;
      const running = await poll(path);
      assert.equal(running.json.status, 'running');
      assert.equal(running.json.lastActionDateTime, formatDateTimeOffset(created + 25n * SECOND / 10n));
      assert.equal(running.headers['retry-after'], '3', '2.5 s to go, rounded up');
      clock.ticks = created + 4n * SECOND;
      assert.equal((await poll(path)).headers['retry-after'], '1');

      clock.ticks = created + 5n * SECOND;
      const done = await poll(path);
      assert.equal(done.json.status, 'succeeded');
      assert.equal(done.json.statusDetail, 'ResetSuccess');
      assert.equal(done.json.resourceLocation, `http://localhost:80/v1.0/users/${target.user.id}/authentication/methods/${PASSWORD_METHOD_ID}`);
      assert.equal(done.json.lastActionDateTime, formatDateTimeOffset(created + 5n * SECOND));
      assert.ok(done.json.lastActionDateTime >= done.json.createdDateTime);
      assert.equal(done.headers['retry-after'], undefined, 'no Retry-After once finished');
      assert.equal(done.json['@odata.context'], `http://localhost:80/v1.0/$metadata#users('${target.user.id}')/authentication/operations/$entity`);

      clock.ticks += 3600n * SECOND;
      const later = await poll(path);
      assert.deepEqual(later.json, done.json, 'a finished reset never changes again');
      assert.equal(later.headers.etag, done.headers.etag);
    });

    it('a clock that jumps past the whole schedule finds it finished at the first read, dated by the schedule', async () => {
      const created = clock.ticks;
      const { path } = await start();
      clock.ticks = created + 24n * 3600n * SECOND;
      const res = await poll(path);
      assert.equal(res.json.status, 'succeeded');
      assert.equal(res.json.lastActionDateTime, formatDateTimeOffset(created + 5n * SECOND));
      assert.equal(res.headers.etag, '"2"', 'one write: notStarted → succeeded');
    });

    it('many reads at once advance it once', async () => {
      const created = clock.ticks;
      const { path } = await start();
      clock.ticks = created + 10n * SECOND;
      const reads = await Promise.all(Array.from({ length: 10 }, () => poll(path)));
      for (const res of reads) {
        assert.equal(res.json.status, 'succeeded');
        assert.equal(res.headers.etag, '"2"');
      }
    });

    it('listing, $filter and $count see the schedule’s current state without a read of the item first', async () => {
      const owner = await h.user('lister@contoso.com');
      const created = clock.ticks;
      for (let i = 0; i < 3; i++) assert.equal((await reset(resetUrl(owner.user.id), {})).statusCode, 202);
      const base = `/v1.0/users/${owner.user.id}/authentication/operations`;
      const count = async (status: string) =>
        Number((await h.request(admin.token, { method: 'GET', url: `${base}/$count?$filter=status eq '${status}'` })).body);
      assert.equal(await count('notStarted'), 3);
      clock.ticks = created + 3n * SECOND;
      assert.equal(await count('running'), 3);
      clock.ticks = created + 6n * SECOND;
      const listed = await h.request(admin.token, { method: 'GET', url: `${base}?$filter=status eq 'succeeded'&$count=true` });
      assert.equal(listed.json['@odata.count'], 3);
      assert.deepEqual(new Set(listed.json.value.map((op: { statusDetail: string }) => op.statusDetail)), new Set(['ResetSuccess']));
      assert.equal(listed.headers['retry-after'], undefined, 'Retry-After is for item reads only');
    });

    it('belongs to the target user: they can read it through /me', async () => {
      const owner = await h.user('reader@contoso.com', { scopes: ['UserAuthenticationMethod.Read'] });
      const res = await reset(resetUrl('reader@contoso.com'), {});
      const id = new URL(String(res.headers.location)).pathname.split('/').at(-1);
      const mine = await h.request(owner.token, { method: 'GET', url: `/v1.0/me/authentication/operations/${id}` });
      assert.equal(mine.statusCode, 200);
      assert.equal(mine.json.id, id);
    });

    it('a client that finishes it first wins; the schedule then no longer applies', async () => {
      const created = clock.ticks;
      const { path } = await start();
      const url = new URL(path, 'http://x').pathname;
      const patched = await h.request(admin.token, { method: 'PATCH', url, payload: { status: 'failed', statusDetail: 'cancelled by the test' } });
      assert.equal(patched.statusCode, 200, patched.body);
      clock.ticks = created + 10n * SECOND;
      const res = await poll(path);
      assert.equal(res.json.status, 'failed');
      assert.equal(res.json.statusDetail, 'cancelled by the test');
      assert.equal(res.json.resourceLocation, null);
    });

    it('a client PATCH of an open scheduled operation works, and the schedule still finishes it', async () => {
      const created = clock.ticks;
      const { path } = await start();
      const url = new URL(path, 'http://x').pathname;
      assert.equal((await h.request(admin.token, { method: 'PATCH', url, payload: { status: 'running', statusDetail: 'halfway' } })).statusCode, 200);
      clock.ticks = created + 5n * SECOND;
      const res = await poll(path);
      assert.equal(res.json.status, 'succeeded');
      assert.equal(res.json.statusDetail, 'ResetSuccess');
      const late = await h.request(admin.token, { method: 'PATCH', url, payload: { status: 'running' } });
      assert.equal(late.statusCode, 409, 'a PATCH after the scheduled finish meets the finished operation');
    });

    it('Retry-After on every read of an unfinished operation, 1 without a schedule, on 304 too', async () => {
      const created = await h.request(admin.token, { method: 'POST', url: `/v1.0/users/${target.user.id}/authentication/operations`, payload: {} });
      const url = `/v1.0/users/${target.user.id}/authentication/operations/${created.json.id}`;
      assert.equal(created.headers['retry-after'], undefined, 'not on the POST');
      assert.equal((await poll(url)).headers['retry-after'], '1');
      const notModified = await h.request(admin.token, { method: 'GET', url, headers: { 'if-none-match': String(created.headers.etag) } });
      assert.equal(notModified.statusCode, 304);
      assert.equal(notModified.headers['retry-after'], '1');
      await h.request(admin.token, { method: 'PATCH', url, payload: { status: 'running' } });
      assert.equal((await poll(url)).headers['retry-after'], '1');
      await h.request(admin.token, { method: 'PATCH', url, payload: { status: 'succeeded' } });
      assert.equal((await poll(url)).headers['retry-after'], undefined);
    });
  });
});

describe('resetPassword, configured', () => {
  it('failure rate 1: every reset fails with the configured reason and no resourceLocation', async () => {
    const { h, clock, admin, target } = await emulator({ passwordReset: { failureRate: 1, failureReason: 'TooManyAttempts' } });
    try {
      const res = await h.request(admin.token, { method: 'POST', url: resetUrl(target.user.id), payload: {} });
      assert.equal(res.statusCode, 202);
      clock.ticks += 5n * SECOND;
      const op = await h.request(admin.token, { method: 'GET', url: pathOf(res.headers.location) });
      assert.equal(op.json.status, 'failed');
      assert.equal(op.json.statusDetail, 'TooManyAttempts');
      assert.equal(op.json.resourceLocation, null);
      assert.equal(op.headers['retry-after'], undefined);
    } finally {
      await h.close();
    }
  });

  it('failures follow the injected random source, so a run repeats exactly', async () => {
    const draws = [0.1, 0.9, 0.49, 0.5];
    const { h, clock, admin, target } = await emulator({ passwordReset: { failureRate: 0.5, random: () => draws.shift()! } });
    try {
      const locations = [];
      for (let i = 0; i < 4; i++) {
        locations.push((await h.request(admin.token, { method: 'POST', url: resetUrl(target.user.id), payload: {} })).headers.location);
      }
      clock.ticks += 5n * SECOND;
      const outcomes = [];
      for (const location of locations) {
        const op = (await h.request(admin.token, { method: 'GET', url: pathOf(location) })).json;
        outcomes.push(`${op.status}:${op.statusDetail}`);
      }
      assert.deepEqual(outcomes, ['failed:PasswordPolicyViolation', 'succeeded:ResetSuccess', 'failed:PasswordPolicyViolation', 'succeeded:ResetSuccess']);
    } finally {
      await h.close();
    }
  });

  it('a duration of 0: finished at the first read; a long one: Retry-After counts down to running', async () => {
    const instant = await emulator({ passwordReset: { durationTicks: 0n } });
    try {
      const res = await instant.h.request(instant.admin.token, { method: 'POST', url: resetUrl(instant.target.user.id), payload: {} });
      assert.equal(res.headers['retry-after'], '1', 'at least 1');
      const op = await instant.h.request(instant.admin.token, { method: 'GET', url: pathOf(res.headers.location) });
      assert.equal(op.json.status, 'succeeded');
      assert.equal(op.json.lastActionDateTime, op.json.createdDateTime);
    } finally {
      await instant.h.close();
    }
    const slow = await emulator({ passwordReset: { durationTicks: 120n * SECOND } });
    try {
      const res = await slow.h.request(slow.admin.token, { method: 'POST', url: resetUrl(slow.target.user.id), payload: {} });
      assert.equal(res.headers['retry-after'], '60');
      slow.clock.ticks += 59n * SECOND;
      const op = await slow.h.request(slow.admin.token, { method: 'GET', url: pathOf(res.headers.location) });
      assert.equal(op.json.status, 'notStarted');
      assert.equal(op.headers['retry-after'], '1');
      slow.clock.ticks += 1n * SECOND;
      const running = await slow.h.request(slow.admin.token, { method: 'GET', url: pathOf(res.headers.location) });
      assert.equal(running.json.status, 'running');
      assert.equal(running.headers['retry-after'], '60');
    } finally {
      await slow.h.close();
    }
  });
});
