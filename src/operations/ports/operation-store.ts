import type { Ticks } from '../date-time-offset.js';
import type { Filter } from '../filter.js';
import type { LongRunningOperation, OperationChanges, OperationProperty, Owner } from '../long-running-operation.js';

/**
 * The port the domain writes and reads one owner's operations through. Engines (`store/sqlite`,
 * `store/postgres`) implement it; the domain owns it, so it depends on no engine.
 */

/** A value of a sort key as stores hold it: dates as ticks, status as its enum value, strings as is. */
export type SortValue = string | bigint | number | null;

export interface OrderKey {
  readonly property: OperationProperty;
  readonly descending: boolean;
}

const ID_ASCENDING: OrderKey = { property: 'id', descending: false };

/**
 * The order a listing really has: `orderBy` with `id` ascending appended when missing, so ties have a fixed
 * order and a keyset cursor names exactly one row. Stores sort by it, cursors carry its values.
 */
export function totalOrder(orderBy: readonly OrderKey[]): readonly OrderKey[] {
  return orderBy.some((key) => key.property === 'id') ? orderBy : [...orderBy, ID_ASCENDING];
}

export interface ListQuery {
  /** Only the operations this expression matches. */
  readonly filter?: Filter;
  /** The sort order; stores sort by its {@link totalOrder}, so the order is always total. */
  readonly orderBy: readonly OrderKey[];
  /** Keyset cursor: the sort-key values of the last row of the previous page, in {@link totalOrder}. */
  readonly after?: readonly SortValue[];
  /** Rows to pass over first (`$skip`, on a first page only: later pages go by the cursor). */
  readonly skip?: number;
  readonly limit: number;
}

/** A PATCH the store applies in one statement: see `OperationStore.patch`. */
export interface DirectPatch {
  readonly changes: OperationChanges;
  /** The server's time: `lastActionDateTime` when the patch sets none, and the finish time. */
  readonly now: bigint;
  /** `If-Match` of one version; absent for none or `*` (any version of an existing row). */
  readonly version?: number;
}

export interface OperationStore {
  insert(owner: Owner, operation: LongRunningOperation): Promise<void>;
  get(owner: Owner, id: string): Promise<LongRunningOperation | undefined>;
  /**
   * Replaces the operation's client-writable fields and bumps its version, only if its version is still
   * `expectedVersion` and its status is still open (not terminal). Answers the stored row, or `undefined`
   * when no row matched (gone, changed meanwhile, or finished): the caller re-reads to tell which.
   * The schedule is written by `insert` only: an update keeps the stored one, whatever `next` holds.
   */
  update(owner: Owner, next: LongRunningOperation, expectedVersion: number): Promise<LongRunningOperation | undefined>;
  /**
   * PATCH in one statement, for the common case: applies `patch.changes` to an open, unscheduled operation
   * when the lifecycle allows them, when they change something and, with `patch.version`, only at that
   * version. Answers the stored row, or `undefined` when any of that does not hold: the caller then reads
   * the row, decides and explains (not found, a conflict, a version mismatch, or nothing to change).
   * Engines write it as one conditional UPDATE.
   */
  patch(owner: Owner, id: string, patch: DirectPatch): Promise<LongRunningOperation | undefined>;
  /** Deletes the operation (only at `expectedVersion` when given); `true` when a row went. */
  delete(owner: Owner, id: string, expectedVersion?: number): Promise<boolean>;
  list(owner: Owner, query: ListQuery): Promise<LongRunningOperation[]>;
  count(owner: Owner, filter?: Filter): Promise<number>;
  /**
   * Up to `limit` of the owner's open operations whose schedule has a step due at `now`: `notStarted`
   * with `runAt <= now`, or open with `finishAt <= now` (see `operations/schedule.ts`).
   */
  listDue(owner: Owner, now: Ticks, limit: number): Promise<LongRunningOperation[]>;
  /**
   * Deletes up to `limit` operations of any owner that finished before `finishedBefore`; answers how many
   * went. Safe to run from every instance at once: a row deleted twice is deleted once.
   */
  purgeFinished(finishedBefore: Ticks, limit: number): Promise<number>;
}
