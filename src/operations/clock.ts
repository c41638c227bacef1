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

/**
 * The emulator's clock: a base clock plus an offset that only the admin API changes, and only forwards,
 * so that schedules, finish times and retention never see time run backwards. Per process: every
 * instance on one database has its own.
 */
export class AdjustableClock implements Clock {
  #offset: Ticks = 0n;

  constructor(private readonly base: Clock) {}

  now(): Ticks {
    return this.base.now() + this.#offset;
  }

  /** How far ahead of the base clock this one runs. */
  get offset(): Ticks {
    return this.#offset;
  }

  /** Moves time forwards by `ticks` (at least 0). */
  advanceBy(ticks: Ticks): void {
    if (ticks < 0n) throw new RangeError('the clock only moves forwards');
    this.#offset += ticks;
  }

  /** Moves time forwards to `to`; a `to` already past leaves the clock as it is. */
  advanceTo(to: Ticks): void {
    const ahead = to - this.now();
    if (ahead > 0n) this.#offset += ahead;
  }

  /** Back to the base clock: only safe when nothing was dated by the offset, which the caller checks. */
  reset(): void {
    this.#offset = 0n;
  }
}
