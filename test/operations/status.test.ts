import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canMove,
  isTerminal,
  OPEN_STATUSES,
  OPERATION_STATUSES,
  parseStatus,
  STATUS_ENUM_MEMBERS,
  statusFromValue,
  statusValue,
  UNKNOWN_FUTURE_VALUE,
  type OperationStatus,
} from '../../src/operations/status.js';

/** The lifecycle written out by hand: rank in notStarted → running → succeeded | failed. */
const RANK: Record<OperationStatus, number> = { notStarted: 0, running: 1, succeeded: 2, failed: 2 };
const TERMINAL = new Set<OperationStatus>(['succeeded', 'failed']);

describe('longRunningOperationStatus', () => {
  it('has exactly the four storable members, in the enum value order', () => {
    assert.deepEqual([...OPERATION_STATUSES], ['notStarted', 'running', 'succeeded', 'failed']);
    assert.deepEqual([...STATUS_ENUM_MEMBERS], ['notStarted', 'running', 'succeeded', 'failed', 'unknownFutureValue']);
    assert.equal(UNKNOWN_FUTURE_VALUE, 'unknownFutureValue');
  });

  describe('transition table (all 16 from/to pairs)', () => {
    for (const from of OPERATION_STATUSES) {
      for (const to of OPERATION_STATUSES) {
        // Staying put is always allowed; out of a terminal state nothing else; otherwise strictly forward only.
        const expected = from === to || (!TERMINAL.has(from) && RANK[to] > RANK[from]);
        it(`${from} → ${to}: ${expected ? 'allowed' : 'refused'}`, () => {
          assert.equal(canMove(from, to), expected);
        });
      }
    }

    it('spells out the allowed moves explicitly', () => {
      const allowed = OPERATION_STATUSES.flatMap((from) =>
        OPERATION_STATUSES.filter((to) => from !== to && canMove(from, to)).map((to) => `${from}→${to}`),
      );
      assert.deepEqual(allowed.sort(), [
        'notStarted→failed',
        'notStarted→running',
        'notStarted→succeeded',
        'running→failed',
        'running→succeeded',
      ]);
    });
  });

  it('isTerminal: succeeded and failed only', () => {
    assert.deepEqual(
      OPERATION_STATUSES.map((s) => [s, isTerminal(s)]),
      [
        ['notStarted', false],
        ['running', false],
        ['succeeded', true],
        ['failed', true],
      ],
    );
  });

  it('OPEN_STATUSES are the non-terminal ones, in enum order', () => {
    assert.deepEqual([...OPEN_STATUSES], ['notStarted', 'running']);
  });

  describe('parseStatus', () => {
    it('is case-insensitive and answers the canonical spelling', () => {
      const cases: [string, string][] = [
        ['notStarted', 'notStarted'],
        ['notstarted', 'notStarted'], // the seed's spelling
        ['NOTSTARTED', 'notStarted'],
        ['NotStarted', 'notStarted'],
        ['running', 'running'],
        ['Running', 'running'],
        ['SUCCEEDED', 'succeeded'],
        ['Failed', 'failed'],
        ['unknownFutureValue', 'unknownFutureValue'],
        ['UNKNOWNFUTUREVALUE', 'unknownFutureValue'],
        ['unknownfuturevalue', 'unknownFutureValue'],
      ];
      for (const [input, expected] of cases) assert.equal(parseStatus(input), expected, input);
    });

    it('answers undefined for anything that is not a member', () => {
      for (const input of [
        'skipped',
        'completed',
        'cancelled',
        '',
        ' running',
        'running ',
        'not started',
        'not_started',
        '0',
        '1',
        'toString',
        'constructor',
        '__proto__',
        'hasOwnProperty',
      ]) {
        assert.equal(parseStatus(input), undefined, JSON.stringify(input));
      }
    });
  });

  describe('enum values (CSDL: notStarted=0 … failed=3, unknownFutureValue=4)', () => {
    it('statusValue and statusFromValue map 0–3 both ways', () => {
      const expected: [OperationStatus, number][] = [
        ['notStarted', 0],
        ['running', 1],
        ['succeeded', 2],
        ['failed', 3],
      ];
      for (const [status, value] of expected) {
        assert.equal(statusValue(status), value, status);
        assert.equal(statusFromValue(value), status, String(value));
      }
    });

    it('statusFromValue refuses values that no storable status has (4 is the sentinel, never stored)', () => {
      for (const value of [4, -1, 5, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        assert.throws(() => statusFromValue(value), RangeError, String(value));
      }
    });
  });
});

describe('the lifecycle as SQL checks it', () => {
  it('from an open status, a move is allowed exactly when the target value is not lower (what patchStatement relies on)', () => {
    for (const from of OPEN_STATUSES) {
      for (const to of OPERATION_STATUSES) {
        assert.equal(canMove(from, to), statusValue(to) >= statusValue(from), `${from} → ${to}`);
      }
    }
  });
});
