import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { patchParameters, patchStatement, patchValues, POSTGRES, SQLITE } from '../../src/store/sql/operation-query.js';

// What the statement does is the patch contract's (test/store/patch-contract.ts, on every engine); this is
// how it binds: every value once, whatever the patch, however often the text reads it.
describe('the PATCH statement: one text per engine, each value bound once', () => {
  const owner = { tenantId: 't', userId: 'u' };
  const parameters = patchParameters(owner, 'op', {
    changes: { status: 'running', statusDetail: null, lastActionDateTime: 7n },
    now: 9n,
    version: 3,
  });

  it('PostgreSQL: $1…$n are exactly the positional values, in their order', () => {
    const text = patchStatement(POSTGRES);
    const values = patchValues(parameters);
    const used = new Set([...text.matchAll(/\$(\d+)/g)].map((match) => Number(match[1])));
    assert.deepEqual([...used].sort((a, b) => a - b), values.map((_, i) => i + 1));
    assert.deepEqual(values, ['t', 'u', 'op', 1, 1, null, 0, null, 7n, 9n, 3]);
  });

  it('SQLite: named parameters, every one of them a value the patch supplies', () => {
    const names = new Set([...patchStatement(SQLITE).matchAll(/@(\w+)/g)].map((match) => match[1]!));
    assert.deepEqual([...names].sort(), Object.keys(parameters).sort());
    assert.ok(!/\?/.test(patchStatement(SQLITE)), 'no positional placeholder');
  });

  it('a patch leaving a property sets its flag to 0 and binds null in its place', () => {
    const leaving = patchParameters(owner, 'op', { changes: { resourceLocation: 'https://x' }, now: 9n });
    assert.deepEqual(
      { status: leaving.status, setsDetail: leaving.setsDetail, setsLocation: leaving.setsLocation, lastAction: leaving.lastAction, version: leaving.version },
      { status: null, setsDetail: 0, setsLocation: 1, lastAction: null, version: null },
    );
  });
});
