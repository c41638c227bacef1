import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatDateTimeOffset,
  MAX_TICKS,
  MIN_TICKS,
  parseDateTimeOffset,
  type Ticks,
} from '../../src/operations/date-time-offset.js';
import type { LongRunningOperation, OperationProperty, Owner } from '../../src/operations/long-running-operation.js';
import { OPERATION_PROPERTY_NAMES } from '../../src/operations/long-running-operation.js';
import { OPERATION_STATUSES, statusValue, type OperationStatus } from '../../src/operations/status.js';
import type { OrderKey, SortValue } from '../../src/operations/ports/operation-store.js';
import type { Store } from '../../src/operations/ports/store.js';
import { operationFilterContract } from './filter-contract.js';
import { freshStoreTest, newOperation } from './fresh-store.js';
import { retentionContract } from './retention-contract.js';
import { scheduleContract } from './schedule-contract.js';
import { statisticsContract } from './statistics-contract.js';
import { userDirectoryContract } from './user-directory-contract.js';

/**
 * The behaviour every store engine must share. Each engine's test file calls this with a factory that
 * answers a fresh, empty store; every test closes the store it opened.
 */
export function operationStoreContract(name: string, open: () => Promise<Store>): void {
  const test = freshStoreTest(open);
  operationFilterContract(name, open);
  retentionContract(name, open);
  scheduleContract(name, test);
  statisticsContract(name, test);
  userDirectoryContract(name, test);

  describe(`${name}: operations`, () => {
    describe('insert and get', () => {
      test('round-trips every field, with ticks past 2^53 at full 7-digit precision', async (store) => {
        const text = '2024-05-01T12:34:56.1234567Z';
        const created = ticks(text);
        const stored = operation('op-1', {
          createdDateTime: created,
          lastActionDateTime: created + 1n,
          status: 'running',
          statusDetail: 'copying “files” ✓',
          resourceLocation: 'https://example.test/drives/1',
          version: 7,
        });
        await store.operations.insert(ALICE, stored);
        const read = await store.operations.get(ALICE, 'op-1');
        assert.deepEqual(read, stored);
        assert.ok(created > BigInt(Number.MAX_SAFE_INTEGER));
        assert.equal(typeof read?.createdDateTime, 'bigint');
        assert.equal(formatDateTimeOffset(read!.createdDateTime), text);
        assert.equal(formatDateTimeOffset(read!.lastActionDateTime), '2024-05-01T12:34:56.1234568Z');
      });

      test('round-trips every status, null strings and the extreme dates', async (store) => {
        const stored = OPERATION_STATUSES.map((status, i) =>
          operation(`op-${i}`, {
            status,
            createdDateTime: i % 2 === 0 ? MIN_TICKS : MAX_TICKS,
            lastActionDateTime: MAX_TICKS,
            statusDetail: null,
            resourceLocation: null,
          }),
        );
        for (const op of stored) await store.operations.insert(ALICE, op);
        for (const op of stored) assert.deepEqual(await store.operations.get(ALICE, op.id), op);
      });

      test('get answers undefined for an id that was never stored', async (store) => {
        await store.operations.insert(ALICE, operation('op-1'));
        assert.equal(await store.operations.get(ALICE, 'op-2'), undefined);
        assert.equal(await store.operations.get(ALICE, 'OP-1'), undefined);
      });

      test('insert never overwrites an existing operation', async (store) => {
        const first = operation('op-1', { statusDetail: 'first' });
        await store.operations.insert(ALICE, first);
        await assert.rejects(store.operations.insert(ALICE, operation('op-1', { statusDetail: 'second' })));
        assert.deepEqual(await store.operations.get(ALICE, 'op-1'), first);
      });
    });

    describe('owners are kept apart', () => {
      const owners = [ALICE, BOB, ALICE_ELSEWHERE];
      const sharedFor = (owner: Owner) => operation('shared', { statusDetail: `${owner.tenantId}/${owner.userId}` });

      async function insertShared(store: Store): Promise<void> {
        for (const owner of owners) await store.operations.insert(owner, sharedFor(owner));
      }

      test('the same id under another user or tenant is another operation', async (store) => {
        await insertShared(store);
        for (const owner of owners) assert.deepEqual(await store.operations.get(owner, 'shared'), sharedFor(owner));
        assert.equal(await store.operations.get(STRANGER, 'shared'), undefined);
      });

      test('owner fields are not run together: (a, b:c) and (a:b, c) differ', async (store) => {
        const first = { tenantId: 'a', userId: 'b:c' };
        const second = { tenantId: 'a:b', userId: 'c' };
        await store.operations.insert(first, operation('op', { statusDetail: 'first' }));
        assert.equal(await store.operations.get(second, 'op'), undefined);
        await store.operations.insert(second, operation('op', { statusDetail: 'second' }));
        assert.equal((await store.operations.get(first, 'op'))?.statusDetail, 'first');
      });

      test('update touches only its owner', async (store) => {
        await insertShared(store);
        const updated = await store.operations.update(ALICE, { ...sharedFor(ALICE), statusDetail: 'changed' }, 1);
        assert.equal(updated?.statusDetail, 'changed');
        for (const owner of [BOB, ALICE_ELSEWHERE]) {
          assert.deepEqual(await store.operations.get(owner, 'shared'), sharedFor(owner));
        }
        assert.equal(await store.operations.update(STRANGER, sharedFor(STRANGER), 1), undefined);
        assert.equal(await store.operations.get(STRANGER, 'shared'), undefined);
      });

      test('delete touches only its owner', async (store) => {
        await insertShared(store);
        assert.equal(await store.operations.delete(STRANGER, 'shared'), false);
        assert.equal(await store.operations.delete(BOB, 'shared', 1), true);
        assert.equal(await store.operations.get(BOB, 'shared'), undefined);
        for (const owner of [ALICE, ALICE_ELSEWHERE]) {
          assert.deepEqual(await store.operations.get(owner, 'shared'), sharedFor(owner));
        }
      });

      test('list answers only its owner’s operations', async (store) => {
        await insertShared(store);
        await store.operations.insert(ALICE, operation('alice-only'));
        const list = (owner: Owner) => store.operations.list(owner, { orderBy: [], limit: 10 });
        assert.deepEqual(await list(ALICE), [operation('alice-only'), sharedFor(ALICE)]);
        assert.deepEqual(await list(BOB), [sharedFor(BOB)]);
        assert.deepEqual(await list(ALICE_ELSEWHERE), [sharedFor(ALICE_ELSEWHERE)]);
        assert.deepEqual(await list(STRANGER), []);
      });
    });

    describe('update', () => {
      const original = operation('op-1', { status: 'notStarted', statusDetail: 'queued', version: 1 });

      test('replaces the client fields and bumps the version, whatever version `next` claims', async (store) => {
        await store.operations.insert(ALICE, original);
        const next = {
          ...original,
          lastActionDateTime: original.lastActionDateTime + 5n,
          status: 'running' as const,
          statusDetail: null,
          resourceLocation: 'https://example.test/result',
          version: 42,
        };
        const updated = await store.operations.update(ALICE, next, 1);
        assert.deepEqual(updated, { ...next, version: 2 });
        assert.deepEqual(await store.operations.get(ALICE, 'op-1'), updated);
      });

      test('keeps the server-set creation date', async (store) => {
        await store.operations.insert(ALICE, original);
        const updated = await store.operations.update(ALICE, { ...original, createdDateTime: 1n }, 1);
        assert.equal(updated?.createdDateTime, original.createdDateTime);
      });

      test('only at the expected version; a stale or future version leaves the row unchanged', async (store) => {
        await store.operations.insert(ALICE, original);
        const first = await store.operations.update(ALICE, { ...original, statusDetail: 'first' }, 1);
        assert.equal(first?.version, 2);
        assert.equal(await store.operations.update(ALICE, { ...original, statusDetail: 'stale' }, 1), undefined);
        assert.equal(await store.operations.update(ALICE, { ...original, statusDetail: 'future' }, 3), undefined);
        assert.deepEqual(await store.operations.get(ALICE, 'op-1'), first);
        const second = await store.operations.update(ALICE, { ...original, statusDetail: 'second' }, 2);
        assert.equal(second?.version, 3);
        assert.equal(second?.statusDetail, 'second');
      });

      test('answers undefined for a missing operation and creates nothing', async (store) => {
        assert.equal(await store.operations.update(ALICE, original, 1), undefined);
        assert.equal(await store.operations.get(ALICE, 'op-1'), undefined);
      });

      for (const terminal of ['succeeded', 'failed'] as const) {
        test(`never changes a ${terminal} operation, even at the right version`, async (store) => {
          const done = { ...original, status: terminal, statusDetail: 'done' };
          await store.operations.insert(ALICE, done);
          assert.equal(await store.operations.update(ALICE, { ...done, statusDetail: 'reopened' }, 1), undefined);
          assert.equal(await store.operations.update(ALICE, { ...done, status: 'running' }, 1), undefined);
          assert.deepEqual(await store.operations.get(ALICE, 'op-1'), done);
        });

        test(`can finish an open operation as ${terminal}, after which it is frozen`, async (store) => {
          await store.operations.insert(ALICE, { ...original, status: 'running' });
          const finished = await store.operations.update(ALICE, { ...original, status: terminal }, 1);
          assert.equal(finished?.status, terminal);
          assert.equal(await store.operations.update(ALICE, { ...original, status: terminal, statusDetail: 'x' }, 2), undefined);
          assert.deepEqual(await store.operations.get(ALICE, 'op-1'), finished);
        });
      }
    });

    describe('delete', () => {
      test('without a version deletes the operation once', async (store) => {
        await store.operations.insert(ALICE, operation('op-1'));
        await store.operations.insert(ALICE, operation('op-2'));
        assert.equal(await store.operations.delete(ALICE, 'op-1'), true);
        assert.equal(await store.operations.get(ALICE, 'op-1'), undefined);
        assert.equal(await store.operations.delete(ALICE, 'op-1'), false);
        assert.deepEqual(await store.operations.get(ALICE, 'op-2'), operation('op-2'));
      });

      test('with a version deletes only at that version', async (store) => {
        const stored = operation('op-1', { version: 3 });
        await store.operations.insert(ALICE, stored);
        assert.equal(await store.operations.delete(ALICE, 'op-1', 2), false);
        assert.equal(await store.operations.delete(ALICE, 'op-1', 4), false);
        assert.deepEqual(await store.operations.get(ALICE, 'op-1'), stored);
        assert.equal(await store.operations.delete(ALICE, 'op-1', 3), true);
        assert.equal(await store.operations.get(ALICE, 'op-1'), undefined);
      });

      test('deletes a finished operation too', async (store) => {
        await store.operations.insert(ALICE, operation('op-1', { status: 'succeeded' }));
        assert.equal(await store.operations.delete(ALICE, 'op-1', 1), true);
        assert.equal(await store.operations.get(ALICE, 'op-1'), undefined);
      });
    });

    describe('list', () => {
      async function insertSample(store: Store): Promise<void> {
        for (const op of SAMPLE) await store.operations.insert(ALICE, op);
      }

      for (const property of OPERATION_PROPERTY_NAMES) {
        for (const descending of [false, true]) {
          const orderBy = [{ property, descending }];
          test(`orders by ${describeOrder(orderBy)}, ties broken by id`, async (store) => {
            await insertSample(store);
            const listed = await store.operations.list(ALICE, { orderBy, limit: 100 });
            assert.deepEqual(ids(listed), ids(sorted(SAMPLE, orderBy)));
          });
        }
      }

      it('the sample has ties and NULLs to break, so the ordering tests can fail', () => {
        for (const property of OPERATION_PROPERTY_NAMES.filter((p) => p !== 'id')) {
          const values = SAMPLE.map((op) => sortValue(op, property));
          assert.ok(new Set(values).size < values.length, `${property} has ties`);
        }
        for (const property of ['statusDetail', 'resourceLocation'] as const) {
          assert.ok(SAMPLE.some((op) => op[property] === null), `${property} has NULLs`);
        }
      });

      test('answers at most `limit` rows, the first ones in order', async (store) => {
        await insertSample(store);
        const orderBy = [{ property: 'lastActionDateTime', descending: true }] as const;
        const listed = await store.operations.list(ALICE, { orderBy, limit: 4 });
        assert.deepEqual(ids(listed), ids(sorted(SAMPLE, orderBy)).slice(0, 4));
      });

      const pagedOrders: OrderKey[][] = [
        [],
        [{ property: 'createdDateTime', descending: false }],
        [{ property: 'id', descending: true }],
        [{ property: 'statusDetail', descending: false }],
        [{ property: 'statusDetail', descending: true }],
        [{ property: 'resourceLocation', descending: true }, { property: 'createdDateTime', descending: false }],
        [{ property: 'status', descending: true }, { property: 'lastActionDateTime', descending: true }],
        [{ property: 'status', descending: false }, { property: 'statusDetail', descending: true }],
        [{ property: 'statusDetail', descending: false }, { property: 'resourceLocation', descending: true }],
        [{ property: 'status', descending: false }, { property: 'id', descending: true }, { property: 'statusDetail', descending: false }],
      ];
      for (const orderBy of pagedOrders) {
        test(`keyset pages by ${describeOrder(orderBy)} give every row once, in order`, async (store) => {
          await insertSample(store);
          const expected = ids(sorted(SAMPLE, orderBy));
          for (const limit of [1, 4, 5]) {
            assert.deepEqual(ids(await pageThrough(store, orderBy, limit)), expected, `pages of ${limit}`);
          }
        });
      }

      const growingOrders: OrderKey[][] = [
        [{ property: 'createdDateTime', descending: false }],
        [{ property: 'statusDetail', descending: true }],
      ];
      for (const orderBy of growingOrders) {
        test(`rows inserted between pages by ${describeOrder(orderBy)} show up only if they sort later`, async (store) => {
          await insertSample(store);
          const firstPage = await store.operations.list(ALICE, { orderBy, limit: 4 });
          const cursor = cursorOf(firstPage.at(-1)!, orderBy);
          const last = firstPage.at(-1)!;
          const newcomers = [
            operation('zz-latest', { createdDateTime: BASE + 1_000_000_000n, statusDetail: null }),
            operation('00-earliest', { createdDateTime: BASE - 1_000_000_000n, statusDetail: '~~~ highest' }),
            operation('00-tie-before', { createdDateTime: last.createdDateTime, statusDetail: last.statusDetail }),
            operation('zz-tie-after', { createdDateTime: last.createdDateTime, statusDetail: last.statusDetail }),
          ];
          for (const op of newcomers) await store.operations.insert(ALICE, op);

          const rest = await pageThrough(store, orderBy, 3, cursor);
          const all = [...SAMPLE, ...newcomers];
          const expectedRest = sorted(all, orderBy).filter((op) => compareToCursor(op, cursor, orderBy) > 0);
          assert.deepEqual(ids(rest), ids(expectedRest));
          const seen = [...ids(firstPage), ...ids(rest)];
          assert.equal(new Set(seen).size, seen.length, 'no row is listed twice');
          assert.ok(seen.includes('zz-latest') && seen.includes('zz-tie-after'), 'later rows are listed');
          assert.ok(!seen.includes('00-earliest') && !seen.includes('00-tie-before'), 'earlier rows are not');
        });
      }
    });
  });
}

const ALICE: Owner = { tenantId: 'tenant-1', userId: 'user-alice' };
const BOB: Owner = { tenantId: 'tenant-1', userId: 'user-bob' };
const ALICE_ELSEWHERE: Owner = { tenantId: 'tenant-2', userId: 'user-alice' };
const STRANGER: Owner = { tenantId: 'tenant-1', userId: 'user-nobody' };

function ticks(text: string): Ticks {
  const value = parseDateTimeOffset(text);
  assert.ok(value !== undefined, text);
  return value;
}

const BASE = ticks('2024-05-01T12:00:00.0000001Z');

function operation(id: string, fields: Partial<LongRunningOperation> = {}): LongRunningOperation {
  return newOperation(id, BASE, fields);
}

// Ids out of insertion order; every other column repeats values (ties) and the strings mix in NULLs.
const SAMPLE_IDS = ['m', 'c', 'x', 'a', 'q', 'f', 'z', 'b', 't', 'h', 'e', 'r', 'Zed', 'k'];
const DETAILS = [null, 'beta', 'Alpha', null, 'alpha', 'beta'];
const LOCATIONS = ['https://b.test/1', null, 'https://a.test/2', 'https://b.test/1', null];
const SAMPLE: readonly LongRunningOperation[] = SAMPLE_IDS.map((id, i) =>
  operation(id, {
    createdDateTime: BASE + BigInt(i % 3) * 10_000_000n + 1n,
    lastActionDateTime: BASE + BigInt((i * 7) % 5),
    status: OPERATION_STATUSES[i % 4] as OperationStatus,
    statusDetail: DETAILS[i % DETAILS.length] ?? null,
    resourceLocation: LOCATIONS[i % LOCATIONS.length] ?? null,
    version: 1 + (i % 2),
  }),
);

function ids(operations: readonly LongRunningOperation[]): string[] {
  return operations.map((op) => op.id);
}

function sortValue(op: LongRunningOperation, property: OperationProperty): SortValue {
  return property === 'status' ? statusValue(op.status) : op[property];
}

/** The order stores promise, written independently of any store: `id` appended, NULL the smallest value. */
function totalOrder(orderBy: readonly OrderKey[]): readonly OrderKey[] {
  return orderBy.some((key) => key.property === 'id') ? orderBy : [...orderBy, { property: 'id', descending: false }];
}

function compareValues(a: SortValue, b: SortValue): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

/** Compares a row with a cursor's values: positive when the row sorts after the cursor. */
function compareToCursor(op: LongRunningOperation, cursor: readonly SortValue[], orderBy: readonly OrderKey[]): number {
  for (const [i, key] of totalOrder(orderBy).entries()) {
    const order = compareValues(sortValue(op, key.property), cursor[i]!);
    if (order !== 0) return key.descending ? -order : order;
  }
  return 0;
}

function cursorOf(op: LongRunningOperation, orderBy: readonly OrderKey[]): SortValue[] {
  return totalOrder(orderBy).map((key) => sortValue(op, key.property));
}

function sorted(operations: readonly LongRunningOperation[], orderBy: readonly OrderKey[]): LongRunningOperation[] {
  return [...operations].sort((a, b) => compareToCursor(a, cursorOf(b, orderBy), orderBy));
}

function describeOrder(orderBy: readonly OrderKey[]): string {
  if (orderBy.length === 0) return '(default)';
  return orderBy.map((key) => `${key.property} ${key.descending ? 'desc' : 'asc'}`).join(', ');
}

/**
 * Follows keyset cursors until a short page; checks no page is longer than asked, and gives up after more
 * pages than the rows could fill, so a cursor that does not advance fails instead of looping forever.
 */
async function pageThrough(
  store: Store,
  orderBy: readonly OrderKey[],
  limit: number,
  after?: readonly SortValue[],
): Promise<LongRunningOperation[]> {
  const rows: LongRunningOperation[] = [];
  let cursor = after;
  for (let pages = 0; pages <= MAX_ROWS; pages++) {
    const page = await store.operations.list(ALICE, { orderBy, limit, ...(cursor && { after: cursor }) });
    assert.ok(page.length <= limit, `a page holds at most ${limit} rows`);
    rows.push(...page);
    if (page.length < limit) return rows;
    cursor = cursorOf(page.at(-1)!, orderBy);
  }
  assert.fail(`paging by ${describeOrder(orderBy)} did not end`);
}

/** More rows than any paging test stores. */
const MAX_ROWS = 100;
