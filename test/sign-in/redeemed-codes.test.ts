/**
 * Redeemed authorization codes are remembered for as long as the code could still be presented, and no
 * longer: on a real store, with the clock the rows are judged by under the test's control.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redeemedCodes } from '../../src/sign-in/redeemed-codes.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const TOLERANCE = 60;

describe('redeemed authorization codes', () => {
  it('claims a code once: the second claim of the same id is refused, another id is not', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    try {
      const codes = redeemedCodes(store.secrets, TOLERANCE, () => 1_000_000);
      assert.equal(await codes.claim('code-a', 1_600), true);
      assert.equal(await codes.claim('code-a', 1_600), false);
      assert.equal(await codes.claim('code-b', 1_600), true);
    } finally {
      await store.close();
    }
  });

  it('forgets a code once the issuer refuses it as expired (its exp plus the tolerance), not before', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    try {
      let now = 1_000_000; // ms
      const codes = redeemedCodes(store.secrets, TOLERANCE, () => now);
      assert.equal(await codes.claim('old', 1_600), true); // expires at 1,600 s, refused from 1,660 s
      now = 1_659_000;
      assert.equal(await codes.claim('new', 2_200), true);
      assert.equal(await codes.claim('old', 1_600), false, 'still presentable within the tolerance: remembered');
      now = 1_661_000;
      assert.equal(await codes.claim('newer', 2_300), true);
      // Removed: claiming it again finds no row (the issuer would have refused the code before asking).
      assert.equal(await codes.claim('old', 1_600), true, 'forgotten once refused anyway');
      assert.equal(await codes.claim('new', 2_200), false, 'a code still presentable stays remembered');
    } finally {
      await store.close();
    }
  });
});
