import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { startIdentityProvider, type FakeIdentityProvider } from '../support/identity-provider.js';
import { call, runCli, startProviderServer, startServer, type ProviderServerProcess } from '../support/process.js';
import { tempDirs } from '../support/temp-dirs.js';

const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;
const PASSWORD_METHOD = '28c10230-6103-485e-b985-444c60001490';
const ADMIN = 'GraphLro.Admin';
const RESET_WRITER = 'UserAuthenticationMethod.ReadWrite.All';

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
async function listening(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/healthz`);
    return true;
  } catch {
    return false;
  }
}

describe('serve: dev identity only where a developer expects it', () => {
  const tempDir = tempDirs('graph-lro-identity-');

  it('refuses a network address without an identity provider: exit 2, one line naming both ways out, nothing written, nothing listening', async () => {
    for (const [args, env] of [
      [['--host', '0.0.0.0'], {}],
      [['--host', '::'], {}],
      [['--host', 'graph-lro.internal.example'], {}],
      [[], { GRAPH_LRO_HOST: '10.1.2.3' }],
    ] as const) {
      const data = join(tempDir(), 'data');
      const port = await freePort();
      const res = runCli(['serve', '--port', String(port), '--data', data, ...args], env);
      assert.equal(res.status, 2, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, /^graph-lro: --host \S+ is not a loopback address and no identity provider is configured: /);
      assert.equal(res.stderr.trim().split('\n').length, 1, 'one line');
      for (const wayOut of ['--jwks-url', '--oidc-discovery-url', '--dev-identity', 'GRAPH_LRO_DEV_IDENTITY']) assert.ok(res.stderr.includes(wayOut), wayOut);
      assert.doesNotMatch(res.stdout + res.stderr, JWT, 'no token printed');
      assert.equal(existsSync(data), false, 'no data folder, no database, no signing key');
      assert.equal(await listening(port), false);
    }
  });

  it('--dev-identity with an identity provider is a contradiction, refused', () => {
    const res = runCli(['serve', '--memory', '--dev-identity', '--jwks-url', 'http://127.0.0.1:9/keys', '--issuer', 'x', '--audience', 'y']);
    assert.equal(res.status, 2);
    assert.match(res.stderr, /--dev-identity cannot be combined with --jwks-url/);
  });

  it('loopback addresses keep dev identity without being asked: 127.0.0.0/8 and localhost', async () => {
    for (const host of ['127.0.0.2', 'localhost']) {
      const server = await startServer(['--memory', '--host', host]);
      try {
        assert.doesNotMatch(server.output(), /WARNING/);
        assert.match(server.output(), /^Listening on 127\.0\.0\.\d+:\d+ \(loopback\)/m);
        assert.match(server.output(), /^Identity: dev: this server signs its own tokens/m);
        assert.equal((await call(server.origin, server.token, 'GET', '/v1.0/me/authentication/operations')).status, 200);
      } finally {
        await server.stop();
      }
    }
  });

  it('--dev-identity on a network address starts, warns on stderr and in the log, and names the address actually bound', async () => {
    const server = await startServer(['--memory', '--host', '0.0.0.0', '--dev-identity']);
    try {
      const out = server.output();
      assert.match(out, /^graph-lro: WARNING: --dev-identity serves self-signed dev tokens on a network address/m);
      const logged = out
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { level: number; msg: string });
      assert.ok(logged.some((line) => line.level === 40 && line.msg.startsWith('--dev-identity serves')), 'a warn log line');
      assert.match(out, /^Listening on 0\.0\.0\.0:\d+ \(every IPv4 interface\)$/m);
      assert.match(out, /^Emulator features on: dev identity ON THE NETWORK \(--dev-identity\)/m);
      assert.equal((await call(server.origin, server.token, 'GET', '/v1.0/me/authentication/operations')).status, 200);
    } finally {
      await server.stop();
    }
  });

  it('GRAPH_LRO_DEV_IDENTITY=true is the same permission', async () => {
    const server = await startServer(['--memory', '--host', '0.0.0.0'], { GRAPH_LRO_DEV_IDENTITY: 'true' });
    try {
      assert.match(server.output(), /WARNING: --dev-identity/);
    } finally {
      await server.stop();
    }
  });
});

describe('serve under a real identity provider: nothing of the emulator unless asked for', () => {
  let idp: FakeIdentityProvider;
  const tempDir = tempDirs('graph-lro-provider-');
  before(async () => {
    idp = await startIdentityProvider();
  });
  after(() => idp.close());
  const providerFlags = () => ['--jwks-url', idp.jwksUrl, '--issuer', idp.issuer, '--audience', idp.audience];
  const target = { oid: '0b6a8c57-64b5-4f83-9d8e-1c2b3a4d5e6f', upn: 'adele@contoso.example' };

  /** Makes the reset's target known to the directory, as any user is: by calling with their own token. */
  async function knowTarget(server: ProviderServerProcess): Promise<void> {
    const own = await idp.sign({ oid: target.oid, upn: target.upn, preferred_username: target.upn });
    assert.equal((await call(server.origin, own, 'GET', '/v1.0/me/authentication/operations')).status, 200);
  }

  const resetUrl = `/v1.0/users/${target.oid}/authentication/methods/${PASSWORD_METHOD}/resetPassword`;

  it('a --reset-* flag without --simulate-password-reset is refused: it would change nothing', () => {
    for (const [flag, value] of [['--reset-duration', '10s'], ['--reset-failure-rate', '1'], ['--reset-failure-reason', 'Nope']] as const) {
      const res = runCli(['serve', '--memory', ...providerFlags(), flag, value]);
      assert.equal(res.status, 2, `${flag}: ${res.stderr}`);
      assert.match(res.stderr, new RegExp(`^graph-lro: ${flag} \\(GRAPH_LRO_[A-Z_]+\\) shapes simulated password resets, .*--simulate-password-reset`));
    }
    // At its default it says nothing either way, so it is not refused: a shell that exports the defaults still starts.
    const atDefault = runCli(['serve', '--memory', ...providerFlags(), '--reset-duration', '5s', '--log-level', 'loud']);
    assert.match(atDefault.stderr, /^graph-lro: --log-level/, 'it got past the reset flags, to the mistake checked after them');
  });

  it('prints no token, makes no signing key, serves no JWKS, no reset and no emulator admin route', async () => {
    const data = tempDir();
    const server = await startProviderServer(['--host', '0.0.0.0', '--data', data, ...providerFlags()]);
    try {
      const out = server.output();
      assert.doesNotMatch(out, JWT, 'no token printed');
      assert.doesNotMatch(out, /dashboard|WARNING/i);
      assert.match(out, /^Listening on 0\.0\.0\.0:\d+ \(every IPv4 interface\)$/m);
      assert.match(out, new RegExp(`^Identity: tokens verified against ${idp.jwksUrl.replace(/[.?]/g, '\\$&')} `, 'm'));
      assert.match(out, /^Emulator features on: none$/m);

      await knowTarget(server);
      const resetter = await idp.sign({ scp: RESET_WRITER });
      const reset = await call(server.origin, resetter, 'POST', resetUrl, { newPassword: 'Xy9!not-changed' });
      assert.equal(reset.status, 501, 'never 202: no password is changed here');
      assert.equal(reset.headers.get('location'), null);
      assert.equal(reset.json.error.code, 'notSupported');
      assert.match(reset.json.error.message, /--simulate-password-reset/);
      const listed = await call(server.origin, resetter, 'GET', `/v1.0/users/${target.oid}/authentication/operations`);
      assert.equal(listed.status, 200);
      assert.deepEqual(listed.json.value, [], 'the refused reset created nothing');

      const admin = await idp.sign({ scp: ADMIN });
      assert.equal((await call(server.origin, admin, 'GET', '/admin/statistics')).status, 200, 'the operator\'s own admin API is there');
      for (const path of ['/admin/clock', '/admin/state']) assert.equal((await call(server.origin, admin, 'GET', path)).status, 404, path);
      assert.equal((await fetch(`${server.origin}/.well-known/jwks.json`)).status, 404);
    } finally {
      assert.equal(await server.stop(), 0);
    }
    const db = new Database(join(data, 'graph-lro.db'), { readonly: true });
    try {
      assert.equal((db.prepare('SELECT count(*) AS n FROM secrets').get() as { n: number }).n, 0, 'no dev signing key stored');
    } finally {
      db.close();
    }
  });

  it('a token whose preferred_username names an existing user takes nothing from her; a rename re-points her UPN and deletes nothing', async () => {
    const data = tempDir();
    const server = await startProviderServer(['--data', data, ...providerFlags(), '--simulate-password-reset']);
    const adeleOps = `/v1.0/users/${target.upn}/authentication/operations`;
    const oldId = target.oid;
    const newId = '7d1e9c24-55aa-4b7e-9f00-2a3b4c5d6e7f';
    try {
      const adele = await idp.sign({ oid: oldId, upn: target.upn });
      const created = await call(server.origin, adele, 'POST', '/v1.0/me/authentication/operations', {});
      assert.equal(created.status, 201);
      const impostor = await idp.sign({ oid: 'e0e0e0e0-1111-4222-8333-444455556666', upn: undefined, preferred_username: target.upn });
      assert.equal((await call(server.origin, impostor, 'GET', '/v1.0/me/authentication/operations')).status, 200);

      const auditor = await idp.sign({ scp: RESET_WRITER });
      const listed = await call(server.origin, auditor, 'GET', adeleOps);
      assert.equal(listed.status, 200);
      assert.deepEqual(listed.json.value.map((op: { id: string }) => op.id), [created.json.id], 'her UPN still names her');
      const reset = await call(server.origin, auditor, 'POST', `/v1.0/users/${target.upn}/authentication/methods/${PASSWORD_METHOD}/resetPassword`, {});
      assert.equal(reset.status, 202);
      assert.match(reset.headers.get('location')!, new RegExp(`/users/${oldId}/authentication/operations/`), 'a reset by UPN reaches her');

      // A real rename: the directory gives her UPN to another object id, and that user's token carries it.
      const renamed = await idp.sign({ oid: newId, upn: target.upn });
      assert.equal((await call(server.origin, renamed, 'GET', '/v1.0/me/authentication/operations')).status, 200);
      assert.deepEqual((await call(server.origin, auditor, 'GET', adeleOps)).json.value, [], 'the UPN now names the new holder');
      const byOldId = await call(server.origin, auditor, 'GET', `/v1.0/users/${oldId}/authentication/operations`);
      assert.equal(byOldId.status, 200);
      assert.equal(byOldId.json.value.length, 2, 'the previous holder keeps both operations, by object id');
    } finally {
      assert.equal(await server.stop(), 0);
    }
    const db = new Database(join(data, 'graph-lro.db'), { readonly: true });
    try {
      const users = db.prepare('SELECT id, user_principal_name AS upn FROM users ORDER BY id').all();
      assert.deepEqual(users.filter((u) => [oldId, newId].includes((u as { id: string }).id)), [
        { id: oldId, upn: null },
        { id: newId, upn: target.upn },
      ]);
      assert.equal((db.prepare('SELECT count(*) AS n FROM operations').get() as { n: number }).n, 2, 'no operation deleted');
    } finally {
      db.close();
    }
  });

  it('--simulate-password-reset and the emulator flags turn each on, and the banner and the log say so', async () => {
    const server = await startProviderServer(
      ['--memory', ...providerFlags(), '--simulate-password-reset', '--reset-duration', '10s', '--emulator-clock', '--simulate-latency', '1'],
    );
    try {
      const out = server.output();
      assert.doesNotMatch(out, JWT);
      assert.match(out, /^Emulator features on: simulated password resets \(PT10S, failure rate 0\); admin clock \(--emulator-clock\); --simulate-latency 1$/m);
      assert.match(out, /"msg":"emulator features are on under a real identity provider"/);

      await knowTarget(server);
      const resetter = await idp.sign({ scp: RESET_WRITER });
      const reset = await call(server.origin, resetter, 'POST', resetUrl, {});
      assert.equal(reset.status, 202);
      const location = new URL(reset.headers.get('location')!);
      const admin = await idp.sign({ scp: ADMIN });
      assert.equal((await call(server.origin, admin, 'POST', '/admin/clock', { advanceBy: 'PT11S' })).status, 200);
      const polled = await call(server.origin, resetter, 'GET', `${location.pathname}${location.search}`);
      assert.equal(polled.status, 200);
      assert.equal(polled.json.status, 'succeeded');
      assert.equal(polled.json.statusDetail, 'ResetSuccess');
      assert.equal((await call(server.origin, admin, 'GET', '/admin/state')).status, 404, '--emulator-state was not given');
    } finally {
      await server.stop();
    }
  });
});
