import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CompareOp, Filter, FilterValue, MatchFn, StringProperty } from '../../src/operations/filter.js';
import type { LongRunningOperation, OperationProperty, Owner } from '../../src/operations/long-running-operation.js';
import { statusValue, type OperationStatus } from '../../src/operations/status.js';
import type { Store } from '../../src/operations/ports/store.js';
import { seededRandom, type SeededRandom } from '../fixtures/seeded-random.js';

/**
 * `$filter`, `$skip` and counting, for every engine: the store's answer must equal a reference evaluator
 * of OData's semantics over the same rows, for hand-picked and for many random expressions.
 */
export function operationFilterContract(name: string, open: () => Promise<Store>): void {
  describe(`${name}: filter and count`, () => {
    async function seeded(): Promise<Store> {
      const store = await open();
      for (const op of ROWS) await store.operations.insert(OWNER, op);
      await store.operations.insert(OTHER, ROWS[0]!); // another user's row never matches
      return store;
    }

    async function check(store: Store, filter: Filter): Promise<void> {
      const expected = ROWS.filter((op) => matches(op, filter)).map((op) => op.id).sort();
      const listed = await store.operations.list(OWNER, { filter, orderBy: [{ property: 'id', descending: false }], limit: 1000 });
      assert.deepEqual(listed.map((op) => op.id), expected, JSON.stringify(filter, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)));
      assert.equal(await store.operations.count(OWNER, filter), expected.length);
    }

    it('hand-picked expressions, with OData null semantics', async () => {
      const store = await seeded();
      try {
        for (const filter of HAND_PICKED) await check(store, filter);
      } finally {
        await store.close();
      }
    });

    it('1,000 random expressions agree with the reference evaluator', async () => {
      const store = await seeded();
      const random = seededRandom(20261130n);
      try {
        for (let i = 0; i < 1000; i++) await check(store, randomFilter(random, 3));
      } finally {
        await store.close();
      }
    });

    it('count without a filter counts only the owner’s rows; skip passes over rows in order', async () => {
      const store = await seeded();
      try {
        assert.equal(await store.operations.count(OWNER), ROWS.length);
        assert.equal(await store.operations.count({ tenantId: 't', userId: 'nobody' }), 0);
        const orderBy = [{ property: 'id' as const, descending: true }];
        const all = await store.operations.list(OWNER, { orderBy, limit: 100 });
        const skipped = await store.operations.list(OWNER, { orderBy, limit: 3, skip: 2 });
        assert.deepEqual(skipped.map((o) => o.id), all.slice(2, 5).map((o) => o.id));
      } finally {
        await store.close();
      }
    });
  });
}

const OWNER: Owner = { tenantId: 'tenant-f', userId: 'user-f' };
const OTHER: Owner = { tenantId: 'tenant-f', userId: 'user-g' };
const T0 = 17_000_000_000_000_000n;
const STATUSES: OperationStatus[] = ['notStarted', 'running', 'succeeded', 'failed'];
const DETAILS = [null, 'Copying files', 'Copying mail', 'copying', '', "it's done", '100%_done', null];
const LOCATIONS = [null, 'https://a.test/x', 'https://b.test/files', 'https://a.test/x', null, 'x'];

const ROWS: LongRunningOperation[] = Array.from({ length: 24 }, (_, i) => ({
  id: `op-${String(i).padStart(2, '0')}`,
  createdDateTime: T0 + BigInt(i % 5) * 10_000_000n,
  lastActionDateTime: T0 + BigInt((i * 7) % 11) * 1n,
  status: STATUSES[i % 4]!,
  statusDetail: DETAILS[i % DETAILS.length]!,
  resourceLocation: LOCATIONS[i % LOCATIONS.length]!,
  version: 1,
  finishedAt: null,
}));

const HAND_PICKED: Filter[] = [
  { kind: 'compare', op: 'eq', property: 'statusDetail', value: null },
  { kind: 'compare', op: 'ne', property: 'statusDetail', value: null },
  { kind: 'compare', op: 'ne', property: 'statusDetail', value: 'Copying files' },
  { kind: 'not', operand: { kind: 'compare', op: 'eq', property: 'statusDetail', value: 'Copying files' } },
  { kind: 'compare', op: 'gt', property: 'statusDetail', value: null },
  { kind: 'not', operand: { kind: 'compare', op: 'gt', property: 'resourceLocation', value: 'https://a.test/x' } },
  { kind: 'in', property: 'statusDetail', values: ['copying', null] },
  { kind: 'match', fn: 'startswith', property: 'statusDetail', value: 'Copying' },
  { kind: 'match', fn: 'endswith', property: 'resourceLocation', value: '/files' },
  { kind: 'match', fn: 'contains', property: 'statusDetail', value: '%_' },
  { kind: 'match', fn: 'contains', property: 'statusDetail', value: "'" },
  { kind: 'match', fn: 'startswith', property: 'statusDetail', value: '' },
  { kind: 'match', fn: 'endswith', property: 'id', value: '3' },
  { kind: 'not', operand: { kind: 'match', fn: 'contains', property: 'resourceLocation', value: 'a.test' } },
  { kind: 'compare', op: 'ge', property: 'lastActionDateTime', value: T0 + 5n },
  { kind: 'compare', op: 'lt', property: 'status', value: statusValue('succeeded') },
  { kind: 'compare', op: 'eq', property: 'status', value: 4 },
  {
    kind: 'or',
    left: { kind: 'compare', op: 'eq', property: 'status', value: statusValue('failed') },
    right: { kind: 'and', left: { kind: 'compare', op: 'le', property: 'createdDateTime', value: T0 }, right: { kind: 'compare', op: 'ne', property: 'resourceLocation', value: 'x' } },
  },
];

/** OData's semantics: eq/ne compare nulls as values; any other comparison that meets a null is false. */
function matches(op: LongRunningOperation, filter: Filter): boolean {
  switch (filter.kind) {
    case 'and':
      return matches(op, filter.left) && matches(op, filter.right);
    case 'or':
      return matches(op, filter.left) || matches(op, filter.right);
    case 'not':
      return !matches(op, filter.operand);
    case 'compare':
      return compare(valueOf(op, filter.property), filter.op, filter.value);
    case 'in':
      return filter.values.some((v) => compare(valueOf(op, filter.property), 'eq', v));
    case 'match': {
      const value = op[filter.property];
      if (value === null) return false;
      return filter.fn === 'startswith' ? value.startsWith(filter.value) : filter.fn === 'endswith' ? value.endsWith(filter.value) : value.includes(filter.value);
    }
  }
}

function valueOf(op: LongRunningOperation, property: OperationProperty): FilterValue {
  return property === 'status' ? statusValue(op.status) : op[property];
}

function compare(a: FilterValue, op: CompareOp, b: FilterValue): boolean {
  if (op === 'eq') return a === b;
  if (op === 'ne') return a !== b;
  if (a === null || b === null) return false;
  const c = a < b ? -1 : a > b ? 1 : 0;
  return op === 'gt' ? c > 0 : op === 'ge' ? c >= 0 : op === 'lt' ? c < 0 : c <= 0;
}

/** True with the given probability, in percent. */
function chance(random: SeededRandom, percent: number): boolean {
  return random.int(100) < percent;
}

const OPS: CompareOp[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'];
const STRING_PROPERTIES: StringProperty[] = ['id', 'statusDetail', 'resourceLocation'];

function randomLeaf(random: SeededRandom): Filter {
  const property = random.pick(['id', 'createdDateTime', 'lastActionDateTime', 'status', 'statusDetail', 'resourceLocation'] as const);
  const value = (): FilterValue => {
    if (chance(random, 15) && property !== 'id') return null;
    switch (property) {
      case 'id':
        return random.pick(ROWS).id;
      case 'createdDateTime':
      case 'lastActionDateTime':
        return valueOf(random.pick(ROWS), property) as bigint;
      case 'status':
        return random.int(5);
      default:
        return random.pick(property === 'statusDetail' ? DETAILS : LOCATIONS);
    }
  };
  const shape = random.int(100);
  if (shape < 15) return { kind: 'in', property, values: [value(), value()] };
  if (shape < 35) {
    const fn = random.pick<MatchFn>(['startswith', 'endswith', 'contains']);
    return { kind: 'match', fn, property: random.pick(STRING_PROPERTIES), value: random.pick(['Copying', 'files', '', 'a.test', 'op-1', "'", '%']) };
  }
  return { kind: 'compare', op: random.pick(OPS), property, value: value() };
}

function randomFilter(random: SeededRandom, depth: number): Filter {
  if (depth === 0 || chance(random, 35)) return randomLeaf(random);
  const shape = random.int(100);
  if (shape < 20) return { kind: 'not', operand: randomFilter(random, depth - 1) };
  return { kind: shape < 60 ? 'and' : 'or', left: randomFilter(random, depth - 1), right: randomFilter(random, depth - 1) };
}
