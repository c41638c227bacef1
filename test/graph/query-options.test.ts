import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphError } from '../../src/graph/errors.js';
import { parseSelect, parseWholeNumber, systemQueryOptions } from '../../src/graph/query-options.js';
import { isInvalidQuery } from '../support/graph-errors.js';

const SYSTEM = ['select', 'top', 'skip', 'skiptoken', 'filter', 'orderby', 'count', 'search', 'expand', 'format'];

describe('systemQueryOptions', () => {
  it('takes every system option with or without $', () => {
    for (const name of SYSTEM) {
      assert.deepEqual(systemQueryOptions({ [`$${name}`]: 'v' }), { [name]: 'v' }, `$${name}`);
      assert.deepEqual(systemQueryOptions({ [name]: 'w' }), { [name]: 'w' }, name);
    }
  });

  it('matches names case-insensitively and answers them lower-case', () => {
    assert.deepEqual(systemQueryOptions({ $TOP: '5', $Select: 'id', SkipToken: 'abc', $OrderBy: 'id' }), {
      top: '5',
      select: 'id',
      skiptoken: 'abc',
      orderby: 'id',
    });
  });

  it('keeps values exactly as given; a name without a value is the empty string', () => {
    assert.deepEqual(systemQueryOptions({ $filter: " status eq 'running' ", $count: undefined }), {
      filter: " status eq 'running' ",
      count: '',
    });
  });

  it('refuses an option given more than once, in any spelling', () => {
    for (const query of [
      { $top: ['1', '2'] },
      { $top: ['1'] },
      { top: '1', $top: '2' },
      { $TOP: '1', $top: '2' },
      { $select: 'id', SELECT: 'status' },
    ]) {
      assert.throws(() => systemQueryOptions(query), isInvalidQuery, JSON.stringify(query));
    }
  });

  it('refuses an unknown $name', () => {
    for (const name of ['$x', '$', '$apply', '$levels', '$deltatoken', '$top ', '$ top', '$$top']) {
      assert.throws(() => systemQueryOptions({ [name]: '1' }), isInvalidQuery, name);
    }
  });

  it('ignores unknown names without $ (opaque parameters such as Graph’s aadgdc)', () => {
    assert.deepEqual(systemQueryOptions({ aadgdc: 'x', foo: ['a', 'b'], 'api-version': '1', top2: '3' }), {});
    assert.deepEqual(systemQueryOptions({ aadgdc: 'x', $top: '3' }), { top: '3' });
  });

  it('answers nothing for an empty query', () => {
    assert.deepEqual(systemQueryOptions({}), {});
  });
});

describe('parseSelect', () => {
  it('answers undefined (everything) when absent or when * is among the items', () => {
    assert.equal(parseSelect(undefined), undefined);
    assert.equal(parseSelect('*'), undefined);
    assert.equal(parseSelect('id,*'), undefined);
    assert.equal(parseSelect(' * '), undefined);
  });

  it('answers canonical names in the model order, whatever the order and case sent', () => {
    assert.deepEqual(parseSelect('statusDetail,id'), ['id', 'statusDetail']);
    assert.deepEqual(parseSelect(' STATUS , createdDateTime '), ['createdDateTime', 'status']);
    assert.deepEqual(parseSelect('resourcelocation,LASTACTIONDATETIME'), ['lastActionDateTime', 'resourceLocation']);
    assert.deepEqual(parseSelect('status,status,Status'), ['status']);
    assert.deepEqual(parseSelect('resourceLocation,statusDetail,status,lastActionDateTime,createdDateTime,id'), [
      'id',
      'createdDateTime',
      'lastActionDateTime',
      'status',
      'statusDetail',
      'resourceLocation',
    ]);
  });

  it('refuses unknown names, internal fields and qualified paths', () => {
    for (const value of ['foo', 'version', 'status,foo', 'microsoft.graph.longRunningOperation/status', 'status/value', 'percentageComplete']) {
      assert.throws(() => parseSelect(value), isInvalidQuery, value);
    }
  });

  it('refuses empty items', () => {
    for (const value of ['', ' ', 'status,', ',status', 'status,,id', ',']) {
      assert.throws(() => parseSelect(value), isInvalidQuery, JSON.stringify(value));
    }
  });
});

describe('parseWholeNumber', () => {
  it('answers undefined when the option is absent', () => {
    assert.equal(parseWholeNumber('top', undefined, 1, 999), undefined);
  });

  it('accepts whole numbers within the bounds, both ends included', () => {
    assert.equal(parseWholeNumber('top', '1', 1, 999), 1);
    assert.equal(parseWholeNumber('top', '999', 1, 999), 999);
    assert.equal(parseWholeNumber('top', '42', 1, 999), 42);
    assert.equal(parseWholeNumber('top', '007', 1, 999), 7);
    assert.equal(parseWholeNumber('skip', '0', 0, 0), 0);
    assert.equal(parseWholeNumber('skip', '4294967295', 0, 2 ** 32), 4_294_967_295);
  });

  it('refuses numbers just outside the bounds', () => {
    assert.throws(() => parseWholeNumber('top', '0', 1, 999), isInvalidQuery);
    assert.throws(() => parseWholeNumber('top', '1000', 1, 999), isInvalidQuery);
    assert.throws(() => parseWholeNumber('skip', '1', 0, 0), isInvalidQuery);
  });

  it('refuses anything that is not plain decimal digits', () => {
    for (const value of ['', ' ', '-1', '+1', '1.0', '1.', '1e2', '0x10', ' 1', '1 ', 'abc', '١', 'Infinity', 'NaN', '1,000', '99999999999']) {
      assert.throws(() => parseWholeNumber('top', value, 0, Number.MAX_SAFE_INTEGER), isInvalidQuery, JSON.stringify(value));
    }
  });

  it('names the option in its message', () => {
    assert.throws(
      () => parseWholeNumber('top', '0', 1, 999),
      (error: unknown) => error instanceof GraphError && /\$top/.test(error.message) && /1 to 999/.test(error.message),
    );
  });
});
