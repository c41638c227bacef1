import type { Database as Connection } from 'better-sqlite3';
import {
  insertStatement,
  patchStatement,
  purgeStatement,
  SQLITE,
  updateStatement,
  type InsertParameters,
  type OperationRow,
  type PatchedRow,
  type PatchParameters,
  type SqlQuery,
  type UpdateParameters,
} from '../sql/operation-query.js';
import type { OwnedOperation } from '../../operations/ports/admin-store.js';
import type { DirectoryUser } from '../../operations/ports/user-directory.js';
import { chunks, insertOperationsSql, insertUsersSql } from '../sql/admin-query.js';
import { userStatements, type UserParameters } from '../sql/user-query.js';
import { GroupCommit, type CommitStatistics } from './group-commit.js';

export interface DeleteParameters {
  readonly tenantId: string;
  readonly userId: string;
  readonly id: string;
  /** null deletes whatever the version. */
  readonly expectedVersion: number | null;
}

/**
 * Each write's values, by name: plain data, so that they can be posted to another thread. Every write of
 * the store is here, not only the operations': a second connection writing beside the writer thread would
 * wait for SQLite's lock on the event loop, up to the busy timeout, under a steady load of writes.
 */
export interface WriteParameters {
  readonly insert: InsertParameters;
  readonly update: UpdateParameters;
  readonly patch: PatchParameters;
  readonly delete: DeleteParameters;
  readonly purgeFinished: { readonly before: bigint; readonly limit: number };
  readonly upsertUser: UserParameters;
  readonly putSecret: { readonly name: string; readonly value: string };
  readonly removeSecrets: { readonly from: string; readonly to: string };
  readonly replaceAll: { readonly operations: readonly OwnedOperation[]; readonly users: readonly DirectoryUser[] | undefined };
}

/** What each write answers: raw rows with bigint integers, or a count; all of it survives a structured clone. */
export interface WriteResults {
  readonly insert: undefined;
  /** The row as written, or undefined when the version or the status did not allow it. */
  readonly update: OperationRow | undefined;
  readonly patch: PatchedRow | undefined;
  /** Rows deleted: 0 or 1. */
  readonly delete: number;
  /** Rows purged. */
  readonly purgeFinished: number;
  readonly upsertUser: undefined;
  /** The value stored under the name: the first writer's. */
  readonly putSecret: string;
  /** Secrets removed. */
  readonly removeSecrets: number;
  readonly replaceAll: undefined;
}

export type StoreWrite = keyof WriteParameters;

/** The four statements, prepared on one connection; indexed by a write's name, each runs that write. */
export type PreparedWrites = { readonly [W in StoreWrite]: (parameters: WriteParameters[W]) => WriteResults[W] };

/**
 * Where the store's writes run and commit: on the event loop beside its reads (`eventLoopWrites`),
 * or in a writer thread (`writer-thread.ts`). Both group them with the same GroupCommit.
 */
export interface StoreWrites {
  /** Answers once the write is committed; a write that fails, fails alone, with the driver's error. */
  run<W extends StoreWrite>(write: W, parameters: WriteParameters[W]): Promise<WriteResults[W]>;
  /** The group commits so far, as of the last write answered. */
  statistics(): CommitStatistics;
  /** Throws what every write would now fail with, when writes can no longer succeed: for readiness checks. */
  check(): void;
  /** Commits and answers every write asked for so far; later ones fail. */
  close(): Promise<void>;
}

export function prepareWrites(db: Connection): PreparedWrites {
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
    ...prepareOtherWrites(db),
  };
}

/** The writes other than an operation's: rare, but they must take turns with the others all the same. */
function prepareOtherWrites(db: Connection): Pick<PreparedWrites, 'purgeFinished' | 'upsertUser' | 'putSecret' | 'removeSecrets' | 'replaceAll'> {
  const purge = db.prepare(purgeStatement(SQLITE).text);
  const users = userStatements(SQLITE);
  const releaseUpn = db.prepare(users.releaseUpn.text);
  const save = db.prepare(users.save.text);
  const insertSecret = db.prepare('INSERT INTO secrets (name, value) VALUES (@name, @value) ON CONFLICT (name) DO NOTHING');
  const selectSecret = db.prepare<[{ name: string }], { value: string }>('SELECT value FROM secrets WHERE name = @name');
  const removeSecrets = db.prepare('DELETE FROM secrets WHERE name >= @from AND name < @to');
  const run = (query: SqlQuery) => db.prepare(query.text).run(...query.values);
  return {
    purgeFinished: (parameters) => purge.run(parameters).changes,
    // The UPN's previous holder releases it, then this user takes it; one savepoint holds both.
    upsertUser: (parameters) => {
      releaseUpn.run(parameters);
      save.run(parameters);
    },
    putSecret: (parameters) => {
      insertSecret.run(parameters);
      return selectSecret.get(parameters)!.value;
    },
    removeSecrets: (parameters) => removeSecrets.run(parameters).changes,
    replaceAll: ({ operations, users }) => {
      emptyOperations(db);
      if (users !== undefined) {
        db.prepare('DELETE FROM users').run();
        for (const slice of chunks(users)) run(insertUsersSql(SQLITE, slice));
      }
      for (const slice of chunks(operations)) run(insertOperationsSql(SQLITE, slice));
    },
  };
}

/**
 * Empties the operations table and zeroes the counts by status (migration 10), in the caller's
 * transaction. With its delete trigger in place SQLite deletes row by row, each from every index: 31 s for
 * 1,000,000 rows, against 0.2 s for the one-step truncate it does on a table without delete triggers. So the
 * trigger steps aside for the statement and is put back as the database itself stores it: its one
 * definition stays the migration's.
 */
function emptyOperations(db: Connection): void {
  const trigger = db.prepare<[], string>("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'operation_counts_delete'").pluck().get();
  if (trigger === undefined) throw new Error('the operation_counts_delete trigger of migration 10 is missing');
  db.exec('DROP TRIGGER operation_counts_delete');
  db.prepare('DELETE FROM operations').run();
  db.prepare('UPDATE operation_counts SET count = 0').run();
  db.exec(trigger);
}

/**
 * The writes grouped on the calling thread's event loop, on `db`: the store's own connection for an
 * in-memory database (which no second connection can share), the writer thread's own connection otherwise.
 */
export function eventLoopWrites(db: Connection): StoreWrites {
  const prepared = prepareWrites(db);
  const group = new GroupCommit(db);
  return {
    run: <W extends StoreWrite>(write: W, parameters: WriteParameters[W]) => {
      const statement: (parameters: WriteParameters[W]) => WriteResults[W] = prepared[write];
      return group.run(() => statement(parameters));
    },
    statistics: () => group.statistics(),
    check: () => undefined, // the store's own connection: its ping answers for it
    close: async () => group.commitQueued(),
  };
}
