import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LongRunningOperation, Owner } from '../../src/operations/long-running-operation.js';
import type { Store } from '../../src/operations/ports/store.js';

/** Retention purges and the secret store, for every engine. */
export function retentionContract(name: string, open: () => Promise<Store>): void {
  describe(`${name}: retention and secrets`, () => {
    const T = 17_000_000_000_000_000n;
    const A: Owner = { tenantId: 't1', userId: 'a' };
    const B: Owner = { tenantId: 't2', userId: 'b' };
    const op = (id: string, status: LongRunningOperation['status'], finishedAt: bigint | null): LongRunningOperation => ({
      id,
      createdDateTime: T,
      lastActionDateTime: T,
      status,
      statusDetail: null,
      resourceLocation: null,
      version: 1,
      finishedAt,
    });

    it('keeps finishedAt exactly, and an update writes it', async () => {
      const store = await open();
      try {
        await store.operations.insert(A, op('done', 'failed', T + 123_456_789n));
        assert.equal((await store.operations.get(A, 'done'))?.finishedAt, T + 123_456_789n);
        await store.operations.insert(A, op('open', 'running', null));
        const next = { ...op('open', 'succeeded', T + 5n), version: 1 };
        assert.equal((await store.operations.update(A, next, 1))?.finishedAt, T + 5n);
      } finally {
        await store.close();
      }
    });

    it('purges only finished operations older than the cut-off, across owners, in batches', async () => {
      const store = await open();
      try {
        for (let i = 0; i < 7; i++) await store.operations.insert(i % 2 ? A : B, op(`old-${i}`, 'succeeded', T + BigInt(i)));
        await store.operations.insert(A, op('recent', 'failed', T + 1_000n));
        await store.operations.insert(A, op('running', 'running', null));
        await store.operations.insert(B, op('at-cut-off', 'succeeded', T + 100n));
        assert.equal(await store.operations.purgeFinished(T + 100n, 3), 3, 'a batch is at most the limit');
        assert.equal(await store.operations.purgeFinished(T + 100n, 3), 3);
        assert.equal(await store.operations.purgeFinished(T + 100n, 3), 1);
        assert.equal(await store.operations.purgeFinished(T + 100n, 3), 0);
        for (const [owner, id] of [[A, 'recent'], [A, 'running'], [B, 'at-cut-off']] as const) {
          assert.ok(await store.operations.get(owner, id), `${id} is kept`);
        }
        for (let i = 0; i < 7; i++) assert.equal(await store.operations.get(i % 2 ? A : B, `old-${i}`), undefined);
      } finally {
        await store.close();
      }
    });

    it('secrets: the first value written under a name wins, and is answered to every later writer', async () => {
      const store = await open();
      try {
        assert.equal(await store.secrets.putIfAbsent('key', 'first'), 'first');
        assert.equal(await store.secrets.putIfAbsent('key', 'second'), 'first');
        const racers = await Promise.all(['x', 'y', 'z'].map((v) => store.secrets.putIfAbsent('race', v)));
        assert.equal(new Set(racers).size, 1, 'every racer sees the same winner');
      } finally {
        await store.close();
      }
    });

    it('secrets: a range of names is removed, from its first name up to (not including) its last, bytewise', async () => {
      const store = await open();
      try {
        for (const name of ['code:0005:a', 'code:0009:b', 'code:0010:c', 'code:0011:d', 'code;', 'Code:0001', 'dev-signing-key']) {
          await store.secrets.putIfAbsent(name, `value of ${name}`);
        }
        assert.equal(await store.secrets.removeRange('code:', 'code:0010'), 2);
        assert.equal(await store.secrets.removeRange('code:', 'code:0010'), 0, 'nothing left in it');
        // What is left keeps its first value: a put under a removed name stores the new one.
        for (const name of ['code:0010:c', 'code:0011:d', 'code;', 'Code:0001', 'dev-signing-key']) {
          assert.equal(await store.secrets.putIfAbsent(name, 'new'), `value of ${name}`, name);
        }
        assert.equal(await store.secrets.putIfAbsent('code:0005:a', 'new'), 'new');
      } finally {
        await store.close();
      }
    });
  });
}
