import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { assertUsageError, call, runCli, startServer } from '../support/process.js';
import { tempDirs } from '../support/temp-dirs.js';

const OPS = '/v1.0/me/authentication/operations';

describe('command line', () => {
  const tempDir = tempDirs('graph-lro-cli-');

  it('--help explains every flag and its environment variable', () => {
    const res = runCli(['--help']);
    assert.equal(res.status, 0);
    for (const text of ['serve', 'token', '--port', 'GRAPH_LRO_PORT', '--data', 'GRAPH_LRO_DATA', '--memory', '--scopes', '--roles', '--jwks-url']) {
      assert.ok(res.stdout.includes(text), text);
    }
  });

  it('bad flags and bad values: a one-line message and a non-zero exit, never a stack trace', () => {
    for (const [args, env, pattern] of [
      [['serve', '--bogus'], {}, /bogus/],
      [['serve', '--port', 'eighty'], {}, /--port.*GRAPH_LRO_PORT/],
      [['serve'], { GRAPH_LRO_PORT: '70000' }, /--port/],
      [['serve', '--memory'], { GRAPH_LRO_JWKS_URL: 'http://127.0.0.1:9/keys' }, /--audience/],
      [['serve', '--memory', '--users', '/nonexistent/users.json'], {}, /users file/],
      [['token'], {}, /--user/],
      [['serve', '--memory', '--log-level', 'verbose'], {}, /--log-level \(GRAPH_LRO_LOG_LEVEL\) must be one of fatal, error, warn, info, debug, trace, silent, not 'verbose'/],
      [['token', '--user', 'a@contoso.com', '--data', '/nonexistent/graph-lro-data'], {}, /data folder .* does not exist: .*--create-data/],
      [['frobnicate'], {}, /Unknown command/],
    ] as const) {
      assertUsageError(args, env, pattern);
    }
  });

  it('token prints only a bare JWT: delegated with --user, application with --roles alone', () => {
    const data = tempDir();
    const delegated = runCli(['token', '--user', 'Adele@contoso.com', '--scopes', 'UserAuthenticationMethod.Read', '--data', data]);
    assert.equal(delegated.status, 0, delegated.stderr);
    assert.match(delegated.stdout, /^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const claims = decodeJwt(delegated.stdout.trim());
    assert.equal(claims.upn, 'Adele@contoso.com');
    assert.equal(claims.scp, 'UserAuthenticationMethod.Read');
    const again = decodeJwt(runCli(['token', '--user', 'adele@contoso.com', '--data', data]).stdout.trim());
    assert.equal(again.oid, claims.oid, 'the same user keeps the same object id');
    const app = decodeJwt(runCli(['token', '--roles', 'UserAuthenticationMethod.ReadWrite.All', '--data', data]).stdout.trim());
    assert.deepEqual(app.roles, ['UserAuthenticationMethod.ReadWrite.All']);
    assert.equal(app.scp, undefined);
  });

  it('token --create-data makes a data folder that does not exist yet; without it nothing is made', () => {
    const data = join(tempDir(), 'new-data');
    assert.equal(runCli(['token', '--user', 'a@contoso.com', '--data', data]).status, 2);
    assert.equal(existsSync(data), false, 'refused: no folder, no key');
    const made = runCli(['token', '--user', 'a@contoso.com', '--data', data, '--create-data']);
    assert.equal(made.status, 0, made.stderr);
    assert.match(made.stdout, /^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);
    assert.equal(existsSync(join(data, 'graph-lro.db')), true);
  });

  it('serve prints a working token; tokens from `graph-lro token` on the same data work too; seeded users resolve', async () => {
    const data = tempDir();
    const users = join(data, 'users.json');
    writeFileSync(users, JSON.stringify([{ id: '6EA91A8D-E32E-41A1-B7BD-D2D185EED0E0', userPrincipalName: 'cameron@contoso.com' }]));
    const server = await startServer(['--data', data, '--users', users]);
    try {
      const created = await call(server.origin, server.token, 'POST', OPS, {});
      assert.equal(created.status, 201);
      // the seed page's PATCH, with a valid status
      const patched = await call(server.origin, server.token, 'PATCH', `${OPS}/${created.json.id}`, {
        '@odata.type': '#microsoft.graph.longRunningOperation',
        lastActionDateTime: '2017-01-01T00:02:09.4916918+03:00',
        status: 'running',
        statusDetail: 'Status Detail value',
        resourceLocation: 'Resource Location value',
      });
      assert.equal(patched.status, 200);
      assert.equal(patched.json.lastActionDateTime, '2016-12-31T21:02:09.4916918Z');
      const minted = runCli(['token', '--user', 'cameron@contoso.com', '--data', data]).stdout.trim();
      assert.equal(decodeJwt(minted).oid, '6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0', 'the seeded object id');
      assert.equal((await call(server.origin, minted, 'GET', OPS)).status, 200);
      const admin = runCli(['token', '--user', 'admin@contoso.com', '--data', data]).stdout.trim();
      const viaId = await call(server.origin, admin, 'GET', '/v1.0/users/6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0/authentication/operations');
      assert.equal(viaId.status, 200);
      const jwks = (await (await fetch(`${server.origin}/.well-known/jwks.json`)).json()) as { keys: { d?: string }[] };
      assert.equal(jwks.keys.length, 1);
      assert.equal(jwks.keys[0]?.d, undefined);
    } finally {
      assert.equal(await server.stop(), 0, 'SIGTERM closes cleanly');
    }
  });

  it('a write acknowledged with a 2xx survives kill -9 and a restart', async () => {
    const data = tempDir();
    const first = await startServer(['--data', data]);
    const acknowledged: { id: string; statusDetail: string }[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const created = await call(first.origin, first.token, 'POST', OPS, { statusDetail: `created ${i}` });
        assert.equal(created.status, 201);
        const patched = await call(first.origin, first.token, 'PATCH', `${OPS}/${created.json.id}`, { statusDetail: `patched ${i}`, status: 'running' });
        assert.equal(patched.status, 200);
        acknowledged.push({ id: created.json.id, statusDetail: `patched ${i}` });
      }
    } finally {
      await first.stop('SIGKILL');
    }
    const second = await startServer(['--data', data]);
    try {
      for (const { id, statusDetail } of acknowledged) {
        const read = await call(second.origin, first.token, 'GET', `${OPS}/${id}`);
        assert.equal(read.status, 200, 'the first token still verifies: the key lives in the data folder');
        assert.equal(read.json.statusDetail, statusDetail);
        assert.equal(read.json.status, 'running');
      }
    } finally {
      await second.stop();
    }
  });

  it('--memory keeps nothing between runs', async () => {
    const server = await startServer(['--memory']);
    try {
      assert.match(server.output(), /in memory/);
      assert.equal((await call(server.origin, server.token, 'POST', OPS, {})).status, 201);
      assert.equal((await call(server.origin, server.token, 'GET', OPS)).json.value.length, 1);
    } finally {
      await server.stop();
    }
    const next = await startServer(['--memory']);
    try {
      assert.equal((await call(next.origin, next.token, 'GET', OPS)).json.value.length, 0);
    } finally {
      await next.stop();
    }
  });
});
