import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OPERATIONS, startHarness } from '../support/harness.js';

/** A harness logging at `level` into `lines`, and a user's created operation and refused PATCH of it. */
async function loggedRequests(level: string, userPrincipalName: string) {
  const lines: string[] = [];
  const h = await startHarness({ logLevel: level, logStream: { write: (line: string) => void lines.push(line) } });
  try {
    const { token } = await h.user(userPrincipalName);
    const ok = await h.request(token, { method: 'POST', url: OPERATIONS, payload: {} });
    const bad = await h.request(token, { method: 'PATCH', url: `${OPERATIONS}/${ok.json.id}`, payload: { status: 'String' } });
    const entries = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    return { h, lines, entries, token, ok, bad };
  } catch (error) {
    await h.close();
    throw error;
  }
}

describe('logs', () => {
  it('are JSON lines, each with the request id; the token never appears; a rejection says why in one line', async () => {
    const { h, lines, entries: read, token, ok, bad } = await loggedRequests('info', 'logged@contoso.com');
    try {
      const anonymous = await h.request(`${token}tampered`, { method: 'GET', url: OPERATIONS });
      assert.deepEqual([ok.statusCode, bad.statusCode, anonymous.statusCode], [201, 400, 401]);

      const entries = read();
      assert.equal(entries.length, 5, 'the three requests log 1 + 2 + 2 lines (counted one by one below)');
      const signature = token.split('.')[2]!;
      for (const line of lines) {
        assert.ok(!line.includes(signature), 'no token in any log line');
        assert.ok(!/bearer\s+ey/i.test(line));
      }
      for (const [res, lineCount] of [[ok, 1], [bad, 2], [anonymous, 2]] as const) {
        const mine = entries.filter((e) => e.reqId === res.headers['request-id']);
        assert.equal(mine.length, lineCount, `request ${res.headers['request-id']}: one completion line, and one more when rejected`);
        const completed = mine.find((e) => e.msg === 'request completed');
        assert.equal(completed?.status, res.statusCode);
        assert.equal(completed?.method, res.raw.req.method);
      }
      const rejected = entries.filter((e) => e.msg === 'request rejected');
      assert.deepEqual(rejected.map((e) => e.status), [400, 401]);
      assert.match(String(rejected[0]!.reason), /'String'/);
      assert.equal(rejected[1]!.code, 'InvalidAuthenticationToken');
    } finally {
      await h.close();
    }
  });

  it('above info, answered requests write nothing; refusals are still told at their own level', async () => {
    const { h, entries: read, ok, bad } = await loggedRequests('warn', 'quiet@contoso.com');
    try {
      assert.deepEqual([ok.statusCode, bad.statusCode], [201, 400]);
      // A refusal told at warn: the database does not answer the readiness probe.
      h.store.ping = () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
      const unready = await h.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(unready.statusCode, 503);
      const entries = read();
      // The created and the refused (400, told at info) requests write nothing; the 503 writes its one warn line.
      assert.deepEqual(
        entries.map((e) => [e.msg, e.level, e.reqId]),
        [['database not reachable', 40, unready.headers['request-id']]],
      );
      assert.deepEqual(entries.filter((e) => e.msg === 'request completed'), []);
      assert.ok(entries.every((e) => Number(e.level) >= 40), 'nothing below warn');
    } finally {
      await h.close();
    }
  });
});
