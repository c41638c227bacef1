import type { Clock } from './clock.js';
import type { Ticks } from './date-time-offset.js';
import type { Store } from './ports/store.js';
import { advanceEveryDue } from './schedule.js';

export interface RetentionOptions {
  /** How long a finished operation stays readable (Graph promises at least 24 hours). */
  readonly retention: Ticks;
  /** Rows deleted per statement: small, so a purge never holds locks or the WAL for long. */
  readonly batchSize?: number;
  /** Batches per run at most, so one run is bounded even after a long outage; the next run goes on. */
  readonly maxBatches?: number;
}

/**
 * Deletes operations that finished longer ago than the retention period. Every instance may run it at
 * once: the deletes are idempotent, so they only share the work. A scheduled operation that nobody read
 * after it was due is finished first (dated by its schedule), so it is purged like any other.
 */
export class RetentionPurger {
  private readonly batchSize: number;
  private readonly maxBatches: number;

  constructor(
    private readonly store: Pick<Store, 'operations' | 'admin'>,
    private readonly clock: Clock,
    private readonly options: RetentionOptions,
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.maxBatches = options.maxBatches ?? 100;
  }

  /** One run: batches until none is full (or the run's bound); answers how many operations went. */
  async runOnce(): Promise<number> {
    const now = this.clock.now();
    await advanceEveryDue(this.store.admin, this.store.operations, now);
    const before = now - this.options.retention;
    let purged = 0;
    for (let batch = 0; batch < this.maxBatches; batch++) {
      const deleted = await this.store.operations.purgeFinished(before, this.batchSize);
      purged += deleted;
      if (deleted < this.batchSize) break;
    }
    return purged;
  }
}
