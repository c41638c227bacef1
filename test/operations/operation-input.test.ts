import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromDomainError } from '../../src/graph/error-envelope.js';
import type { ErrorKind } from '../../src/graph/errors.js';
import { parseDateTimeOffset } from '../../src/operations/date-time-offset.js';
import { DomainError } from '../../src/operations/domain-error.js';
import type { LongRunningOperation, OperationChanges } from '../../src/operations/long-running-operation.js';
import { readOperationInput } from '../../src/operations/operation-input.js';
import { applyChanges } from '../../src/operations/operation-service.js';
import { OPERATION_STATUSES, type OperationStatus } from '../../src/operations/status.js';

const CREATED = 17_000_000_000_000_000n; // 2023-11-14T22:13:20Z
const LAST = CREATED + 1_234_567n;
const NOW = 18_000_000_000_000_001n;

function operation(overrides: Partial<LongRunningOperation> = {}): LongRunningOperation {
  return {
    id: 'a1b2c3d4-0000-4000-8000-000000000001',
    createdDateTime: CREATED,
    lastActionDateTime: LAST,
    status: 'running',
    statusDetail: 'working',
    resourceLocation: 'https://graph.microsoft.com/v1.0/users/x',
    version: 3,
    finishedAt: null,
    ...overrides,
  };
}

/** Asserts that `fn` throws a DomainError that Graph answers as `kind` (and nothing else). */
function throwsKind(fn: () => unknown, kind: ErrorKind, message?: string): void {
  assert.throws(
    fn,
    (error: unknown) => {
      assert.ok(error instanceof DomainError, `expected a DomainError, got ${String(error)}`);
      assert.equal(fromDomainError(error).kind, kind, message);
      return true;
    },
    message,
  );
}

/** A clock that counts how often it is read. */
function countingClock(value = NOW) {
  const clock = { reads: 0, now: () => (clock.reads++, value) };
  return clock;
}

describe('readOperationInput', () => {
  describe('POST (no current entity)', () => {
    it('answers typed, validated changes with canonical values', () => {
      const changes = readOperationInput({
        status: 'RUNNING',
        lastActionDateTime: '2017-01-01T00:02:09.4916918+03:00',
        statusDetail: 'queued',
        resourceLocation: null,
      });
      assert.deepEqual(changes, {
        status: 'running',
        lastActionDateTime: parseDateTimeOffset('2016-12-31T21:02:09.4916918Z'),
        statusDetail: 'queued',
        resourceLocation: null,
      });
      assert.equal(typeof changes.lastActionDateTime, 'bigint');
    });

    it('answers no changes for an empty object', () => {
      assert.deepEqual(readOperationInput({}), {});
    });

    it('refuses a body that is not a JSON object: badRequest', () => {
      for (const body of [null, undefined, [], [{}], 'status', 42, true]) {
        throwsKind(() => readOperationInput(body), 'badRequest', JSON.stringify(body));
      }
    });

    it('refuses the read-only id and createdDateTime: readOnlyProperty', () => {
      throwsKind(() => readOperationInput({ id: 'mine' }), 'readOnlyProperty');
      throwsKind(() => readOperationInput({ id: null }), 'readOnlyProperty');
      throwsKind(() => readOperationInput({ createdDateTime: '2020-01-01T00:00:00Z' }), 'readOnlyProperty');
      throwsKind(() => readOperationInput({ createdDateTime: null }), 'readOnlyProperty');
    });

    it('refuses unknownFutureValue as a status to create with: invalidValue', () => {
      throwsKind(() => readOperationInput({ status: 'unknownFutureValue' }), 'invalidValue');
      throwsKind(() => readOperationInput({ status: 'UnknownFutureValue' }), 'invalidValue');
    });
  });

  describe('properties and annotations', () => {
    it('refuses unknown properties, wrong casing and inherited names: invalidProperty', () => {
      for (const name of ['foo', 'Status', 'ID', 'version', 'percentageComplete', 'toString', 'constructor', 'hasOwnProperty', '']) {
        throwsKind(() => readOperationInput({ [name]: 'x' }), 'invalidProperty', name);
      }
      // `__proto__` as an own JSON member, as JSON.parse produces it
      throwsKind(() => readOperationInput(JSON.parse('{"__proto__": {"status": "failed"}}')), 'invalidProperty', '__proto__');
    });

    it('refuses a property annotation on an unknown property: invalidProperty', () => {
      throwsKind(() => readOperationInput({ 'foo@odata.type': '#Edm.String' }), 'invalidProperty');
    });

    it('ignores property annotations on known properties and control information other than @odata.type', () => {
      const changes = readOperationInput({
        'status@odata.type': '#microsoft.graph.longRunningOperationStatus',
        'lastActionDateTime@odata.type': 'anything',
        '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#whatever',
        '@odata.etag': 'W/"9"',
        '@microsoft.graph.tips': 'x',
        statusDetail: 'x',
      });
      assert.deepEqual(changes, { statusDetail: 'x' });
    });

    it('accepts @odata.type naming this type, in its three spellings', () => {
      for (const type of ['#microsoft.graph.longRunningOperation', '#graph.longRunningOperation', 'microsoft.graph.longRunningOperation']) {
        assert.deepEqual(readOperationInput({ '@odata.type': type, status: 'failed' }), { status: 'failed' }, type);
      }
    });

    it('refuses @odata.type naming another type or not a string: invalidValue', () => {
      for (const type of ['#microsoft.graph.richLongRunningOperation', '#microsoft.graph.entity', '', 'longRunningOperation', 1, null, {}]) {
        throwsKind(() => readOperationInput({ '@odata.type': type }), 'invalidValue', JSON.stringify(type));
      }
    });
  });

  describe('lastActionDateTime', () => {
    it('is parsed to ticks, offsets applied, full precision kept', () => {
      assert.deepEqual(readOperationInput({ lastActionDateTime: '2020-01-01T00:00:00.0000001-01:00' }), {
        lastActionDateTime: parseDateTimeOffset('2020-01-01T01:00:00.0000001Z'),
      });
    });

    it('refuses anything that is not a valid DateTimeOffset string: invalidValue', () => {
      for (const value of [
        null,
        0,
        1_577_836_800_000,
        '2020-01-01',
        '2020-01-01T00:00:00',
        '2020-01-01T00:00:00.12345678Z',
        '2023-02-29T00:00:00Z',
        'yesterday',
        {},
        [],
      ]) {
        throwsKind(() => readOperationInput({ lastActionDateTime: value }), 'invalidValue', JSON.stringify(value));
      }
    });
  });

  describe('status', () => {
    it('is case-insensitive and canonical', () => {
      for (const status of OPERATION_STATUSES) {
        assert.deepEqual(readOperationInput({ status: status.toUpperCase() }), { status });
      }
      assert.deepEqual(readOperationInput({ status: 'notstarted' }), { status: 'notStarted' });
    });

    it('refuses non-members and non-strings: invalidValue', () => {
      for (const value of ['skipped', 'completed', '', 0, 1, null, true, ['running']]) {
        throwsKind(() => readOperationInput({ status: value }), 'invalidValue', JSON.stringify(value));
      }
    });
  });

  describe('statusDetail and resourceLocation', () => {
    it('take strings and null', () => {
      assert.deepEqual(readOperationInput({ statusDetail: '', resourceLocation: null }), { statusDetail: '', resourceLocation: null });
      assert.deepEqual(readOperationInput({ statusDetail: null, resourceLocation: 'https://x/y' }), {
        statusDetail: null,
        resourceLocation: 'https://x/y',
      });
      assert.deepEqual(readOperationInput({ statusDetail: 'ok 😀 ünïcode' }), { statusDetail: 'ok 😀 ünïcode' });
    });

    it('enforce their length limits (1024 and 2048 UTF-16 code units), at the boundary', () => {
      assert.equal(readOperationInput({ statusDetail: 'x'.repeat(1024) }).statusDetail?.length, 1024);
      throwsKind(() => readOperationInput({ statusDetail: 'x'.repeat(1025) }), 'invalidValue');
      assert.equal(readOperationInput({ resourceLocation: 'x'.repeat(2048) }).resourceLocation?.length, 2048);
      throwsKind(() => readOperationInput({ resourceLocation: 'x'.repeat(2049) }), 'invalidValue');
    });

    it('refuse non-strings, NUL and unpaired surrogates: invalidValue', () => {
      for (const property of ['statusDetail', 'resourceLocation']) {
        for (const value of [1, true, {}, ['a'], 'a\u0000b', 'a\ud800b', '\udc00', 'end\ud83d']) {
          throwsKind(() => readOperationInput({ [property]: value }), 'invalidValue', `${property}=${JSON.stringify(value)}`);
        }
      }
    });
  });

  describe('PATCH (with the current entity)', () => {
    const current = operation();

    it('accepts the read-only id and createdDateTime echoed back unchanged (createdDateTime in any equal form)', () => {
      assert.deepEqual(readOperationInput({ id: current.id }, current), {});
      assert.deepEqual(readOperationInput({ createdDateTime: '2023-11-14T22:13:20Z' }, current), {});
      assert.deepEqual(readOperationInput({ createdDateTime: '2023-11-15T00:13:20.0000000+02:00' }, current), {});
    });

    it('refuses a changed id or createdDateTime: readOnlyProperty', () => {
      throwsKind(() => readOperationInput({ id: 'other' }, current), 'readOnlyProperty');
      throwsKind(() => readOperationInput({ id: current.id.toUpperCase() }, current), 'readOnlyProperty');
      throwsKind(() => readOperationInput({ id: null }, current), 'readOnlyProperty');
      throwsKind(() => readOperationInput({ createdDateTime: '2023-11-14T22:13:20.0000001Z' }, current), 'readOnlyProperty');
      throwsKind(() => readOperationInput({ createdDateTime: null }, current), 'readOnlyProperty');
      throwsKind(() => readOperationInput({ createdDateTime: 17_000_000_000_000_000 }, current), 'readOnlyProperty');
    });

    it('accepts createdDateTime echoed through a JavaScript Date (cut to milliseconds), and nothing else near it', () => {
      const precise = operation({ createdDateTime: CREATED + 1_234_567n }); // …:20.1234567Z
      assert.deepEqual(readOperationInput({ createdDateTime: '2023-11-14T22:13:20.1234567Z' }, precise), {});
      assert.deepEqual(readOperationInput({ createdDateTime: '2023-11-14T22:13:20.123Z' }, precise), {});
      assert.deepEqual(readOperationInput({ createdDateTime: '2023-11-15T00:13:20.123+02:00' }, precise), {});
      for (const text of ['2023-11-14T22:13:20.124Z', '2023-11-14T22:13:20.1234Z', '2023-11-14T22:13:20.122Z', '2023-11-14T22:13:20Z']) {
        throwsKind(() => readOperationInput({ createdDateTime: text }, precise), 'readOnlyProperty', text);
      }
    });

    it('reads unknownFutureValue as "leave the status as it is" (no status key at all)', () => {
      const changes = readOperationInput({ status: 'unknownFutureValue', statusDetail: 'x' }, current);
      assert.deepEqual(changes, { statusDetail: 'x' });
      assert.equal(Object.hasOwn(changes, 'status'), false);
    });
  });
});

describe('applyChanges', () => {
  it('answers the very same object when there are no changes, without reading the clock', () => {
    const current = operation();
    const clock = countingClock();
    assert.equal(applyChanges(current, {}, clock.now), current);
    assert.equal(clock.reads, 0);
  });

  it('answers the very same object when every change equals the current value (bigint compared by value)', () => {
    const current = operation();
    const clock = countingClock();
    const same: OperationChanges = {
      status: current.status,
      statusDetail: current.statusDetail,
      resourceLocation: current.resourceLocation,
      lastActionDateTime: BigInt(String(current.lastActionDateTime)), // an equal but separately built bigint
    };
    assert.equal(applyChanges(current, same, clock.now), current);
    assert.equal(clock.reads, 0);
  });

  it('uses the server clock for lastActionDateTime when the client does not date the change', () => {
    const current = operation();
    const clock = countingClock();
    const next = applyChanges(current, { statusDetail: 'step 2' }, clock.now);
    assert.notEqual(next, current);
    assert.equal(next.lastActionDateTime, NOW);
    assert.equal(clock.reads, 1);
    assert.deepEqual(next, { ...current, statusDetail: 'step 2', lastActionDateTime: NOW });
  });

  it("keeps the client's lastActionDateTime and never reads the clock when the client dates the change", () => {
    const current = operation();
    const clock = countingClock();
    const dated = 16_000_000_000_000_007n;
    const next = applyChanges(current, { statusDetail: 'dated', lastActionDateTime: dated }, clock.now);
    assert.equal(next.lastActionDateTime, dated);
    assert.equal(next.finishedAt, null);
    assert.equal(clock.reads, 0);
  });

  it('dates the finish with the server clock, whatever date the client gives, for retention', () => {
    const clock = countingClock();
    const dated = 16_000_000_000_000_007n;
    const next = applyChanges(operation(), { status: 'succeeded', lastActionDateTime: dated }, clock.now);
    assert.equal(next.lastActionDateTime, dated);
    assert.equal(next.status, 'succeeded');
    assert.equal(clock.reads, 1);
    assert.notEqual(next.finishedAt, null);
    assert.notEqual(next.finishedAt, dated);
  });

  it('changes only what was sent; id, createdDateTime and version are untouched; current is not mutated', () => {
    const current = operation();
    const snapshot = { ...current };
    const next = applyChanges(current, { resourceLocation: null }, () => NOW);
    assert.deepEqual(next, { ...snapshot, resourceLocation: null, lastActionDateTime: NOW });
    assert.deepEqual(current, snapshot);
  });

  it('refuses any change to a finished operation: conflict (409)', () => {
    for (const status of ['succeeded', 'failed'] as const) {
      const current = operation({ status });
      const attempts: OperationChanges[] = [
        { statusDetail: 'late' },
        { resourceLocation: null },
        { lastActionDateTime: LAST + 1n },
        { status: 'running' },
        { status: 'notStarted' },
        { status: status === 'succeeded' ? 'failed' : 'succeeded' },
      ];
      for (const changes of attempts) {
        throwsKind(() => applyChanges(current, changes, () => NOW), 'conflict', `${status} + ${JSON.stringify(changes, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`);
      }
      // …but re-sending what it already holds is no change, so no conflict
      assert.equal(applyChanges(current, { status, statusDetail: current.statusDetail }, () => NOW), current);
    }
  });

  it('refuses moving the status backwards: conflict (409), with a 409 status code', () => {
    const error = (() => {
      try {
        applyChanges(operation({ status: 'running' }), { status: 'notStarted' }, () => NOW);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(error instanceof DomainError);
    assert.equal(fromDomainError(error).kind, 'conflict');
    assert.equal(fromDomainError(error).status, 409);
  });

  describe('every from/to pair, with the result the lifecycle dictates', () => {
    const rank: Record<OperationStatus, number> = { notStarted: 0, running: 1, succeeded: 2, failed: 2 };
    const terminal = (s: OperationStatus) => s === 'succeeded' || s === 'failed';
    for (const from of OPERATION_STATUSES) {
      for (const to of OPERATION_STATUSES) {
        const outcome = from === to ? 'unchanged' : !terminal(from) && rank[to] > rank[from] ? 'moved' : 'conflict';
        it(`${from} → ${to}: ${outcome}`, () => {
          const current = operation({ status: from });
          if (outcome === 'conflict') {
            throwsKind(() => applyChanges(current, { status: to }, () => NOW), 'conflict');
          } else if (outcome === 'unchanged') {
            assert.equal(applyChanges(current, { status: to }, () => NOW), current);
          } else {
            const next = applyChanges(current, { status: to }, () => NOW);
            assert.equal(next.status, to);
            assert.equal(next.lastActionDateTime, NOW);
          }
        });
      }
    }
  });

  it('reads a PATCH end to end: unknownFutureValue on a finished operation is no change, not a conflict', () => {
    const current = operation({ status: 'failed' });
    const next = applyChanges(current, readOperationInput({ status: 'unknownFutureValue', id: current.id }, current), () => NOW);
    assert.equal(next, current);
  });
});
