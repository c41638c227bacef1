import type { Owner } from '../long-running-operation.js';

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
  /**
   * Every watch, on every instance, re-reads: the data changed wholesale (an emulator reset or import) or the
   * clock jumped, so any operation may have changed or come due. Spurious re-reads are harmless.
   */
  signalAll(): Promise<void>;
  /** The watches open in this process: the requests waiting (`Prefer: wait`) here now. */
  watching(): number;
}

export interface OperationWatch {
  /**
   * Resolves at the next signal after this call. Arm it before reading the operation, so a change between
   * the read and the wait is not missed. A signal may be spurious (another instance reconnected): re-read.
   */
  changed(): Promise<void>;
  /**
   * The feed was released (the process is shutting down): `changed()` answers at once from now on, so the
   * waiting request ends with the operation as it is instead of re-reading it until its deadline.
   */
  readonly released: boolean;
  /** Stops watching; idempotent. */
  close(): Promise<void>;
}
