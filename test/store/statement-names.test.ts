import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatementNames } from '../../src/store/postgres/postgres-store.js';

describe('StatementNames: listing and counting statements, named by their text up to a bound', () => {
  it('one name per text, the same every time; the values go along unchanged', () => {
    const names = new StatementNames(8);
    const a = names.named({ text: 'SELECT 1 WHERE $1', values: [1] });
    const b = names.named({ text: 'SELECT 2 WHERE $1', values: [2] });
    const again = names.named({ text: 'SELECT 1 WHERE $1', values: [3] });
    assert.ok(a.name);
    assert.ok(b.name);
    assert.notEqual(a.name, b.name);
    assert.equal(again.name, a.name);
    assert.deepEqual(again.values, [3]);
    assert.equal(again.text, 'SELECT 1 WHERE $1');
  });

  it('past the bound, new texts run unnamed while the named ones keep their names', () => {
    const names = new StatementNames(2);
    const first = names.named({ text: 'a', values: [] }).name;
    names.named({ text: 'b', values: [] });
    assert.equal(names.named({ text: 'c', values: [] }).name, undefined);
    assert.equal(names.named({ text: 'd', values: [] }).name, undefined);
    assert.equal(names.named({ text: 'a', values: [] }).name, first);
  });
});
