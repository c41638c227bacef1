import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Statistics } from '../../src/operations/overview.js';
import { MAX_CACHED_PARAMETER_SETS, StatisticsCache } from '../../src/operations/statistics-cache.js';

/** A cache on a hand-moved clock of milliseconds, over a computation that counts its calls and can be held. */
function cacheUnderTest(maxAgeMs = 5_000) {
  const time = { ms: 0 };
  const calls: string[] = [];
  let hold: Promise<void> | undefined;
  let fail = false;
  const cache = new StatisticsCache(
    async (bucketSeconds, buckets) => {
      calls.push(`${bucketSeconds}/${buckets}`);
      const computedAt = BigInt(time.ms); // the answer's `now`: when it was computed
      await hold;
      if (fail) throw new Error('the database is down');
      return { now: computedAt, byStatus: {} as Statistics['byStatus'], timeline: [] };
    },
    { maxAgeMs, now: () => time.ms },
  );
  return {
    cache,
    time,
    calls,
    /** Computations started from now wait until the answered function is called. */
    holdNext(): () => void {
      let release!: () => void;
      hold = new Promise((resolve) => (release = resolve));
      return () => {
        hold = undefined;
        release();
      };
    },
    failNext(failing: boolean) {
      fail = failing;
    },
  };
}

describe('the statistics cache', () => {
  it('answers every poll within the period from one computation, then computes again', async () => {
    const { cache, time, calls } = cacheUnderTest(5_000);
    const first = await cache.get(60, 30);
    time.ms = 4_999;
    assert.equal(await cache.get(60, 30), first);
    assert.deepEqual(calls, ['60/30']);
    time.ms = 5_000;
    const second = await cache.get(60, 30);
    assert.deepEqual(calls, ['60/30', '60/30'], 'computed again once the period is over');
    assert.equal(second.now, 5_000n, 'the figures carry the time they were computed at');
    assert.equal(first.now, 0n);
  });

  it('polls that come while a computation runs share it, even past the period', async () => {
    const { cache, time, calls, holdNext } = cacheUnderTest(1_000);
    const release = holdNext();
    const polls = [cache.get(60, 30), cache.get(60, 30)];
    time.ms = 10_000; // slower than the period: still one computation in flight at a time
    polls.push(cache.get(60, 30));
    release();
    const answers = await Promise.all(polls);
    assert.deepEqual(calls, ['60/30']);
    assert.ok(answers.every((answer) => answer === answers[0]));
  });

  it('each parameter set has its own figures', async () => {
    const { cache, calls } = cacheUnderTest();
    await cache.get(60, 30);
    await cache.get(600, 36);
    await cache.get(60, 36);
    await cache.get(600, 36);
    await cache.get(60, 30);
    assert.deepEqual(calls, ['60/30', '600/36', '60/36']);
  });

  it(`keeps at most ${MAX_CACHED_PARAMETER_SETS} parameter sets; the one computed longest ago goes first`, async () => {
    const { cache, calls } = cacheUnderTest();
    for (let buckets = 1; buckets <= MAX_CACHED_PARAMETER_SETS + 1; buckets++) await cache.get(60, buckets);
    assert.equal(calls.length, MAX_CACHED_PARAMETER_SETS + 1);
    await cache.get(60, MAX_CACHED_PARAMETER_SETS + 1);
    await cache.get(60, 2);
    assert.equal(calls.length, MAX_CACHED_PARAMETER_SETS + 1, 'the others are still kept');
    await cache.get(60, 1);
    assert.deepEqual(calls.slice(MAX_CACHED_PARAMETER_SETS + 1), ['60/1'], 'the first was dropped to make room');
  });

  it('invalidate drops every figure: the next poll computes, a computation in flight answers only the polls before', async () => {
    const { cache, time, calls, holdNext } = cacheUnderTest();
    await cache.get(60, 30);
    await cache.get(600, 36);
    cache.invalidate();
    await cache.get(60, 30);
    await cache.get(600, 36);
    assert.deepEqual(calls, ['60/30', '600/36', '60/30', '600/36']);

    const release = holdNext();
    time.ms = 1;
    const before = cache.get(60, 1);
    cache.invalidate();
    release();
    time.ms = 2;
    const after = await cache.get(60, 1);
    assert.equal((await before).now, 1n);
    assert.equal(after.now, 2n, 'computed after the invalidation');
    assert.equal(await cache.get(60, 1), after, 'and it is the one kept');
  });

  it('a failed computation fails the polls that shared it, and the next poll tries again', async () => {
    const { cache, calls, holdNext, failNext } = cacheUnderTest();
    failNext(true);
    const release = holdNext();
    const polls = [cache.get(60, 30), cache.get(60, 30)];
    release();
    for (const poll of polls) await assert.rejects(poll, /database is down/);
    failNext(false);
    assert.equal((await cache.get(60, 30)).now, 0n);
    assert.deepEqual(calls, ['60/30', '60/30']);
  });
});
