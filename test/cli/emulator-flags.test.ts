import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { assertUsageError, call, runCli, startServer } from '../support/process.js';

const TENANT = '00000000-0000-4000-8000-00000000d3e0';
const ADELE = '3f0c3a5e-8d1b-4c8e-9a51-0c6a3b6f2e11';

describe('command line: --seed, --emulator-clock, --emulator-state', () => {
  const dir = mkdtempSync(join(tmpdir(), 'graph-lro-emulator-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };
  const seed = {
    users: [{ tenantId: TENANT, id: ADELE, userPrincipalName: 'adele@contoso.com' }],
    operations: [{ tenantId: TENANT, userId: ADELE, id: 'seeded', createdDateTime: '2024-01-01T00:00:00Z', status: 'running' }],
  };

  it('a bad seed file or flag value: exit 2 with a one-line message naming the offending value', () => {
    const bad = { ...seed, operations: [seed.operations[0], { ...seed.operations[0], id: 'second', status: 'done' }] };
    for (const [args, env, pattern] of [
      [['serve', '--memory', '--seed', join(dir, 'missing.json')], {}, /Cannot read the seed file/],
      [['serve', '--memory', '--seed', file('broken.json', '{')], {}, /Cannot read the seed file/],
      [['serve', '--memory', '--seed', file('bad.json', bad)], {}, /operations\[1\]\.status: /],
      [['serve', '--memory'], { GRAPH_LRO_EMULATOR_CLOCK: 'maybe' }, /GRAPH_LRO_EMULATOR_CLOCK/],
      [['serve', '--memory'], { GRAPH_LRO_EMULATOR_STATE: 'maybe' }, /GRAPH_LRO_EMULATOR_STATE/],
    ] as const) {
      assertUsageError(args, env, pattern);
    }
  });

  it('serves the seed; the flags (or their variables) turn the admin clock and state routes on', async () => {
    const data = join(dir, 'data');
    const server = await startServer(['--data', data, '--seed', file('seed.json', seed), '--emulator-clock'], { GRAPH_LRO_EMULATOR_STATE: 'true' });
    try {
      const admin = runCli(['token', '--user', 'admin@contoso.com', '--scopes', 'GraphLro.Admin', '--data', data]).stdout.trim();
      const listed = await call(server.origin, admin, 'GET', '/admin/operations');
      assert.equal(listed.status, 200);
      assert.deepEqual(
        listed.json.value.map((op: { id: string; userPrincipalName: string }) => [op.id, op.userPrincipalName]),
        [['seeded', 'adele@contoso.com']],
      );
      assert.equal((await call(server.origin, admin, 'POST', '/admin/clock', { advanceBy: 'PT1H' })).json.offset, 'PT1H');
      const state = await call(server.origin, admin, 'GET', '/admin/state');
      assert.equal(state.status, 200);
      assert.equal(state.json.operations[0].id, 'seeded');
      assert.equal((await call(server.origin, admin, 'POST', '/admin/reset')).status, 204);
    } finally {
      assert.equal(await server.stop(), 0);
    }
    const plain = await startServer(['--data', data]);
    try {
      const admin = runCli(['token', '--user', 'admin@contoso.com', '--scopes', 'GraphLro.Admin', '--data', data]).stdout.trim();
      assert.equal((await call(plain.origin, admin, 'GET', '/admin/clock')).status, 404, 'off by default');
      assert.equal((await call(plain.origin, admin, 'GET', '/admin/state')).status, 404, 'off by default');
      assert.equal((await call(plain.origin, admin, 'GET', '/admin/statistics')).status, 200, 'the dashboard data is always there');
    } finally {
      assert.equal(await plain.stop(), 0);
    }
  });
});
