import type { OperationStatus } from '../status.js';
import type { AdminStore } from './admin-store.js';
import type { ChangeFeed } from './change-feed.js';
import type { OperationStore } from './operation-store.js';
import type { UserDirectory } from './user-directory.js';

/** Small named values the service keeps with its data, such as the dev signing key, shared by all instances. */
export interface SecretStore {
  /** The value stored under `name`; when there is none, `value` is stored and answered. The first writer wins. */
  putIfAbsent(name: string, value: string): Promise<string>;
  /** Removes every value whose name `n` has `from <= n < to`, comparing bytewise; answers how many went. */
  removeRange(from: string, to: string): Promise<number>;
}

/** What an operator watches: the data by status, and the engine's connections where it has a pool. */
export interface StoreStatistics {
  readonly operationsByStatus: Readonly<Record<OperationStatus, number>>;
  readonly connections?: { readonly total: number; readonly idle: number; readonly waiting: number };
  /** The embedded store's group commits since it opened: how many, the writes they held, the largest group. */
  readonly groupCommits?: { readonly commits: number; readonly writes: number; readonly largestGroup: number };
}

/** Everything the service keeps, as one engine (`store/sqlite`, `store/postgres`) provides it. */
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
