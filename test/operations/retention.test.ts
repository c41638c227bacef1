import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OperationService } from '../../src/operations/operation-service.js';
import { parseDuration, parseRateLimit } from '../../src/config.js';
import { RetentionPurger } from '../../src/operations/retention.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const HOUR = 36_000_000_000n; // ticks

describe('retention', () => {
  it('purges finished operations once the retention period has passed since they finished, not before', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    let now = 17_000_000_000_000_000n;
    const clock = { now: () => now };
    const service = new OperationService(store.operations, clock);
    const owner = { tenantId: 't', userId: 'u' };
    try {
      const finished = await service.create(owner, { status: 'running' });
      // the client dates its last action years back: retention still counts from the server's finish
      await service.update(owner, finished.id, { status: 'succeeded', lastActionDateTime: '2001-01-01T00:00:00Z' });
      const open = await service.create(owner, { status: 'running' });
      const purger = new RetentionPurger(store, clock, { retention: 24n * HOUR, batchSize: 1 });
      now += 23n * HOUR;
      assert.equal(await purger.runOnce(), 0, 'kept for the whole period');
      now += 2n * HOUR;
      assert.equal(await purger.runOnce(), 1);
      assert.equal(await store.operations.get(owner, finished.id), undefined);
      assert.ok(await store.operations.get(owner, open.id), 'an unfinished operation is never purged');
    } finally {
      await store.close();
    }
  });

  it('purges a scheduled operation that nobody read after it was due, counting from its scheduled finish', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    let now = 17_000_000_000_000_000n;
    const owner = { tenantId: 't', userId: 'u' };
    try {
      const finishAt = now + HOUR;
      await store.operations.insert(owner, {
        id: 'forgotten-reset',
        createdDateTime: now,
        lastActionDateTime: now,
        status: 'notStarted',
        statusDetail: null,
        resourceLocation: null,
        version: 1,
        finishedAt: null,
        schedule: { runAt: now + 1n, finishAt, outcome: 'succeeded', detail: 'ResetSuccess', resourceLocation: null },
      });
      const purger = new RetentionPurger(store, { now: () => now }, { retention: 24n * HOUR });
      now = finishAt + 23n * HOUR;
      assert.equal(await purger.runOnce(), 0, 'kept for the whole period after its scheduled finish');
      assert.equal((await store.operations.get(owner, 'forgotten-reset'))?.finishedAt, finishAt, 'finished as scheduled, not when noticed');
      now = finishAt + 25n * HOUR;
      assert.equal(await purger.runOnce(), 1);
      assert.equal(await store.operations.get(owner, 'forgotten-reset'), undefined);
    } finally {
      await store.close();
    }
  });

  it('runs in bounded batches', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    let now = 17_000_000_000_000_000n;
    const service = new OperationService(store.operations, { now: () => now });
    try {
      for (let i = 0; i < 25; i++) await service.create({ tenantId: 't', userId: `u${i % 3}` }, { status: 'failed' });
      now += 48n * HOUR;
      const purger = new RetentionPurger(store, { now: () => now }, { retention: HOUR, batchSize: 4, maxBatches: 3 });
      assert.equal(await purger.runOnce(), 12, 'three batches of four, then the run stops');
      assert.equal(await purger.runOnce(), 12);
      assert.equal(await purger.runOnce(), 1);
      assert.equal(await purger.runOnce(), 0);
    } finally {
      await store.close();
    }
  });

  it('reads rate limits', () => {
    assert.deepEqual(parseRateLimit('600/1m'), { max: 600, windowSeconds: 60 });
    assert.deepEqual(parseRateLimit('50/10s'), { max: 50, windowSeconds: 10 });
    for (const bad of ['', '600', '0/1m', '600/0s', '600/m', 'x/1m', '-5/1m']) assert.equal(parseRateLimit(bad), undefined, bad);
  });

  it('reads durations', () => {
    assert.equal(parseDuration('24h'), 86_400);
    assert.equal(parseDuration('90s'), 90);
    assert.equal(parseDuration('7d'), 604_800);
    for (const bad of ['', '24', 'h', '1.5h', '-1h', '24 hours']) assert.equal(parseDuration(bad), undefined, bad);
  });
});
