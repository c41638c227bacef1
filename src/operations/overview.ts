import type { Clock } from './clock.js';
import { TICKS_PER_SECOND, type Ticks } from './date-time-offset.js';
import type { AdminCursor, AdminListQuery, ListedOperation, OwnedOperation } from './ports/admin-store.js';
import type { Store } from './ports/store.js';
import { dueStep } from './schedule.js';
import { STATUS_ENUM_MEMBERS, type OperationStatus, type UNKNOWN_FUTURE_VALUE } from './status.js';

/** Every member of the status enum, the sentinel included, so a dashboard's columns never change shape. */
export type StatusCounts = Record<OperationStatus | typeof UNKNOWN_FUTURE_VALUE, number>;

export interface OverviewPage {
  readonly items: readonly ListedOperation[];
  /** Where the next page starts; absent on the last page. */
  readonly next?: AdminCursor;
}

export interface TimelineBucket {
  readonly start: Ticks;
  readonly counts: StatusCounts;
}

export interface Statistics {
  readonly now: Ticks;
  readonly byStatus: StatusCounts;
  /** Oldest first; the last bucket holds `now`. */
  readonly timeline: readonly TimelineBucket[];
}

/**
 * What an operator's dashboard shows: every owner's operations, newest first, and counts by status over
 * time. Only reads: a dashboard polls, and its polls must not drive the schedules' writes (the background
 * sweep of `schedule.ts` does). The listing shows scheduled operations as their schedules have them now,
 * as Graph's routes show them; the counts are the stored statuses, which the sweep keeps current.
 */
export class OperationOverview {
  constructor(
    private readonly store: Pick<Store, 'admin' | 'statistics'>,
    private readonly clock: Clock,
  ) {}

  /**
   * A page of the listing in one read. The status filter selects by stored status, so a row whose due step
   * moves it out of the filter is left out: the page may then hold fewer than `limit` rows, though more
   * follow; `next` still goes on after the last row read.
   */
  async list(query: AdminListQuery): Promise<OverviewPage> {
    const now = this.clock.now();
    const rows = await this.store.admin.list({ ...query, limit: query.limit + 1 });
    const read = rows.slice(0, query.limit);
    const shown = read.map((row) => projected(row, now));
    const items = query.status === undefined ? shown : shown.filter((row) => row.operation.status === query.status);
    if (rows.length <= query.limit) return { items };
    return { items, next: cursorAfter(read.at(-1)!) };
  }

  /**
   * Counts by status, and of the operations created in each of `buckets` buckets of `bucketSeconds`, by
   * their stored status. Buckets are aligned to multiples of their length since the epoch, so the
   * timeline's boundaries stay put from one refresh to the next. The count by status reads every stored
   * operation: polls take it from `statistics-cache.ts`, never straight from here.
   */
  async statistics(bucketSeconds: number, buckets: number): Promise<Statistics> {
    const now = this.clock.now();
    const bucketTicks = BigInt(bucketSeconds) * TICKS_PER_SECOND;
    const start = (now / bucketTicks - BigInt(buckets - 1)) * bucketTicks;
    const [statistics, created] = await Promise.all([this.store.statistics(), this.store.admin.countCreated(start, bucketTicks, buckets)]);
    const timeline = Array.from({ length: buckets }, (_, i) => ({ start: start + BigInt(i) * bucketTicks, counts: emptyCounts() }));
    for (const { bucket, status, count } of created) timeline[bucket]!.counts[status] += count;
    return { now, byStatus: { ...emptyCounts(), ...statistics.operationsByStatus }, timeline };
  }
}

/** The row as its schedule has it at `now`: shown so, not written (the sweep writes it). */
function projected(row: ListedOperation, now: Ticks): ListedOperation {
  const operation = dueStep(row.operation, now);
  return operation === undefined ? row : { ...row, operation };
}

/** Where a listing newest first goes on after `row`. */
export function cursorAfter({ owner, operation }: OwnedOperation): AdminCursor {
  return { createdDateTime: operation.createdDateTime, id: operation.id, tenantId: owner.tenantId, userId: owner.userId };
}

function emptyCounts(): StatusCounts {
  return Object.fromEntries(STATUS_ENUM_MEMBERS.map((status) => [status, 0])) as StatusCounts;
}
