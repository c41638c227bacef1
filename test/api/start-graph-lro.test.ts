/**
 * The package API, `startGraphLro` (docs/testing.md#the-package-api): every member, its defaults, servers
 * side by side in one process sharing nothing, bad options refused with the CLI's message, and a `close()`
 * that leaves nothing behind, checked in a process of its own, which must exit by itself.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { SERVE_SETTINGS } from '../../src/config.js';
import { startGraphLro, type GraphLro } from '../../src/index.js';
import { startIdentityProvider, type FakeIdentityProvider } from '../support/identity-provider.js';

const OPS = '/v1.0/me/authentication/operations';
const ALL_SCOPES = ['UserAuthenticationMethod.Read', 'UserAuthenticationMethod.Read.All', 'UserAuthenticationMethod.ReadWrite', 'UserAuthenticationMethod.ReadWrite.All'];
const MINUTE_MS = 60_000;

async function call(lro: GraphLro, token: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${lro.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body !== undefined && { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

const admin = (lro: GraphLro) => lro.token({ user: 'admin@contoso.com', scopes: ['GraphLro.Admin'] });

// In memory, the last default, is checked in a process of its own (below): it writes nothing to its folder.
describe('startGraphLro: the defaults', () => {
  let lro: GraphLro;
  before(async () => (lro = await startGraphLro()));
  after(() => lro.close());

  it('listens on 127.0.0.1 on a free port; url is the origin, without a trailing slash', () => {
    assert.match(lro.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(new URL(lro.url).port, '0');
  });

  it('runs under dev identity: its own tokens are accepted', async () => {
    assert.equal((await call(lro, await lro.token({ user: 'adele@contoso.com' }), 'POST', OPS, {})).status, 201);
  });

  it('has the emulator clock and state on, the same ones /admin/clock and /admin/state steer', async () => {
    const token = await admin(lro);
    assert.equal((await call(lro, token, 'GET', '/admin/clock')).status, 200);
    assert.equal((await call(lro, token, 'GET', '/admin/state')).status, 200);
  });
});

describe('startGraphLro: every member', () => {
  let lro: GraphLro;
  before(async () => (lro = await startGraphLro()));
  after(() => lro.close());

  it('token({ user }): a delegated token with every UserAuthenticationMethod scope, as `graph-lro token --user`', async () => {
    const token = await lro.token({ user: 'adele@contoso.com' });
    const claims = decodeJwt(token);
    assert.equal(claims.upn, 'adele@contoso.com');
    assert.deepEqual(String(claims.scp).split(' ').sort(), ALL_SCOPES);
    assert.equal((await call(lro, token, 'POST', OPS, { statusDetail: 'queued' })).status, 201);
  });

  it('token({ user, scopes, tenant }): those scopes, in that tenant', async () => {
    const tenant = '7f3c0d1e-5b2a-4c9d-8e6f-1a2b3c4d5e6f';
    const token = await lro.token({ user: 'megan@fabrikam.com', scopes: ['UserAuthenticationMethod.Read'], tenant });
    const claims = decodeJwt(token);
    assert.equal(claims.tid, tenant);
    assert.equal(claims.scp, 'UserAuthenticationMethod.Read');
    assert.equal((await call(lro, token, 'GET', OPS)).status, 200);
    assert.equal((await call(lro, token, 'POST', OPS, {})).status, 403, 'Read alone does not write');
  });

  it('token({ roles }): an application token', async () => {
    await lro.token({ user: 'adele@contoso.com' }); // makes Adele a known user
    const token = await lro.token({ roles: ['UserAuthenticationMethod.ReadWrite.All'] });
    const claims = decodeJwt(token);
    assert.deepEqual(claims.roles, ['UserAuthenticationMethod.ReadWrite.All']);
    assert.equal(claims.scp, undefined);
    assert.equal((await call(lro, token, 'GET', '/v1.0/users/adele@contoso.com/authentication/operations')).status, 200);
  });

  it('token(): refuses what `graph-lro token` refuses, with its message', async () => {
    await assert.rejects(lro.token({}), { name: 'ConfigError', message: /Name a user \(--user <upn>\)/ });
    await assert.rejects(lro.token({ user: 'a@contoso.com', scopes: [] }), { message: '--scopes needs at least one scope.' });
    await assert.rejects(lro.token({ user: 'a@contoso.com', lifetime: 5 }), { message: /--lifetime \(GRAPH_LRO_TOKEN_LIFETIME\) must be a whole number from 60/ });
  });

  it('clock: now() is a DateTimeOffset; advance() moves it forwards, as /admin/clock reports', async () => {
    const start = Date.parse(lro.clock.now());
    assert.match(lro.clock.now(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?Z$/);
    const answered = await lro.clock.advance('PT5M');
    const moved = Date.parse(lro.clock.now());
    assert.ok(moved >= start + 5 * MINUTE_MS && moved < start + 6 * MINUTE_MS, `${start} + 5 min ≈ ${moved}`);
    assert.ok(Date.parse(answered) >= start + 5 * MINUTE_MS, 'advance answers the new time');
    assert.equal((await call(lro, await admin(lro), 'GET', '/admin/clock')).json.offset, 'PT5M', 'one clock, whichever way it is moved');
    const token = await lro.token({ user: 'adele@contoso.com' });
    const created = await call(lro, token, 'POST', OPS, {});
    assert.ok(Date.parse(created.json.createdDateTime) >= start + 5 * MINUTE_MS, 'the service dates by it');
  });

  it('clock.advance(): a duration that is not one, or that runs off the calendar, is refused and the clock stays', async () => {
    const offset = async () => (await call(lro, await admin(lro), 'GET', '/admin/clock')).json.offset;
    const was = await offset();
    for (const duration of ['5 minutes', 'PT', '-PT5M', 'P1Y']) {
      await assert.rejects(lro.clock.advance(duration), { name: 'RangeError', message: /forward ISO 8601 duration/ }, duration);
    }
    await assert.rejects(lro.clock.advance('P999999W'), { name: 'RangeError', message: /cannot move past 9998-/ });
    assert.equal(await offset(), was);
  });

  it('script(): the next reset of that user takes the steps, as the clock moves; GET /admin/scripts shows the queue', async () => {
    await lro.token({ user: 'adele@contoso.com' }); // minting makes adele known to the directory
    const helpdesk = await lro.token({ user: 'helpdesk@contoso.com' });
    const queued = await lro.script(
      [
        { after: 'PT1S', status: 'running', statusDetail: 'checking policy' },
        { after: 'PT3S', status: 'failed', statusDetail: 'PasswordPolicyViolation' },
      ],
      { user: 'adele@contoso.com' },
    );
    assert.equal(queued.user, 'adele@contoso.com');
    assert.deepEqual((await call(lro, await admin(lro), 'GET', '/admin/scripts')).json.value, [queued]);
    const started = await fetch(`${lro.url}/v1.0/users/adele@contoso.com/authentication/methods/28c10230-6103-485e-b985-444c60001490/resetPassword`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${helpdesk}`, 'Content-Type': 'application/json' },
      body: '{}',
    });
    assert.equal(started.status, 202);
    const location = new URL(started.headers.get('location')!);
    const poll = async () => (await call(lro, helpdesk, 'GET', `${location.pathname}${location.search}`)).json;
    await lro.clock.advance('PT1S');
    assert.deepEqual([(await poll()).status, (await poll()).statusDetail], ['running', 'checking policy']);
    await lro.clock.advance('PT2S');
    assert.deepEqual([(await poll()).status, (await poll()).statusDetail], ['failed', 'PasswordPolicyViolation']);
    assert.deepEqual((await call(lro, await admin(lro), 'GET', '/admin/scripts')).json.value, [], 'consumed');
  });

  it('script(): steps the lifecycle refuses are refused with the route\'s message, and nothing is queued', async () => {
    await assert.rejects(lro.script([{ after: 'PT1S', status: 'succeeded' }, { after: 'PT2S', status: 'running' }]), /steps\[1\]/);
    assert.deepEqual((await lro.exportState()).scripts, []);
  });

  it('reset(): every operation goes, as POST /admin/reset', async () => {
    const token = await lro.token({ user: 'adele@contoso.com' });
    await call(lro, token, 'POST', OPS, {});
    await lro.reset();
    assert.deepEqual((await call(lro, token, 'GET', OPS)).json.value, []);
  });

  it('exportState() and importState(): the state format, out and back in', async () => {
    await lro.reset();
    const token = await lro.token({ user: 'adele@contoso.com' });
    const created = (await call(lro, token, 'POST', OPS, { statusDetail: 'kept' })).json;
    const state = await lro.exportState();
    assert.equal(state.operations.length, 1);
    assert.equal(state.operations[0]!.id, created.id);
    assert.equal(state.operations[0]!.statusDetail, 'kept');
    assert.ok(state.users.some((user) => user.userPrincipalName === 'adele@contoso.com'));

    await lro.reset();
    assert.equal((await call(lro, token, 'GET', `${OPS}/${created.id}`)).status, 404);
    await lro.importState(state);
    assert.equal((await call(lro, token, 'GET', `${OPS}/${created.id}`)).json.statusDetail, 'kept');
    assert.deepEqual(await lro.exportState(), state, 'what an export writes an import reads back unchanged');
  });

  it('importState(): a bad state is refused naming the value, and nothing changes', async () => {
    const state = await lro.exportState();
    const bad = { ...state, operations: [{ ...state.operations[0]!, status: 'sleeping' }] };
    await assert.rejects(lro.importState(bad), { message: /^operations\[0\]\.status: / });
    assert.deepEqual(await lro.exportState(), state);
  });

  it('close(): the port is closed; a second close() is harmless', async () => {
    const other = await startGraphLro();
    await other.close();
    await assert.rejects(fetch(`${other.url}/healthz`));
    await other.close();
  });
});

describe('startGraphLro: servers side by side share nothing', () => {
  let a: GraphLro;
  let b: GraphLro;
  before(async () => ([a, b] = await Promise.all([startGraphLro(), startGraphLro()])));
  after(() => Promise.all([a.close(), b.close()]));

  it('a token of one is 401 at the other (each has its own signing key)', async () => {
    const token = await a.token({ user: 'adele@contoso.com' });
    assert.equal((await call(a, token, 'GET', OPS)).status, 200);
    assert.equal((await call(b, token, 'GET', OPS)).status, 401);
  });

  it('a clock moved on one leaves the other', async () => {
    await a.clock.advance('P1D');
    const ahead = Date.parse(a.clock.now()) - Date.parse(b.clock.now());
    assert.ok(ahead > 23 * 60 * MINUTE_MS, `a runs a day ahead of b (${ahead} ms)`);
    assert.equal((await call(b, await admin(b), 'GET', '/admin/clock')).json.offset, 'PT0S');
  });

  it('the state of one is not in the other', async () => {
    await call(a, await a.token({ user: 'adele@contoso.com' }), 'POST', OPS, {});
    assert.equal((await a.exportState()).operations.length, 1);
    assert.equal((await b.exportState()).operations.length, 0);
  });
});

describe('startGraphLro: options', () => {
  it('are the flags of graph-lro serve in camelCase', () => {
    const camelCase = (flag: string) => flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
    for (const [name, setting] of Object.entries(SERVE_SETTINGS)) assert.equal(name, camelCase(setting.flag));
  });

  it('a bad one is refused with the message the CLI prints for its flag, and nothing is left listening', async () => {
    await assert.rejects(startGraphLro({ port: 70000 }), {
      name: 'ConfigError',
      message: "--port (GRAPH_LRO_PORT) must be a whole number from 0 to 65535, not '70000'.",
    });
    await assert.rejects(startGraphLro({ logLevel: 'loud' }), { message: /^--log-level \(GRAPH_LRO_LOG_LEVEL\) must be one of fatal, / });
    await assert.rejects(startGraphLro({ retention: 90 }), { message: /^--retention \(GRAPH_LRO_RETENTION\) must be a duration such as 30s/ });
    await assert.rejects(startGraphLro({ simulateLatency: 'soon' }), { name: 'InvalidInput', message: /^--simulate-latency \(GRAPH_LRO_SIMULATE_LATENCY\) must be/ });
    await assert.rejects(startGraphLro({ host: '0.0.0.0' }), { message: /^--host 0\.0\.0\.0 is not a loopback address .* --dev-identity/ });
    await assert.rejects(startGraphLro({ seed: '/nonexistent/seed.json' }), { name: 'InvalidInput', message: /Cannot read the seed file \/nonexistent\/seed\.json/ });
  });

  it('an unknown option, a value of the wrong type, or one with no meaning in-process is refused naming it', async () => {
    await assert.rejects(startGraphLro({ prot: 5 } as never), { name: 'ConfigError', message: /^Unknown option 'prot'/ });
    await assert.rejects(startGraphLro({ memory: 'yes' } as never), { message: "Option 'memory' (--memory) must be true or false, not 'yes'." });
    await assert.rejects(startGraphLro({ port: [5050] } as never), { message: "Option 'port' (--port) must be a string or a number, not an array." });
    await assert.rejects(startGraphLro({ shutdownTimeout: '5s' } as never), { message: /^Option 'shutdownTimeout' has no meaning in-process/ });
  });

  it('a port given is the port listened on; numbers and strings are both taken', async () => {
    const probe = await startGraphLro();
    const port = Number(new URL(probe.url).port);
    await probe.close();
    const lro = await startGraphLro({ port: String(port), maxPageSize: 5, pageSize: '2' });
    try {
      assert.equal(lro.url, `http://127.0.0.1:${port}`);
      const token = await lro.token({ user: 'adele@contoso.com' });
      for (let i = 0; i < 3; i++) await call(lro, token, 'POST', OPS, {});
      assert.equal((await call(lro, token, 'GET', OPS)).json.value.length, 2, 'pageSize');
    } finally {
      await lro.close();
    }
  });

  it('data: a folder instead of memory, whose key the next server on it shares', async () => {
    const data = mkdtempSync(join(tmpdir(), 'graph-lro-api-data-'));
    try {
      const first = await startGraphLro({ data });
      const token = await first.token({ user: 'adele@contoso.com' });
      await call(first, token, 'POST', OPS, {});
      await first.close();
      assert.ok(existsSync(join(data, 'graph-lro.db')));
      const second = await startGraphLro({ data });
      try {
        assert.equal((await call(second, token, 'GET', OPS)).json.value.length, 1);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });

  it('emulatorClock: false and emulatorState: false turn those members off, saying so', async () => {
    const lro = await startGraphLro({ emulatorClock: false, emulatorState: false });
    try {
      assert.throws(() => lro.clock.now(), { message: /emulator clock is off \(emulatorClock: false\)/ });
      await assert.rejects(lro.clock.advance('PT1M'), { message: /emulator clock is off/ });
      await assert.rejects(lro.reset(), { message: /emulator state is off \(emulatorState: false\)/ });
      await assert.rejects(lro.exportState(), { message: /emulator state is off/ });
      assert.equal((await call(lro, await admin(lro), 'GET', '/admin/clock')).status, 404);
    } finally {
      await lro.close();
    }
  });

  describe('under an identity provider', () => {
    let idp: FakeIdentityProvider;
    before(async () => (idp = await startIdentityProvider()));
    after(() => idp.close());

    it("verifies the provider's tokens; token() cannot mint and says so; the emulator's clock and state are off unless asked for", async () => {
      const provider = { jwksUrl: idp.jwksUrl, issuer: idp.issuer, audience: idp.audience };
      const lro = await startGraphLro(provider);
      try {
        assert.equal((await call(lro, await idp.sign(), 'GET', OPS)).status, 200);
        await assert.rejects(lro.token({ user: 'adele@contoso.com' }), { message: /token\(\) mints dev tokens, and this server verifies the tokens of an identity provider/ });
        await assert.rejects(lro.clock.advance('PT1M'), { message: /The emulator clock is off/ });
        await assert.rejects(lro.exportState(), { message: /The emulator state is off/ });
        assert.equal((await call(lro, await idp.sign({ scp: 'GraphLro.Admin' }), 'GET', '/admin/clock')).status, 404);
      } finally {
        await lro.close();
      }
      const asked = await startGraphLro({ ...provider, emulatorClock: true, emulatorState: true });
      try {
        await asked.clock.advance('PT1M');
        assert.equal((await asked.exportState()).operations.length, 0);
      } finally {
        await asked.close();
      }
    });
  });
});

describe('startGraphLro: in a process of its own', () => {
  it('prints nothing, writes nothing, and once close() has answered the process exits by itself, code 0', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'graph-lro-api-process-'));
    const script = `
      import { startGraphLro } from ${JSON.stringify(new URL('../../src/index.ts', import.meta.url).href)};
      const lro = await startGraphLro();
      const token = await lro.token({ user: 'adele@contoso.com' });
      const headers = { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' };
      const created = await fetch(lro.url + '/v1.0/me/authentication/operations', { method: 'POST', headers, body: '{}' });
      if (created.status !== 201) throw new Error('POST: ' + created.status);
      await fetch(lro.url + '/v1.0/me/authentication/operations', { headers: { ...headers, Prefer: 'wait=1' } }); // a kept-alive connection
      await lro.clock.advance('PT5M');
      await lro.importState(await lro.exportState());
      await lro.close();
    `;
    try {
      const tsx = import.meta.resolve('tsx'); // from here: the child runs in an empty folder
      const child = spawn(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const deadline = new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 30_000).unref());
      const outcome = await Promise.race([exited, deadline]);
      if (outcome === 'still running') child.kill('SIGKILL');
      assert.equal(outcome, 0, output);
      assert.equal(output, '', 'nothing printed: no banner, no log');
      assert.deepEqual(readdirSync(cwd), [], 'nothing written: the data is in memory');
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
