import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PASSWORD_METHOD_ID } from '../../src/operations/password-reset.js';
import { assertUsageError, call, startServer } from '../support/process.js';

describe('command line: password reset flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'graph-lro-reset-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('bad values: a one-line message naming the flag, exit 2', () => {
    for (const [args, env, pattern] of [
      [['--reset-duration', '5'], {}, /--reset-duration \(GRAPH_LRO_RESET_DURATION\)/],
      [['--reset-duration', '-1s'], {}, /--reset-duration/],
      [['--reset-failure-rate', '1.5'], {}, /--reset-failure-rate \(GRAPH_LRO_RESET_FAILURE_RATE\) must be a number from 0 to 1/],
      [['--reset-failure-rate', 'half'], {}, /--reset-failure-rate/],
      [[], { GRAPH_LRO_RESET_FAILURE_RATE: '-0.1' }, /--reset-failure-rate/],
      [['--reset-failure-reason', ' '], {}, /--reset-failure-reason \(GRAPH_LRO_RESET_FAILURE_REASON\)/],
    ] as const) {
      assertUsageError(['serve', '--memory', ...args], env, pattern);
    }
  });

  it('the flags reach the server: a reset fails with the configured reason after the configured time', async () => {
    const users = join(dir, 'users.json');
    const targetId = '6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0';
    writeFileSync(users, JSON.stringify([{ id: targetId, userPrincipalName: 'cameron@contoso.com' }]));
    const server = await startServer(['--memory', '--users', users, '--reset-duration', '1s', '--reset-failure-rate', '1'], {
      GRAPH_LRO_RESET_FAILURE_REASON: 'AccountLocked',
    });
    try {
      const url = `/v1.0/users/cameron@contoso.com/authentication/methods/${PASSWORD_METHOD_ID}/resetPassword`;
      const started = await call(server.origin, server.token, 'POST', url, { newPassword: 'Correct-Horse-9' });
      assert.equal(started.status, 202);
      assert.equal(started.headers.get('retry-after'), '1');
      const location = new URL(started.headers.get('location')!);
      assert.equal(location.origin, server.origin);
      assert.ok(location.pathname.startsWith(`/v1.0/users/${targetId}/authentication/operations/`));
      let op;
      for (let i = 0; i < 20; i++) {
        const polled = await call(server.origin, server.token, 'GET', `${location.pathname}${location.search}`);
        assert.equal(polled.status, 200);
        op = polled.json;
        if (op.status === 'failed') break;
        await new Promise((resolve) => setTimeout(resolve, Number(polled.headers.get('retry-after')) * 1000));
      }
      assert.equal(op.status, 'failed');
      assert.equal(op.statusDetail, 'AccountLocked');
      const took = Date.parse(op.lastActionDateTime) - Date.parse(op.createdDateTime);
      assert.equal(took, 1000, 'finished exactly at the configured duration');
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });
});
