import { it } from 'node:test';
import type { LongRunningOperation } from '../../src/operations/long-running-operation.js';
import type { Store } from '../../src/operations/ports/store.js';

/** Registers a test that runs `body` on a fresh store and closes it after (the contract's own `test`). */
export type StoreTest = (title: string, body: (store: Store) => Promise<void>) => void;

/** The `test` of a contract: each test on a fresh store from `open`, closed after it whatever the outcome. */
export function freshStoreTest(open: () => Promise<Store>): StoreTest {
  return (title, body) => {
    it(title, async () => {
      const store = await open();
      try {
        await body(store);
      } finally {
        await store.close();
      }
    });
  };
}

/** An operation as created at `at` (notStarted, nothing set, version 1), with `fields` over it: for inserting. */
export function newOperation(id: string, at: bigint, fields: Partial<LongRunningOperation> = {}): LongRunningOperation {
  return {
    id,
    createdDateTime: at,
    lastActionDateTime: at,
    status: 'notStarted',
    statusDetail: null,
    resourceLocation: null,
    version: 1,
    finishedAt: null,
    ...fields,
  };
}
