import type { OperationStore } from '../store/store.js';
import type { Clock } from './clock.js';
import type { Ticks } from './date-time-offset.js';

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
 * once: the deletes are idempotent, so they only share the work.
 */
export class RetentionPurger {
  private readonly batchSize: number;
  private readonly maxBatches: number;

  constructor(
    private readonly store: OperationStore,
    private readonly clock: Clock,
    private readonly options: RetentionOptions,
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.maxBatches = options.maxBatches ?? 100;
  }

  /** One run: batches until none is full (or the run's bound); answers how many operations went. */
  async runOnce(): Promise<number> {
    const before = this.clock.now() - this.options.retention;
    let purged = 0;
    for (let batch = 0; batch < this.maxBatches; batch++) {
      const deleted = await this.store.purgeFinished(before, this.batchSize);
      purged += deleted;
      if (deleted < this.batchSize) break;
    }
    return purged;
  }
}
