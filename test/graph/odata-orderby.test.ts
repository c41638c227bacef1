import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphError } from '../../src/graph/errors.js';
import { parseOrderBy } from '../../src/graph/odata-orderby.js';
import type { OperationProperty } from '../../src/operations/long-running-operation.js';
import type { OrderKey } from '../../src/operations/ports/operation-store.js';
import { seededRandom } from '../fixtures/seeded-random.js';

const asc = (property: OperationProperty): OrderKey => ({ property, descending: false });
const desc = (property: OperationProperty): OrderKey => ({ property, descending: true });

const VALID: readonly { text: string; expected: OrderKey[] }[] = [
  { text: 'status', expected: [asc('status')] },
  { text: 'status asc', expected: [asc('status')] },
  { text: 'status desc', expected: [desc('status')] },
  { text: 'STATUS DESC', expected: [desc('status')] },
  { text: 'createdDateTime Asc,id desc', expected: [asc('createdDateTime'), desc('id')] },
  { text: ' \tstatusdetail   Desc , LASTACTIONDATETIME\t', expected: [desc('statusDetail'), asc('lastActionDateTime')] },
  {
    text: 'resourceLocation desc,status,createdDateTime desc,lastActionDateTime asc,statusDetail,id desc',
    expected: [desc('resourceLocation'), asc('status'), desc('createdDateTime'), asc('lastActionDateTime'), asc('statusDetail'), desc('id')],
  },
];

/** Positions count 1-based in the quoted `$orderby=text`, so the text's first character is position 10. */
const INVALID: readonly { text: string; position: number; fragment: string }[] = [
  { text: '', position: 10, fragment: 'the expression is empty' },
  { text: '  ', position: 12, fragment: 'the expression is empty' },
  { text: ',status', position: 10, fragment: 'an item of the list is empty' },
  { text: 'status,', position: 17, fragment: 'an item of the list is empty' },
  { text: 'status, ,id', position: 18, fragment: 'an item of the list is empty' },
  { text: 'foo', position: 10, fragment: "could not find a property named 'foo' on type 'microsoft.graph.longRunningOperation'" },
  { text: 'status, displayName desc', position: 18, fragment: "could not find a property named 'displayName'" },
  { text: 'asc', position: 10, fragment: "could not find a property named 'asc'" },
  { text: 'status desc, Status', position: 23, fragment: "'status' is already in the order at position 10" },
  { text: 'id, createdDateTime, ID desc', position: 31, fragment: "'id' is already in the order at position 10" },
  { text: 'status descending', position: 17, fragment: "expected ',' or the end of the expression but found 'descending'" },
  { text: 'status desc asc', position: 22, fragment: "but found 'asc'" },
  { text: 'status desc nulls first', position: 22, fragment: "but found 'nulls'" },
  { text: 'status id', position: 17, fragment: "but found 'id'" },
  { text: "'status'", position: 10, fragment: "expected a property name but found 'status'" },
  { text: '(status)', position: 10, fragment: "expected a property name but found '('" },
  { text: 'status/foo', position: 16, fragment: "unexpected character '/'" },
  { text: "status, 'x", position: 18, fragment: 'not terminated' },
];

describe('$orderby', () => {
  describe('valid', () => {
    for (const { text, expected } of VALID) {
      it(JSON.stringify(text), () => assert.deepEqual(parseOrderBy(text), expected));
    }
  });

  describe('invalid: 400 saying what and where', () => {
    for (const { text, position, fragment } of INVALID) {
      it(JSON.stringify(text), () => {
        assert.throws(
          () => parseOrderBy(text),
          (error: unknown) => {
            assert.ok(error instanceof GraphError, `expected a GraphError, got ${String(error)}`);
            assert.equal(error.kind, 'invalidQuery');
            assert.ok(error.message.includes(`at position ${position} in '$orderby=${text}': `), `position ${position}: ${error.message}`);
            assert.ok(error.message.includes(fragment), `'${fragment}' in: ${error.message}`);
            return true;
          },
        );
      });
    }
  });

  it('fuzz (seeded): returns distinct canonical keys or throws an invalidQuery GraphError', () => {
    const pieces = ['status', 'ID', 'createdDateTime', 'statusdetail', 'foo', 'asc', 'DESC', ',', ',', ' ', ' ', '\t', "'", '(', '/', 'é'];
    const random = seededRandom(0x0bde_7b1n);
    let parsed = 0;
    for (let i = 0; i < 10_000; i++) {
      const text = Array.from({ length: random.int(8) }, () => random.pick(pieces)).join(random.int(2) ? ' ' : '');
      try {
        const keys = parseOrderBy(text);
        assert.ok(keys.length > 0);
        assert.equal(new Set(keys.map((k) => k.property)).size, keys.length, 'each property at most once');
        for (const key of keys) assert.ok(['id', 'createdDateTime', 'status', 'statusDetail'].includes(key.property), key.property);
        parsed++;
      } catch (error) {
        assert.ok(error instanceof GraphError, `${JSON.stringify(text)} threw ${String(error)}`);
        assert.equal(error.kind, 'invalidQuery');
      }
    }
    assert.ok(parsed > 100, `${parsed} parsed`);
  });
});
