import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Filter } from '../../src/operations/filter.js';
import type { LongRunningOperation } from '../../src/operations/long-running-operation.js';
import { OperationService } from '../../src/operations/operation-service.js';
import { dependsOnSteps } from '../../src/operations/schedule.js';
import { statusValue } from '../../src/operations/status.js';
import type { OperationStore } from '../../src/operations/ports/operation-store.js';
import type { Store } from '../../src/operations/ports/store.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const SECOND = 10_000_000n; // ticks
const START = 17_000_000_000_000_000n;
const owner = { tenantId: 't', userId: 'u' };

const running: Filter = { kind: 'compare', op: 'eq', property: 'status', value: statusValue('running') };
const byId: Filter = { kind: 'compare', op: 'eq', property: 'id', value: 'x' };

describe('dependsOnSteps: whether due steps can change which rows a query answers, or their order', () => {
  it('no filter and an order on what steps never write: no', () => {
    assert.equal(dependsOnSteps({}), false);
    assert.equal(dependsOnSteps({ orderBy: [] }), false);
    assert.equal(dependsOnSteps({ orderBy: [{ property: 'createdDateTime', descending: true }, { property: 'id', descending: false }] }), false);
    assert.equal(dependsOnSteps({ filter: byId }), false);
  });

  it('a filter or an order on any property a step writes, however deep in the expression: yes', () => {
    for (const property of ['status', 'statusDetail', 'resourceLocation', 'lastActionDateTime'] as const) {
      assert.equal(dependsOnSteps({ orderBy: [{ property, descending: false }] }), true, property);
    }
    assert.equal(dependsOnSteps({ filter: running }), true);
    assert.equal(dependsOnSteps({ filter: { kind: 'and', left: byId, right: { kind: 'not', operand: running } } }), true);
    assert.equal(dependsOnSteps({ filter: { kind: 'or', left: byId, right: byId } }), false);
    assert.equal(dependsOnSteps({ filter: { kind: 'match', fn: 'contains', property: 'statusDetail', value: 'x' } }), true);
    assert.equal(dependsOnSteps({ filter: { kind: 'in', property: 'lastActionDateTime', values: [1n] } }), true);
  });
});

describe('listing scheduled operations', () => {
  let store: Store;
  let probes: number;
  let now: bigint;
  let service: OperationService;

  beforeEach(() => {
    store = openSqliteStore({ path: ':memory:' });
    probes = 0;
    now = START;
    // Counts the store's probes for due steps: the listing's extra query when it has to look beyond its page.
    const operations: OperationStore = Object.create(store.operations, {
      listDue: { value: (...args: Parameters<OperationStore['listDue']>) => ((probes += 1), store.operations.listDue(...args)) },
    });
    service = new OperationService(operations, { now: () => now });
  });
  afterEach(() => store.close());

  /** Three operations due to run at +1 s and finish at +2 s, created a second apart. */
  async function scheduled(): Promise<LongRunningOperation[]> {
    const ops: LongRunningOperation[] = [];
    for (let i = 0; i < 3; i++) {
      const op: LongRunningOperation = {
        id: `op-${i}`,
        createdDateTime: START + BigInt(i),
        lastActionDateTime: START + BigInt(i),
        status: 'notStarted',
        statusDetail: null,
        resourceLocation: null,
        version: 1,
        finishedAt: null,
        schedule: { runAt: START + SECOND, finishAt: START + 2n * SECOND, outcome: 'succeeded', detail: 'done', resourceLocation: null },
      };
      await store.operations.insert(owner, op);
      ops.push(op);
    }
    return ops;
  }

  it('without a filter on what steps write: no probe, and every row of the page comes advanced, page after page', async () => {
    await scheduled();
    now = START + 3n * SECOND;
    const first = await service.list(owner, { orderBy: [], limit: 2 });
    assert.deepEqual(first.items.map((op) => [op.id, op.status, op.statusDetail, op.version]), [
      ['op-0', 'succeeded', 'done', 2],
      ['op-1', 'succeeded', 'done', 2],
    ]);
    assert.ok(first.next, 'a next page');
    const second = await service.list(owner, { orderBy: [], limit: 2, after: first.next });
    assert.deepEqual(second.items.map((op) => [op.id, op.status]), [['op-2', 'succeeded']]);
    assert.equal(second.next, undefined);
    assert.equal(probes, 0);
    assert.equal((await store.operations.get(owner, 'op-2'))?.status, 'succeeded', 'the step is written, not only shown');
    assert.equal(await service.count(owner), 3);
    assert.equal(probes, 0, '$count without a filter needs no probe either');
  });

  it('a row not yet due is left as it is', async () => {
    await scheduled();
    now = START + SECOND; // running from now, finishing at +2 s
    const page = await service.list(owner, { orderBy: [], limit: 10 });
    assert.deepEqual(page.items.map((op) => [op.status, op.version]), [
      ['running', 2],
      ['running', 2],
      ['running', 2],
    ]);
    now = START + SECOND + 1n;
    const again = await service.list(owner, { orderBy: [], limit: 10 });
    assert.deepEqual(again.items.map((op) => op.version), [2, 2, 2], 'nothing new was due: nothing written');
  });

  it('a filter or an order on what steps write: every due step first, so rows outside the page are found', async () => {
    await scheduled();
    now = START + 3n * SECOND;
    const succeeded: Filter = { kind: 'compare', op: 'eq', property: 'status', value: statusValue('succeeded') };
    const page = await service.list(owner, { filter: succeeded, orderBy: [], limit: 10 });
    assert.deepEqual(page.items.map((op) => op.id), ['op-0', 'op-1', 'op-2']);
    assert.equal(probes, 1);
    assert.equal(await service.count(owner, running), 0);
    const ordered = await service.list(owner, { orderBy: [{ property: 'lastActionDateTime', descending: true }], limit: 10 });
    assert.equal(ordered.items.length, 3);
    assert.equal(probes, 3);
  });

  it('a row deleted between the read and its step is left out of the page', async () => {
    await scheduled();
    now = START + 3n * SECOND;
    const operations: OperationStore = Object.create(store.operations, {
      update: {
        value: async (...args: Parameters<OperationStore['update']>) => {
          if (args[1].id === 'op-1') {
            await store.operations.delete(owner, 'op-1');
          }
          return store.operations.update(...args);
        },
      },
    });
    const racing = new OperationService(operations, { now: () => now });
    const page = await racing.list(owner, { orderBy: [], limit: 10 });
    assert.deepEqual(page.items.map((op) => op.id), ['op-0', 'op-2']);
  });
});
