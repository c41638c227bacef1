import type { Database as Connection } from 'better-sqlite3';
import type { AdminStore, OwnedOperation } from '../../operations/ports/admin-store.js';
import type { DirectoryUser } from '../../operations/ports/user-directory.js';
import {
  adminListSql,
  allDueSql,
  chunks,
  createdCountFromRow,
  createdCountSql,
  insertOperationsSql,
  insertUsersSql,
  listedFromRow,
  ownedFromRow,
  usersPageSql,
  type ListedRow,
  type OwnedRow,
} from '../sql/admin-query.js';
import { SQLITE, type SqlQuery } from '../sql/operation-query.js';
import { userFromRow, type UserRow } from '../sql/user-query.js';

/** The admin store on SQLite: statements across owners, prepared per call (they are rare and their text varies). */
export function sqliteAdminStore(db: Connection): AdminStore {
  // Ticks pass 2^53: every integer is read as a bigint, as the operation store reads them.
  const all = <Row>(query: SqlQuery): Row[] => db.prepare(query.text).safeIntegers(true).all(...query.values) as Row[];
  // Operation rows come as arrays in column order, as the operation store reads them.
  const arrays = <Row>(query: SqlQuery): Row[] => db.prepare(query.text).safeIntegers(true).raw(true).all(...query.values) as Row[];
  const run = (query: SqlQuery) => db.prepare(query.text).run(...query.values);
  const replace = db.transaction((operations: readonly OwnedOperation[], users: readonly DirectoryUser[] | undefined) => {
    // Row by row since migration 10: a table with triggers loses SQLite's truncate optimisation. A reset
    // or an import is rare and the counts by status must follow it, which the delete trigger does.
    db.prepare('DELETE FROM operations').run();
    if (users !== undefined) {
      db.prepare('DELETE FROM users').run();
      for (const slice of chunks(users)) run(insertUsersSql(SQLITE, slice));
    }
    for (const slice of chunks(operations)) run(insertOperationsSql(SQLITE, slice));
  });

  return {
    list: async (query) => arrays<ListedRow>(adminListSql(SQLITE, query)).map(listedFromRow),
    countCreated: async (start, bucketTicks, buckets) =>
      all<Parameters<typeof createdCountFromRow>[0]>(createdCountSql(SQLITE, start, bucketTicks, buckets)).map(createdCountFromRow),
    listDue: async (now, limit) => arrays<OwnedRow>(allDueSql(SQLITE, now, limit)).map(ownedFromRow),
    listUsers: async (after, limit) => all<UserRow>(usersPageSql(SQLITE, after, limit)).map(userFromRow),
    // IMMEDIATE: the write lock is taken before the first DELETE, so no other writer slips in between.
    replace: async (operations, users) => replace.immediate(operations, users),
  };
}
