import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OPERATIONS, startHarness } from '../support/harness.js';

describe('logs', () => {
  it('are JSON lines, each with the request id; the token never appears; a rejection says why in one line', async () => {
    const lines: string[] = [];
    const h = await startHarness({ logLevel: 'info', logStream: { write: (line: string) => void lines.push(line) } });
    try {
      const { token } = await h.user('logged@contoso.com');
      const ok = await h.request(token, { method: 'POST', url: OPERATIONS, payload: {} });
      const bad = await h.request(token, { method: 'PATCH', url: `${OPERATIONS}/${ok.json.id}`, payload: { status: 'String' } });
      const anonymous = await h.request(`${token}tampered`, { method: 'GET', url: OPERATIONS });
      assert.deepEqual([ok.statusCode, bad.statusCode, anonymous.statusCode], [201, 400, 401]);

      const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.ok(entries.length >= 6);
      const signature = token.split('.')[2]!;
      for (const line of lines) {
        assert.ok(!line.includes(signature), 'no token in any log line');
        assert.ok(!/bearer\s+ey/i.test(line));
      }
      for (const id of [ok.headers['request-id'], bad.headers['request-id'], anonymous.headers['request-id']]) {
        const mine = entries.filter((e) => e.reqId === id);
        assert.ok(mine.length >= 2, `request ${id} has its lines`);
      }
      const rejected = entries.filter((e) => e.msg === 'request rejected');
      assert.deepEqual(rejected.map((e) => e.status), [400, 401]);
      assert.match(String(rejected[0]!.reason), /'String'/);
      assert.equal(rejected[1]!.code, 'InvalidAuthenticationToken');
    } finally {
      await h.close();
    }
  });
});
