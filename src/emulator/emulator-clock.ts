import type { AdjustableClock } from '../operations/clock.js';
import { MAX_TICKS, TICKS_PER_SECOND, type Ticks } from '../operations/date-time-offset.js';
import { DomainError } from '../operations/domain-error.js';
import type { Store } from '../operations/ports/store.js';
import { formatIsoDuration } from './iso-duration.js';

/** The latest time the clock may be moved to: a year of room below DateTimeOffset's end (9999-12-31), for the dates made at the new time. */
export const LATEST_CLOCK_TIME: Ticks = MAX_TICKS - 366n * 24n * 3600n * TICKS_PER_SECOND;

/**
 * The emulator's clock (`--emulator-clock`): the service's clock moved forwards on request, and back to
 * system time only while no stored operation is dated by it. Per process, as the clock itself.
 */
export class EmulatorClock {
  constructor(
    private readonly clock: AdjustableClock,
    private readonly store: Pick<Store, 'statistics'>,
    /**
     * Runs once the clock has moved, either way: the steps that came due and the retention purge are
     * written, so a test need not wait for their next round, and figures computed at the old time go.
     */
    private readonly moved: () => Promise<void>,
  ) {}

  now(): Ticks {
    return this.clock.now();
  }

  /** How far ahead of system time the clock runs. */
  get offset(): Ticks {
    return this.clock.offset;
  }

  /** Forwards by `ticks` (at least 0). */
  async advanceBy(ticks: Ticks): Promise<void> {
    this.clock.advanceBy(ticks);
    await this.moved();
  }

  /** Forwards to `to`; a `to` already past leaves the clock as it is. */
  async advanceTo(to: Ticks): Promise<void> {
    this.clock.advanceTo(to);
    await this.moved();
  }

  /** Back to system time: a `conflict` while operations are stored, since every stored date may be past it. */
  async backToSystemTime(): Promise<void> {
    if (this.clock.offset === 0n) return;
    const stored = Object.values((await this.store.statistics()).operationsByStatus).reduce((sum, n) => sum + n, 0);
    if (stored > 0) {
      throw new DomainError(
        'conflict',
        `The clock runs ${formatIsoDuration(this.clock.offset)} ahead of system time and ${stored} stored operations are dated by it: ` +
          'going back would run their schedules and finish times backwards. Delete them first (POST /admin/reset), or restart the process.',
      );
    }
    this.clock.reset();
    await this.moved();
  }
}
