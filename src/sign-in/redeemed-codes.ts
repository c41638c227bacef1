import { randomUUID } from 'node:crypto';
import type { SecretStore } from '../operations/ports/store.js';
import type { SingleUse } from './ports.js';

const PREFIX = 'redeemed-authorization-code:';

/**
 * Redeemed authorization codes, in the store's secrets so that a code is redeemed once across every
 * instance: the first writer of a name wins, so whoever reads back its own random value was first.
 *
 * A name leads with its code's expiry, zero-padded so that names sort by it. Once the issuer refuses a code
 * as expired (its `exp` plus the issuer's clock tolerance), its row is no longer needed, and every
 * redemption removes the rows of the codes that have gone so: a long-lived server keeps one row per code
 * that could still be presented, not one per sign-in it ever saw.
 */
export function redeemedCodes(secrets: SecretStore, toleranceSeconds: number, nowMs: () => number = Date.now): SingleUse {
  return {
    async claim(id, expiresAt) {
      const mine = randomUUID();
      const first = (await secrets.putIfAbsent(`${nameAt(expiresAt)}:${id}`, mine)) === mine;
      await secrets.removeRange(PREFIX, nameAt(nowMs() / 1000 - toleranceSeconds));
      return first;
    },
  };
}

/** The names of codes that expire before `seconds` sort before this one. */
function nameAt(seconds: number): string {
  return `${PREFIX}${String(Math.max(0, Math.floor(seconds))).padStart(12, '0')}`;
}
