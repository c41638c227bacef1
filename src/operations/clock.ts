import type { Ticks } from './date-time-offset.js';

/** Where "now" comes from, so that tests (and later the emulator) can control time. */
export interface Clock {
  now(): Ticks;
}

/**
 * The system clock at 100 ns resolution. `Date.now()` has only milliseconds, so the wall-clock time is
 * read once and the monotonic high-resolution timer measures from there; it is re-anchored every minute
 * so that it follows adjustments of the system clock.
 */
export function systemClock(): Clock {
  const REANCHOR_NS = 60_000_000_000n;
  let anchorNs = 0n;
  let anchorHr = -REANCHOR_NS;
  return {
    now() {
      const hr = process.hrtime.bigint();
      if (hr - anchorHr >= REANCHOR_NS) {
        anchorNs = BigInt(Date.now()) * 1_000_000n;
        anchorHr = hr;
      }
      return (anchorNs + (hr - anchorHr)) / 100n;
    },
  };
}
