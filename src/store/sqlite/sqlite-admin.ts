import type { Database as Connection } from 'better-sqlite3';
import type { StoreWrites } from './store-writes.js';
import type { AdminStore } from '../../operations/ports/admin-store.js';
import {
  adminListSql,
  allDueSql,
  createdCountFromRow,
  createdCountSql,
  listedFromRow,
  ownedFromRow,
  usersPageSql,
  type ListedRow,
  type OwnedRow,
} from '../sql/admin-query.js';
import { SQLITE, type SqlQuery } from '../sql/operation-query.js';
import { userFromRow, type UserRow } from '../sql/user-query.js';

/** The admin store on SQLite: statements across owners, prepared per call (they are rare and their text varies). */
export function sqliteAdminStore(db: Connection, writes: StoreWrites): AdminStore {
  // Ticks pass 2^53: every integer is read as a bigint, as the operation store reads them.
  const all = <Row>(query: SqlQuery): Row[] => db.prepare(query.text).safeIntegers(true).all(...query.values) as Row[];
  // Operation rows come as arrays in column order, as the operation store reads them.
  const arrays = <Row>(query: SqlQuery): Row[] => db.prepare(query.text).safeIntegers(true).raw(true).all(...query.values) as Row[];

  return {
    list: async (query) => arrays<ListedRow>(adminListSql(SQLITE, query)).map(listedFromRow),
    countCreated: async (start, bucketTicks, buckets) =>
      all<Parameters<typeof createdCountFromRow>[0]>(createdCountSql(SQLITE, start, bucketTicks, buckets)).map(createdCountFromRow),
    listDue: async (now, limit) => arrays<OwnedRow>(allDueSql(SQLITE, now, limit)).map(ownedFromRow),
    listUsers: async (after, limit) => all<UserRow>(usersPageSql(SQLITE, after, limit)).map(userFromRow),
    // One write among the store's others: nothing slips in between its DELETE and its INSERTs.
    replace: async (operations, users) => writes.run('replaceAll', { operations, users }),
  };
}
