import type { Database as Connection } from 'better-sqlite3';
import {
  insertStatement,
  patchStatement,
  SQLITE,
  updateStatement,
  type InsertParameters,
  type OperationRow,
  type PatchedRow,
  type PatchParameters,
  type UpdateParameters,
} from '../sql/operation-query.js';
import { GroupCommit, type CommitStatistics } from './group-commit.js';

export interface DeleteParameters {
  readonly tenantId: string;
  readonly userId: string;
  readonly id: string;
  /** null deletes whatever the version. */
  readonly expectedVersion: number | null;
}

/** Each operation write's values, by name: plain data, so that they can be posted to another thread. */
export interface OperationWriteParameters {
  readonly insert: InsertParameters;
  readonly update: UpdateParameters;
  readonly patch: PatchParameters;
  readonly delete: DeleteParameters;
}

/** What each write answers: raw rows with bigint integers, or a count; all of it survives a structured clone. */
export interface OperationWriteResults {
  readonly insert: undefined;
  /** The row as written, or undefined when the version or the status did not allow it. */
  readonly update: OperationRow | undefined;
  readonly patch: PatchedRow | undefined;
  /** Rows deleted: 0 or 1. */
  readonly delete: number;
}

export type OperationWrite = keyof OperationWriteParameters;

/** The four statements, prepared on one connection; indexed by a write's name, each runs that write. */
export type PreparedWrites = { readonly [W in OperationWrite]: (parameters: OperationWriteParameters[W]) => OperationWriteResults[W] };

/**
 * Where the store's operation writes run and commit: on the event loop beside its reads (`eventLoopWrites`),
 * or in a writer thread (`writer-thread.ts`). Both group them with the same GroupCommit.
 */
export interface OperationWrites {
  /** Answers once the write is committed; a write that fails, fails alone, with the driver's error. */
  run<W extends OperationWrite>(write: W, parameters: OperationWriteParameters[W]): Promise<OperationWriteResults[W]>;
  /** The group commits so far, as of the last write answered. */
  statistics(): CommitStatistics;
  /** Throws what every write would now fail with, when writes can no longer succeed: for readiness checks. */
  check(): void;
  /** Commits and answers every write asked for so far; later ones fail. */
  close(): Promise<void>;
}

export function prepareOperationWrites(db: Connection): PreparedWrites {
  const insert = db.prepare<[InsertParameters]>(insertStatement(SQLITE).text);
  // UPDATE … RETURNING, one atomic statement, read with all(): better-sqlite3's get() resets the statement
  // before it reaches SQLITE_DONE, the point where SQLite runs its automatic WAL checkpoint, so the WAL would
  // grow without bound (measured: 91 MiB in 12 s); all() steps it to the end.
  const update = db.prepare<[UpdateParameters], OperationRow>(updateStatement(SQLITE).text).safeIntegers(true).raw(true);
  // Read with all() too, for the same reason.
  const patch = db.prepare<[PatchParameters], PatchedRow>(patchStatement(SQLITE)).safeIntegers(true).raw(true);
  const remove = db.prepare<[DeleteParameters]>(
    'DELETE FROM operations WHERE tenant_id = @tenantId AND user_id = @userId AND id = @id AND (@expectedVersion IS NULL OR version = @expectedVersion)',
  );
  return {
    insert: (parameters) => void insert.run(parameters),
    update: (parameters) => update.all(parameters)[0],
    patch: (parameters) => patch.all(parameters)[0],
    delete: (parameters) => remove.run(parameters).changes,
  };
}

/**
 * The writes grouped on the calling thread's event loop, on `db`: the store's own connection for an
 * in-memory database (which no second connection can share), the writer thread's own connection otherwise.
 */
export function eventLoopWrites(db: Connection): OperationWrites {
  const prepared = prepareOperationWrites(db);
  const group = new GroupCommit(db);
  return {
    run: <W extends OperationWrite>(write: W, parameters: OperationWriteParameters[W]) => {
      const statement: (parameters: OperationWriteParameters[W]) => OperationWriteResults[W] = prepared[write];
      return group.run(() => statement(parameters));
    },
    statistics: () => group.statistics(),
    check: () => undefined, // the store's own connection: its ping answers for it
    close: async () => group.commitQueued(),
  };
}
