import type { Statistics } from './overview.js';

/** How long one computation answers the polls for its parameters: every open dashboard tab polls every 2 s. */
export const DEFAULT_STATISTICS_MAX_AGE_MS = 5_000;
/** Parameter sets kept at once: a dashboard asks for a handful; any other client's choices cannot grow the cache. */
export const MAX_CACHED_PARAMETER_SETS = 16;

export interface StatisticsCacheOptions {
  /** How long a computation answers polls (default {@link DEFAULT_STATISTICS_MAX_AGE_MS}). */
  readonly maxAgeMs?: number;
  /** Milliseconds of a monotonic clock (default `performance.now`); tests pass their own. */
  readonly now?: () => number;
}

interface Entry {
  /** When the computation started, by `now()`. */
  readonly at: number;
  readonly value: Promise<Statistics>;
  settled: boolean;
}

/**
 * The admin API's statistics, computed at most once per `maxAgeMs` for each parameter set on this
 * instance. A computation is a count of every stored operation by status plus the timeline's: real work
 * for the database, which no number of open dashboard tabs should multiply. Polls that come while a
 * computation runs share it; a failed one is forgotten at once, so the next poll retries rather than
 * being served the failure. The figures keep the `now` they were computed at.
 */
export class StatisticsCache {
  /** In the order they were computed, oldest first: the first one goes when the cache is full. */
  readonly #entries = new Map<string, Entry>();
  readonly #maxAgeMs: number;
  readonly #now: () => number;

  constructor(
    private readonly compute: (bucketSeconds: number, buckets: number) => Promise<Statistics>,
    options: StatisticsCacheOptions = {},
  ) {
    this.#maxAgeMs = options.maxAgeMs ?? DEFAULT_STATISTICS_MAX_AGE_MS;
    this.#now = options.now ?? (() => performance.now());
  }

  get(bucketSeconds: number, buckets: number): Promise<Statistics> {
    const key = `${bucketSeconds}/${buckets}`;
    const now = this.#now();
    const cached = this.#entries.get(key);
    if (cached !== undefined && (!cached.settled || now - cached.at < this.#maxAgeMs)) return cached.value;
    return this.#refresh(key, now, () => this.compute(bucketSeconds, buckets));
  }

  /**
   * Forgets every figure, so the next poll computes afresh: after an explicit change of what they describe
   * (the emulator's clock moved, its data replaced). A computation in flight still answers the polls that
   * came before.
   */
  invalidate(): void {
    this.#entries.clear();
  }

  #refresh(key: string, now: number, compute: () => Promise<Statistics>): Promise<Statistics> {
    this.#entries.delete(key); // set again below, last: the map's order stays the order of computation
    if (this.#entries.size >= MAX_CACHED_PARAMETER_SETS) this.#entries.delete(this.#entries.keys().next().value!);
    const entry: Entry = { at: now, value: compute(), settled: false };
    this.#entries.set(key, entry);
    entry.value.then(
      () => void (entry.settled = true),
      () => void (this.#entries.get(key) === entry && this.#entries.delete(key)),
    );
    return entry.value;
  }
}
