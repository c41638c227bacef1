import type { Ticks } from '../operations/date-time-offset.js';
import type { Filter } from '../operations/filter.js';
import type { LongRunningOperation, OperationProperty, Owner } from '../operations/long-running-operation.js';
import type { OperationStatus } from '../operations/status.js';
import type { DirectPatch } from './sql/operation-query.js';
import type { AdminStore } from './admin-store.js';

/** A value of a sort key as stores hold it: dates as ticks, status as its enum value, strings as is. */
export type SortValue = string | bigint | number | null;

export interface OrderKey {
  readonly property: OperationProperty;
  readonly descending: boolean;
}

export interface ListQuery {
  /** Only the operations this expression matches. */
  readonly filter?: Filter;
  /** The sort order; stores append `id` ascending when it is missing, so the order is always total. */
  readonly orderBy: readonly OrderKey[];
  /** Keyset cursor: the sort-key values of the last row of the previous page, in `orderBy` order then id. */
  readonly after?: readonly SortValue[];
  /** Rows to pass over first (`$skip`, on a first page only: later pages go by the cursor). */
  readonly skip?: number;
  readonly limit: number;
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
   * the row, decides and explains (404, 409, 412, or nothing to change). See `sql/operation-query.ts`.
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

/** Small named values the service keeps with its data, such as the dev signing key, shared by all instances. */
export interface SecretStore {
  /** The value stored under `name`; when there is none, `value` is stored and answered. The first writer wins. */
  putIfAbsent(name: string, value: string): Promise<string>;
}

export interface DirectoryUser {
  readonly tenantId: string;
  /** The object id (a GUID): the user's key, which never changes. */
  readonly id: string;
  /** `null` when the user has none: its UPN moved to another user (a rename), and it is addressed by id only. */
  readonly userPrincipalName: string | null;
}

/** A user that holds a UPN: one found by it, or one a token or a seed file names with it. */
export type NamedUser = DirectoryUser & { readonly userPrincipalName: string };

/** Users known to this service: from verified token claims and from seed files. */
export interface UserDirectory {
  /**
   * Adds the user or updates its UPN, in one transaction. A UPN another user holds has moved to this one
   * (a rename): that user loses it and keeps its row (and its operations), found by id from then on. No
   * user is ever deleted. A `null` UPN leaves the user with none, known by id only. Writing the same user
   * again changes nothing. UPNs compare case-insensitively.
   */
  upsert(user: DirectoryUser): Promise<void>;
  findById(tenantId: string, id: string): Promise<DirectoryUser | undefined>;
  /** UPNs match case-insensitively. */
  findByUserPrincipalName(tenantId: string, userPrincipalName: string): Promise<NamedUser | undefined>;
}

/** What an operator watches: the data by status, and the engine's connections where it has a pool. */
export interface StoreStatistics {
  readonly operationsByStatus: Readonly<Record<OperationStatus, number>>;
  readonly connections?: { readonly total: number; readonly idle: number; readonly waiting: number };
}

/**
 * Tells waiting readers (`Prefer: wait`) that an operation changed. Writers need do nothing: the store's own
 * `update` and `delete` signal every watch on the row, in this process and (PostgreSQL) on every instance.
 */
export interface ChangeFeed {
  /**
   * Starts watching one operation for up to `forMs`; from the moment this resolves, any change of it
   * signals the watch. Answers `undefined` when watching is unavailable (shutting down, the database's
   * notification channel down): the caller answers without waiting.
   */
  watch(owner: Owner, id: string, forMs: number): Promise<OperationWatch | undefined>;
  /** Ends every watch (each `changed()` resolves): the process is shutting down and must not keep requests. */
  releaseAll(): void;
}

export interface OperationWatch {
  /**
   * Resolves at the next signal after this call. Arm it before reading the operation, so a change between
   * the read and the wait is not missed. A signal may be spurious (another instance reconnected): re-read.
   */
  changed(): Promise<void>;
  /** Stops watching; idempotent. */
  close(): Promise<void>;
}

export interface Store {
  readonly operations: OperationStore;
  readonly changes: ChangeFeed;
  readonly users: UserDirectory;
  readonly secrets: SecretStore;
  /** Every owner's data at once, for the admin API and the emulator's state (never a request path of Graph's API). */
  readonly admin: AdminStore;
  /** Resolves when the database answers; for readiness checks. */
  ping(): Promise<void>;
  statistics(): Promise<StoreStatistics>;
  close(): Promise<void>;
}

export type { Ticks };
