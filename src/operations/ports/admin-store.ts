import type { Ticks } from '../date-time-offset.js';
import type { LongRunningOperation, Owner } from '../long-running-operation.js';
import type { OperationStatus } from '../status.js';
import type { DirectoryUser } from './user-directory.js';

/** An operation with the owner it belongs to: the admin API's unit, across tenants and users. */
export interface OwnedOperation {
  readonly owner: Owner;
  readonly operation: LongRunningOperation;
}

/** A listed operation, with its owner's UPN when the directory knows the owner. */
export interface ListedOperation extends OwnedOperation {
  readonly userPrincipalName: string | null;
}

/**
 * Where a listing newest first resumes: the last row's whole sort key. `createdDateTime` then `id` order
 * the rows; tenant and user only break ties between owners, so the order is total.
 */
export interface AdminCursor {
  readonly createdDateTime: Ticks;
  readonly id: string;
  readonly tenantId: string;
  readonly userId: string;
}

/** A user the way the admin API names one: an object id or a UPN, in any tenant. */
export type UserKey = { readonly id: string } | { readonly userPrincipalName: string };

export interface AdminListQuery {
  readonly status?: OperationStatus;
  readonly user?: UserKey;
  readonly after?: AdminCursor;
  readonly limit: number;
}

/** How many operations created in one bucket of a timeline have one status. */
export interface CreatedCount {
  /** 0 for the bucket starting at the timeline's start. */
  readonly bucket: number;
  readonly status: OperationStatus;
  readonly count: number;
}

/** Users and operations: what a seed file, an export and an import hold. */
export interface StoreState {
  readonly users: readonly DirectoryUser[];
  readonly operations: readonly OwnedOperation[];
}

/**
 * The whole data set at once, across owners: the dashboard's listing and timeline, and the emulator's
 * reset, export and import. Graph's own routes never use it, so every owner-scoped rule of
 * `OperationStore` still holds there.
 */
export interface AdminStore {
  /** Operations of every owner, newest first (`createdDateTime`, then `id`, descending); a keyset page. */
  list(query: AdminListQuery): Promise<ListedOperation[]>;
  /**
   * Operations created from `start` on, in `buckets` buckets of `bucketTicks` each, counted by bucket and
   * current stored status; buckets and statuses without operations are left out.
   */
  countCreated(start: Ticks, bucketTicks: Ticks, buckets: number): Promise<CreatedCount[]>;
  /** Up to `limit` open operations of any owner with a scheduled step due at `now` (as `OperationStore.listDue`). */
  listDue(now: Ticks, limit: number): Promise<OwnedOperation[]>;
  /** Up to `limit` users in key order (tenant, then id), after `after` when given. */
  listUsers(after: Pick<DirectoryUser, 'tenantId' | 'id'> | undefined, limit: number): Promise<DirectoryUser[]>;
  /**
   * In one transaction, all or nothing: every operation is replaced by `operations` and, when `users` is
   * given, every user by `users` (otherwise the directory stays as it is). The secrets stay.
   */
  replace(operations: readonly OwnedOperation[], users?: readonly DirectoryUser[]): Promise<void>;
}
