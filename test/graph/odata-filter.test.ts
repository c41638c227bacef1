import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphError } from '../../src/graph/errors.js';
import { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, parseFilter } from '../../src/graph/odata-filter.js';
import { formatDateTimeOffset, MAX_TICKS, MIN_TICKS } from '../../src/operations/date-time-offset.js';
import type { CompareOp, Filter, FilterValue, MatchFn, StringProperty } from '../../src/operations/filter.js';
import { OPERATION_PROPERTIES, type OperationProperty } from '../../src/operations/long-running-operation.js';
import { seededRandom, type SeededRandom } from '../fixtures/seeded-random.js';

const cmp = (property: OperationProperty, op: CompareOp, value: FilterValue): Filter => ({ kind: 'compare', op, property, value });
const and = (left: Filter, right: Filter): Filter => ({ kind: 'and', left, right });
const or = (left: Filter, right: Filter): Filter => ({ kind: 'or', left, right });
const not = (operand: Filter): Filter => ({ kind: 'not', operand });
const among = (property: OperationProperty, ...values: FilterValue[]): Filter => ({ kind: 'in', property, values });
const match = (fn: MatchFn, property: StringProperty, value: string): Filter => ({ kind: 'match', fn, property, value });

// The enum values written out by hand rather than through statusValue, so a drift there shows here.
const NOT_STARTED = 0;
const RUNNING = 1;
const SUCCEEDED = 2;
const FAILED = 3;
const UNKNOWN_FUTURE_VALUE = 4;

// Ticks (100 ns since the Unix epoch) worked out by hand from the epoch seconds of each instant.
const JAN_1_2024 = 17_040_672_000_000_000n; // 2024-01-01T00:00:00Z = 1704067200 s
const JAN_1_2024_PLUS_3H = 17_040_564_001_234_567n; // 2024-01-01T00:00:00.1234567+03:00 = 2023-12-31T21:00:00.1234567Z
const JUL_1_2024_MINUS_530 = 17_198_117_999_999_999n; // 2024-06-30T23:59:59.9999999-05:30 = 2024-07-01T05:29:59.9999999Z

const R = cmp('status', 'eq', RUNNING);
const F = cmp('status', 'eq', FAILED);
const X = cmp('id', 'eq', 'x');
const N = cmp('statusDetail', 'eq', null);

const VALID: readonly { text: string; expected: Filter }[] = [
  // Comparisons and the two enum literal forms
  { text: "status eq 'running'", expected: R },
  { text: "Status EQ 'RUNNING'", expected: R },
  { text: "status ne 'notStarted'", expected: cmp('status', 'ne', NOT_STARTED) },
  { text: "status gt 'notstarted'", expected: cmp('status', 'gt', NOT_STARTED) },
  { text: "status eq microsoft.graph.longRunningOperationStatus'succeeded'", expected: cmp('status', 'eq', SUCCEEDED) },
  { text: "status eq Microsoft.Graph.LongRunningOperationStatus'FAILED'", expected: F },
  { text: "status eq 'unknownFutureValue'", expected: cmp('status', 'eq', UNKNOWN_FUTURE_VALUE) },
  { text: "status ne microsoft.graph.longRunningOperationStatus'unknownfuturevalue'", expected: cmp('status', 'ne', UNKNOWN_FUTURE_VALUE) },
  { text: "id eq 'x'", expected: X },
  { text: "ID Eq 'x'", expected: X },
  { text: "id eq 'it''s'", expected: cmp('id', 'eq', "it's") },
  { text: "id eq ''''''", expected: cmp('id', 'eq', "''") },
  { text: "id eq ''", expected: cmp('id', 'eq', '') },
  { text: "statusDetail eq 'a  b (c) and d, or ''e'''", expected: cmp('statusDetail', 'eq', "a  b (c) and d, or 'e'") },
  { text: "statusDetail eq 'naïve 😀'", expected: cmp('statusDetail', 'eq', 'naïve 😀') },
  { text: "resourceLocation le 'https://x/y?a=1&b=2'", expected: cmp('resourceLocation', 'le', 'https://x/y?a=1&b=2') },
  // Null comparisons, both sides; every property but id is nullable
  { text: 'statusDetail eq null', expected: N },
  { text: 'null eq statusDetail', expected: N },
  { text: 'status eq NULL', expected: cmp('status', 'eq', null) },
  { text: 'resourceLocation ne null', expected: cmp('resourceLocation', 'ne', null) },
  { text: 'createdDateTime eq null', expected: cmp('createdDateTime', 'eq', null) },
  { text: 'lastActionDateTime lt null', expected: cmp('lastActionDateTime', 'lt', null) },
  // DateTimeOffset literals, exact to the tick
  { text: 'createdDateTime ge 2024-01-01T00:00:00Z', expected: cmp('createdDateTime', 'ge', JAN_1_2024) },
  { text: 'createdDateTime ge 2024-01-01t00:00:00z', expected: cmp('createdDateTime', 'ge', JAN_1_2024) },
  { text: 'createdDateTime gt 2024-01-01T03:00:00+03:00', expected: cmp('createdDateTime', 'gt', JAN_1_2024) },
  { text: 'lastActionDateTime lt 2024-01-01T00:00:00.1234567+03:00', expected: cmp('lastActionDateTime', 'lt', JAN_1_2024_PLUS_3H) },
  { text: 'lastActionDateTime le 2024-06-30T23:59:59.9999999-05:30', expected: cmp('lastActionDateTime', 'le', JUL_1_2024_MINUS_530) },
  { text: 'createdDateTime eq 1969-12-31T23:59:59.9999999Z', expected: cmp('createdDateTime', 'eq', -1n) },
  { text: 'createdDateTime ge 0001-01-01T00:00:00Z', expected: cmp('createdDateTime', 'ge', -621_355_968_000_000_000n) },
  { text: 'createdDateTime le 9999-12-31T23:59:59.9999999Z', expected: cmp('createdDateTime', 'le', 2_534_023_007_999_999_999n) },
  // Mirrored comparisons: the property moves left, the ordering operators turn round
  { text: "'running' eq status", expected: R },
  { text: "'running' lt status", expected: cmp('status', 'gt', RUNNING) },
  { text: "'running' le status", expected: cmp('status', 'ge', RUNNING) },
  { text: "'x' gt id", expected: cmp('id', 'lt', 'x') },
  { text: "'x' ge id", expected: cmp('id', 'le', 'x') },
  { text: "'x' ne id", expected: cmp('id', 'ne', 'x') },
  { text: '2024-01-01T00:00:00Z lt createdDateTime', expected: cmp('createdDateTime', 'gt', JAN_1_2024) },
  { text: "microsoft.graph.longRunningOperationStatus'failed' eq status", expected: F },
  // Precedence: or < and < not < comparison; chains associate to the left
  { text: "status eq 'running' or status eq 'failed' and id eq 'x'", expected: or(R, and(F, X)) },
  { text: "status eq 'running' and status eq 'failed' or id eq 'x'", expected: or(and(R, F), X) },
  { text: "(status eq 'running' or status eq 'failed') and id eq 'x'", expected: and(or(R, F), X) },
  { text: "status eq 'running' or status eq 'failed' or id eq 'x'", expected: or(or(R, F), X) },
  { text: "status eq 'running' and status eq 'failed' and id eq 'x'", expected: and(and(R, F), X) },
  { text: "status eq 'running' or (status eq 'failed' or id eq 'x')", expected: or(R, or(F, X)) },
  { text: "status eq 'running' AND status eq 'failed' Or id eq 'x'", expected: or(and(R, F), X) },
  // not
  { text: "not status eq 'running'", expected: not(R) },
  { text: "not status eq 'running' and id eq 'x'", expected: and(not(R), X) },
  { text: "not (status eq 'running' or id eq 'x')", expected: not(or(R, X)) },
  { text: "NOT(status eq 'running')", expected: not(R) },
  { text: "not not status eq 'running'", expected: not(not(R)) },
  { text: "id eq 'x' or not status eq 'running' and not statusDetail eq null", expected: or(X, and(not(R), not(N))) },
  // Parentheses and whitespace
  { text: "((status eq 'running'))", expected: R },
  { text: "(status eq 'running' or (id eq 'x' and (statusDetail eq null or status eq 'failed')))", expected: or(R, and(X, or(N, F))) },
  { text: "(status eq 'running')or(id eq 'x')", expected: or(R, X) },
  { text: " \tstatus\teq  'running' \t", expected: R },
  // in
  { text: "status in ('running', 'FAILED')", expected: among('status', RUNNING, FAILED) },
  { text: "Status IN ( 'running' )", expected: among('status', RUNNING) },
  { text: "status in (microsoft.graph.longRunningOperationStatus'running',null,'unknownFutureValue')", expected: among('status', RUNNING, null, UNKNOWN_FUTURE_VALUE) },
  { text: "id in ('a', 'b''c', 'a')", expected: among('id', 'a', "b'c", 'a') },
  { text: 'createdDateTime in (2024-01-01T00:00:00Z, null)', expected: among('createdDateTime', JAN_1_2024, null) },
  { text: "not id in ('a') and status in ('running')", expected: and(not(among('id', 'a')), among('status', RUNNING)) },
  // String functions: standalone, with eq/ne true/false, on every string property
  { text: "startswith(id, 'ab')", expected: match('startswith', 'id', 'ab') },
  { text: "endswith(statusDetail,'done.')", expected: match('endswith', 'statusDetail', 'done.') },
  { text: "contains(resourceLocation, 'it''s')", expected: match('contains', 'resourceLocation', "it's") },
  { text: "StartsWith(ID, 'AB')", expected: match('startswith', 'id', 'AB') },
  { text: "contains(statusDetail, '')", expected: match('contains', 'statusDetail', '') },
  { text: "startswith(id, 'a') eq true", expected: match('startswith', 'id', 'a') },
  { text: "startswith(id, 'a') ne false", expected: match('startswith', 'id', 'a') },
  { text: "startswith(id, 'a') eq false", expected: not(match('startswith', 'id', 'a')) },
  { text: "endswith(id, 'a') ne TRUE", expected: not(match('endswith', 'id', 'a')) },
  { text: "true eq contains(id, 'a')", expected: match('contains', 'id', 'a') },
  { text: "not contains(statusDetail, 'x') and status eq 'running'", expected: and(not(match('contains', 'statusDetail', 'x')), R) },
  { text: "contains(id, 'a') or endswith(resourceLocation, '/1') eq false", expected: or(match('contains', 'id', 'a'), not(match('endswith', 'resourceLocation', '/1'))) },
];

/** Positions count 1-based in the quoted `$filter=text`, so the text's first character is position 9. */
const INVALID: readonly { text: string; position: number; fragment: string }[] = [
  // Syntax
  { text: '', position: 9, fragment: 'the expression is empty' },
  { text: '   ', position: 12, fragment: 'the expression is empty' },
  { text: 'status eq', position: 18, fragment: "expected a literal after 'eq' but found the end of the expression" },
  { text: 'status', position: 15, fragment: "expected an operator (eq, ne, gt, ge, lt, le or in) after 'status'" },
  { text: "status has 'running'", position: 16, fragment: "after 'status' but found 'has'" },
  { text: "status eq eq 'x'", position: 19, fragment: "expected a literal after 'eq' but found 'eq'" },
  { text: "status eq 'running' status", position: 29, fragment: "expected 'and', 'or' or the end of the expression but found 'status'" },
  { text: "status eq 'running' and", position: 32, fragment: "expected an expression after 'and'" },
  { text: 'or status eq null', position: 9, fragment: "expected an expression but found 'or'" },
  { text: 'not', position: 12, fragment: "expected an expression after 'not'" },
  { text: '()', position: 10, fragment: "expected an expression after '(' but found ')'" },
  { text: "status eq 'running' or (id eq 'a' and)", position: 46, fragment: "expected an expression after 'and' but found ')'" },
  { text: 'true', position: 13, fragment: "expected an operator (eq, ne, gt, ge, lt, le or in) after 'true'" },
  { text: "id eq 'abc", position: 15, fragment: 'the string literal starting here is not terminated' },
  { text: "id eq 'it''s", position: 15, fragment: 'not terminated' },
  { text: '(status eq null', position: 24, fragment: "the '(' at position 9 is not closed" },
  { text: '((status eq null)', position: 26, fragment: "the '(' at position 9 is not closed" },
  { text: "(status eq null or id eq 'x' id", position: 38, fragment: "expected 'and', 'or' or ')' after 'x' but found 'id'" },
  { text: 'status eq null)', position: 23, fragment: "found ')' without a matching '('" },
  { text: "status eq 'running' & id eq 'x'", position: 29, fragment: "unexpected character '&'" },
  { text: 'status/foo eq null', position: 15, fragment: "unexpected character '/'" },
  { text: "status eq\n'x'", position: 18, fragment: 'unexpected character U+000A' },
  { text: 'status eq 12abc', position: 19, fragment: "'12abc' is not a valid literal" },
  { text: "tolower(id) eq 'a'", position: 9, fragment: "'tolower' is not a supported function" },
  { text: "status eq 'running' or substringof('a', id)", position: 32, fragment: "'substringof' is not a supported function" },
  { text: "startswith('a', id)", position: 20, fragment: 'expected a property as the first argument of startswith' },
  { text: 'startswith(id)', position: 22, fragment: "expected ',' after 'id' but found ')'" },
  { text: "startswith(id, 'a', 'b')", position: 27, fragment: "expected ')' after 'a' but found ','" },
  { text: 'contains(id, statusDetail)', position: 22, fragment: 'expected a string literal as the second argument of contains' },
  { text: 'status in ()', position: 20, fragment: "expected a literal after '(' but found ')'" },
  { text: "status in ('running',)", position: 30, fragment: "expected a literal after ',' but found ')'" },
  { text: "status in 'running'", position: 19, fragment: "expected '(' after 'in'" },
  { text: "status in ('running' 'failed')", position: 30, fragment: "expected ',' or ')' after 'running' but found 'failed'" },
  // Names
  { text: "foo eq 'x'", position: 9, fragment: "could not find a property named 'foo' on type 'microsoft.graph.longRunningOperation'" },
  { text: "status eq 'running' and bar ne null", position: 33, fragment: "could not find a property named 'bar'" },
  { text: "startswith(displayName, 'a')", position: 20, fragment: "could not find a property named 'displayName'" },
  { text: "status eq 'paused'", position: 19, fragment: "'paused' is not a member of microsoft.graph.longRunningOperationStatus" },
  { text: "status eq microsoft.graph.longRunningOperationStatus'paused'", position: 19, fragment: "'paused' is not a member" },
  { text: "status in ('running', 'paused')", position: 31, fragment: "'paused' is not a member" },
  { text: "status eq microsoft.graph.otherEnum'running'", position: 19, fragment: "literals of type 'microsoft.graph.otherEnum' are not supported" },
  // Types
  { text: 'status eq 42', position: 19, fragment: 'cannot be compared with the number 42' },
  { text: 'lastActionDateTime eq -1', position: 31, fragment: 'cannot be compared with the number -1' },
  { text: "createdDateTime eq 'yesterday'", position: 28, fragment: "'createdDateTime' is of type Edm.DateTimeOffset and cannot be compared with the string 'yesterday'" },
  { text: "createdDateTime eq '2024-01-01T00:00:00Z'", position: 28, fragment: 'cannot be compared with the string' },
  { text: "createdDateTime eq microsoft.graph.longRunningOperationStatus'running'", position: 28, fragment: 'cannot be compared with the enum value' },
  { text: 'status eq 2024-01-01T00:00:00Z', position: 19, fragment: 'cannot be compared with the DateTimeOffset 2024-01-01T00:00:00Z' },
  { text: "id eq microsoft.graph.longRunningOperationStatus'running'", position: 15, fragment: "'id' is of type Edm.String and cannot be compared with the enum value" },
  { text: 'statusDetail eq 2024-01-01T00:00:00Z', position: 25, fragment: 'cannot be compared with the DateTimeOffset' },
  { text: 'statusDetail eq true', position: 25, fragment: 'cannot be compared with the Boolean true' },
  { text: "status in ('running', 2024-01-01T00:00:00Z)", position: 31, fragment: 'cannot be compared with the DateTimeOffset' },
  { text: 'id eq null', position: 15, fragment: "'id' is never null" },
  { text: 'null ne id', position: 9, fragment: "'id' is never null" },
  { text: "id in ('a', null)", position: 21, fragment: "'id' is never null" },
  { text: 'id eq status', position: 12, fragment: 'comparing two properties is not supported' },
  { text: "'a' eq 'b'", position: 13, fragment: 'a comparison needs a property on one side' },
  { text: "'running' in status", position: 19, fragment: "'in' needs a property on its left" },
  { text: "startswith(status, 'r')", position: 20, fragment: 'startswith needs a string property (id, statusDetail, resourceLocation)' },
  { text: "endswith(createdDateTime, '1')", position: 18, fragment: "but 'createdDateTime' is of type Edm.DateTimeOffset" },
  { text: 'contains(id, null)', position: 22, fragment: 'the second argument of contains must be a string, not the literal null' },
  { text: "startswith(id, 'a') gt true", position: 29, fragment: 'the result of startswith can only be compared with true or false, using eq or ne' },
  { text: "startswith(id, 'a') eq 'x'", position: 29, fragment: 'can only be compared with true or false' },
  { text: "startswith(id, 'a') in (true)", position: 29, fragment: "'in' needs a property on its left" },
  // DateTimeOffset literals
  { text: 'createdDateTime gt 2024-13-01T00:00:00Z', position: 28, fragment: "'2024-13-01T00:00:00Z' is not a valid DateTimeOffset" },
  { text: 'createdDateTime gt 2023-02-29T00:00:00Z', position: 28, fragment: 'is not a valid DateTimeOffset' },
  { text: 'createdDateTime gt 2024-01-01', position: 28, fragment: "'2024-01-01' is not a valid DateTimeOffset" },
  { text: 'createdDateTime gt 2024-01-01T00:00:00.12345678Z', position: 28, fragment: 'is not a valid DateTimeOffset' },
  { text: 'createdDateTime gt 0001-01-01T00:00:00+00:01', position: 28, fragment: 'is not a valid DateTimeOffset' },
  // A '+' the URL layer decoded into a space leaves a date with no zone; the message says how to send it.
  { text: 'createdDateTime gt 2024-01-01T00:00:00 03:00', position: 28, fragment: "a '+' in a URL must be sent as %2B" },
];

function assertInvalid(text: string, check: (error: GraphError) => void, limits?: Parameters<typeof parseFilter>[1]): void {
  assert.throws(
    () => parseFilter(text, limits),
    (error: unknown) => {
      assert.ok(error instanceof GraphError, `expected a GraphError, got ${String(error)}`);
      assert.equal(error.kind, 'invalidQuery');
      assert.equal(error.status, 400);
      check(error);
      return true;
    },
    text,
  );
}

describe('$filter', () => {
  describe('valid expressions', () => {
    for (const { text, expected } of VALID) {
      it(text, () => assert.deepEqual(parseFilter(text), expected));
    }
  });

  describe('invalid expressions: 400 saying what and where', () => {
    for (const { text, position, fragment } of INVALID) {
      it(JSON.stringify(text), () => {
        assertInvalid(text, (error) => {
          assert.match(error.message, /^(Syntax|Type) error at position \d+ in '\$filter=/s);
          assert.ok(error.message.includes(`at position ${position} in '$filter=${text}': `), `position ${position}: ${error.message}`);
          assert.ok(error.message.includes(fragment), `'${fragment}' in: ${error.message}`);
        });
      });
    }
  });

  describe('limits', () => {
    it('are 2048 characters and 32 levels by default', () => {
      assert.equal(MAX_FILTER_LENGTH, 2048);
      assert.equal(MAX_FILTER_DEPTH, 32);
    });

    it('accepts exactly maxLength characters and refuses one more, without echoing the text', () => {
      const base = 'status eq null';
      assert.deepEqual(parseFilter(base.padEnd(MAX_FILTER_LENGTH)), cmp('status', 'eq', null));
      assertInvalid(base.padEnd(MAX_FILTER_LENGTH + 1), (error) => {
        assert.equal(error.message, 'The $filter expression is 2049 characters long; at most 2048 are allowed.');
      });
      assertInvalid(base, (error) => assert.match(error.message, /14 characters long; at most 13 are allowed/), { maxLength: 13 });
    });

    it('refuses 100,000 open parentheses quickly on length alone', () => {
      const started = performance.now();
      assertInvalid('('.repeat(100_000), (error) => assert.match(error.message, /100000 characters long/));
      assert.ok(performance.now() - started < 1000);
    });

    it('never recurses past maxDepth, however deep the text nests', () => {
      const unlimited = { maxLength: Number.POSITIVE_INFINITY };
      const deepParens = `${'('.repeat(100_000)}status eq null${')'.repeat(100_000)}`;
      // The 33rd '(' is the one too many: offset 32, position 8 + 32 + 1.
      assertInvalid(deepParens, (error) => assert.match(error.message, /^Limit exceeded at position 41 in .*more than 32 levels/s), unlimited);
      const deepNots = `${'not '.repeat(100_000)}status eq null`;
      assertInvalid(deepNots, (error) => assert.match(error.message, /^Limit exceeded at position 137 /), unlimited);
      const deepCalls = `${'startswith('.repeat(50_000)}id, 'a'${')'.repeat(50_000)}`;
      assertInvalid(deepCalls, (error) => assert.match(error.message, /^Syntax error at position 20 .*expected a property as the first argument/s), unlimited);
    });

    it('accepts 32 levels of parentheses or not, and refuses 33', () => {
      const parens = (n: number) => `${'('.repeat(n)}status eq null${')'.repeat(n)}`;
      assert.deepEqual(parseFilter(parens(32)), cmp('status', 'eq', null));
      assertInvalid(parens(33), (error) => assert.match(error.message, /^Limit exceeded at position 41 /));
      const nots = (n: number) => `${'not '.repeat(n)}status eq null`;
      assert.equal(depthOfNots(parseFilter(nots(32))), 32);
      assertInvalid(nots(33), (error) => assert.match(error.message, /^Limit exceeded at position 137 /));
    });

    it('counts each and-chain and or-chain as one level, however long', () => {
      const inParens = (n: number, inner: string) => `${'('.repeat(n)}${inner}${')'.repeat(n)}`;
      assert.deepEqual(parseFilter(inParens(31, "status eq null or id eq 'x'")), or(cmp('status', 'eq', null), X));
      // and inside or inside 31 groups is 33 levels: refused at the 'or' (offset 31 + 15).
      assertInvalid(inParens(31, "status eq null or id eq 'x' and id eq 'x'"), (error) => {
        assert.match(error.message, /^Limit exceeded at position 55 /);
      });
      const chain = Array.from({ length: 120 }, (_, i) => `id eq '${i}'`).join(' or ');
      let filter = parseFilter(chain);
      for (let i = 119; i > 0; i--) {
        assert.ok(filter.kind === 'or');
        assert.deepEqual(filter.right, cmp('id', 'eq', String(i)), 'left-associative');
        filter = filter.left;
      }
      assert.deepEqual(filter, cmp('id', 'eq', '0'));
    });

    it('takes a smaller maxDepth', () => {
      assert.deepEqual(parseFilter('(status eq null)', { maxDepth: 1 }), cmp('status', 'eq', null));
      assert.deepEqual(parseFilter("status eq null or id eq 'x'", { maxDepth: 1 }), or(cmp('status', 'eq', null), X));
      assertInvalid('((status eq null))', (error) => assert.match(error.message, /position 10 .*more than 1 levels/s), { maxDepth: 1 });
      assertInvalid('not (status eq null)', (error) => assert.match(error.message, /position 13 /), { maxDepth: 1 });
      assertInvalid("(status eq null or id eq 'x')", (error) => assert.match(error.message, /position 25 /), { maxDepth: 1 });
    });
  });

  describe('fuzz (seeded)', () => {
    const FRAGMENTS = [
      'status', 'Id', 'createdDateTime', 'statusDetail', 'resourceLocation', 'foo', 'eq', 'NE', 'gt', 'le', 'in', 'and', 'or', 'not',
      '(', '(', ')', ')', ',', "'", "''", "'running'", "'x y'", 'null', 'true', 'false', '2024-01-01T00:00:00Z',
      '2024-01-01T00:00:00.1234567+03:00', '2024-02-30T00:00:00Z', '42', '-1', '1.5e3', 'startswith', 'contains', 'endswith', 'tolower',
      'microsoft.graph.longRunningOperationStatus', "microsoft.graph.longRunningOperationStatus'failed'", "microsoft.graph.x'y'",
    ];
    const JUNK = ['\t', '-', ':', '.', '+', '/', '$', '&', 'é', '😀', '\u0000', '\n', 'x', 'T', 'Z', '9'];

    /** Parses `text` and checks the outcome is one of the two allowed; true when it parsed. */
    function parsesOrRefuses(text: string): boolean {
      try {
        assertWellTyped(parseFilter(text));
        return true;
      } catch (error) {
        assert.ok(error instanceof GraphError, `${JSON.stringify(text)} threw ${String(error)}`);
        assert.equal(error.kind, 'invalidQuery', text);
        const position = Number(/ at position (\d+) in '/.exec(error.message)?.[1]);
        assert.ok(position >= 9 && position <= text.length + 9, `${JSON.stringify(text)}: ${error.message}`);
        return false;
      }
    }

    it('random token soup either parses to a well-typed Filter or is an invalidQuery GraphError with a position in the text', () => {
      const random = seededRandom(0x0da7a_f17e5n);
      let parsed = 0;
      for (let i = 0; i < 20_000; i++) {
        const pieces = Array.from({ length: 1 + random.int(12) }, () => (random.int(10) === 0 ? random.pick(JUNK) : random.pick(FRAGMENTS)));
        if (parsesOrRefuses(pieces.join(random.int(4) === 0 ? '' : ' '))) parsed++;
      }
      assert.ok(parsed > 0, 'some random texts are valid');
    });

    it('mutated valid expressions likewise either parse or are refused with a 400', () => {
      const random = seededRandom(0x5eed_0002n);
      let parsed = 0;
      for (let i = 0; i < 20_000; i++) {
        let text = random.pick(VALID).text;
        for (let edits = 1 + random.int(3); edits > 0; edits--) {
          const at = random.int(text.length + 1);
          const to = Math.min(text.length, at + random.int(8));
          const insert = random.int(3) === 0 ? '' : random.pick(random.int(3) === 0 ? JUNK : FRAGMENTS);
          text = text.slice(0, at) + insert + text.slice(random.int(2) ? to : at);
        }
        if (parsesOrRefuses(text)) parsed++;
      }
      assert.ok(parsed > 100 && parsed < 19_000, `a mix of valid and invalid texts (${parsed} parsed)`);
    });

    it('parses random well-formed expressions back to the tree they were printed from', () => {
      const random = seededRandom(20_240_101n);
      for (let i = 0; i < 2_000; i++) {
        const expected = randomFilter(random, 4);
        const text = print(expected, random);
        assert.deepEqual(parseFilter(text, { maxLength: 100_000 }), expected, text);
      }
    });
  });
});

function depthOfNots(filter: Filter): number {
  return filter.kind === 'not' ? 1 + depthOfNots(filter.operand) : 0;
}

/** Checks what the stores rely on: each value in its property's store form, null only where allowed. */
function assertWellTyped(filter: Filter): void {
  switch (filter.kind) {
    case 'and':
    case 'or':
      assertWellTyped(filter.left);
      assertWellTyped(filter.right);
      return;
    case 'not':
      assertWellTyped(filter.operand);
      return;
    case 'compare':
      assertValueFits(filter.property, filter.value);
      return;
    case 'in':
      assert.ok(filter.values.length > 0);
      for (const value of filter.values) assertValueFits(filter.property, value);
      return;
    case 'match':
      assert.equal(OPERATION_PROPERTIES[filter.property].type, 'Edm.String');
      assert.equal(typeof filter.value, 'string');
  }
}

function assertValueFits(property: OperationProperty, value: FilterValue): void {
  const definition = OPERATION_PROPERTIES[property];
  if (value === null) return assert.ok(definition.nullable, `${property} is not nullable`);
  const expected = { 'Edm.String': 'string', 'Edm.DateTimeOffset': 'bigint', 'microsoft.graph.longRunningOperationStatus': 'number' }[definition.type];
  assert.equal(typeof value, expected, property);
  if (typeof value === 'number') assert.ok(Number.isInteger(value) && value >= 0 && value <= 4);
}

// A generator of random trees and a printer of their OData text, written independently of the parser.

const PROPERTIES = Object.keys(OPERATION_PROPERTIES) as OperationProperty[];
const OPS: CompareOp[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'];
const MIRROR: Record<CompareOp, CompareOp> = { eq: 'eq', ne: 'ne', gt: 'lt', ge: 'le', lt: 'gt', le: 'ge' };
const STATUS_NAMES = ['notStarted', 'running', 'succeeded', 'failed', 'unknownFutureValue'];
const STRING_CHARS = ["'", ' ', 'a', 'Z', '(', ')', ',', 'é', '😀', '%', 'eq', 'and'];

function randomFilter(random: SeededRandom, height: number): Filter {
  const roll = random.int(height > 0 ? 8 : 5);
  if (roll === 5) return not(randomFilter(random, height - 1));
  if (roll >= 6) {
    const kind = random.pick(['and', 'or'] as const);
    return { kind, left: randomFilter(random, height - 1), right: randomFilter(random, height - 1) };
  }
  const property = random.pick(PROPERTIES);
  if (roll === 4 && OPERATION_PROPERTIES[property].type === 'Edm.String') {
    const fn = random.pick(['startswith', 'endswith', 'contains'] as const);
    return match(fn, property as StringProperty, randomString(random));
  }
  if (roll === 3) return among(property, ...Array.from({ length: 1 + random.int(3) }, () => randomValue(random, property)));
  return cmp(property, random.pick(OPS), randomValue(random, property));
}

function randomValue(random: SeededRandom, property: OperationProperty): FilterValue {
  const definition = OPERATION_PROPERTIES[property];
  if (definition.nullable && random.int(5) === 0) return null;
  if (definition.type === 'Edm.DateTimeOffset') return random.bigintBetween(MIN_TICKS, MAX_TICKS);
  if (definition.type === 'Edm.String') return randomString(random);
  return random.int(5);
}

function randomString(random: SeededRandom): string {
  return Array.from({ length: random.int(6) }, () => random.pick(STRING_CHARS)).join('');
}

function randomCase(random: SeededRandom, word: string): string {
  return [...word].map((c) => (random.int(2) ? c.toUpperCase() : c.toLowerCase())).join('');
}

function print(filter: Filter, random: SeededRandom): string {
  const space = () => random.pick([' ', '  ', '\t']);
  switch (filter.kind) {
    case 'and':
    case 'or': {
      // Parenthesise where precedence or left-associativity would otherwise regroup, and now and then anyway.
      const left = filter.kind === 'and' && filter.left.kind === 'or';
      const right = filter.right.kind === 'or' || (filter.right.kind === 'and' && filter.kind === 'and');
      return `${group(filter.left, left, random)}${space()}${randomCase(random, filter.kind)}${space()}${group(filter.right, right, random)}`;
    }
    case 'not':
      return `${randomCase(random, 'not')}${space()}${group(filter.operand, filter.operand.kind === 'and' || filter.operand.kind === 'or', random)}`;
    case 'compare': {
      const property = randomCase(random, filter.property);
      const literal = printValue(filter.property, filter.value, random);
      return random.int(2)
        ? `${property}${space()}${filter.op}${space()}${literal}`
        : `${literal}${space()}${MIRROR[filter.op]}${space()}${property}`;
    }
    case 'in':
      return `${randomCase(random, filter.property)} in (${filter.values.map((v) => printValue(filter.property, v, random)).join(`,${space()}`)})`;
    case 'match': {
      const call = `${randomCase(random, filter.fn)}(${randomCase(random, filter.property)},${space()}${quote(filter.value)})`;
      return random.int(2) ? call : `${call} eq true`;
    }
  }
}

function group(filter: Filter, needed: boolean, random: SeededRandom): string {
  const text = print(filter, random);
  return needed || random.int(6) === 0 ? `(${text})` : text;
}

function printValue(property: OperationProperty, value: FilterValue, random: SeededRandom): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return formatDateTimeOffset(value);
  if (typeof value === 'number') {
    const name = randomCase(random, STATUS_NAMES[value]!);
    return random.int(2) ? quote(name) : `microsoft.graph.longRunningOperationStatus${quote(name)}`;
  }
  assert.equal(OPERATION_PROPERTIES[property].type, 'Edm.String');
  return quote(value);
}

function quote(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
