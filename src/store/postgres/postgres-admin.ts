import pg from 'pg';
import type { QueryResultRow } from 'pg';
import type { AdminStore } from '../../operations/ports/admin-store.js';
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
import { POSTGRES, type SqlQuery } from '../sql/operation-query.js';
import { userFromRow, type UserRow } from '../sql/user-query.js';

/**
 * The admin store on PostgreSQL. Its statements read across owners (on Citus, every shard): they serve an
 * operator's dashboard and the emulator, never Graph's routes. Unnamed: their text varies with the query.
 */
export function postgresAdminStore(pool: pg.Pool): AdminStore {
  const rows = async <Row extends QueryResultRow>(query: SqlQuery): Promise<Row[]> => (await pool.query<Row>(query.text, query.values)).rows;
  // Operation rows come as arrays in column order, as the operation store reads them.
  const arrays = async <Row extends unknown[]>(query: SqlQuery): Promise<Row[]> =>
    (await pool.query<Row>({ text: query.text, values: query.values, rowMode: 'array' })).rows;

  return {
    list: async (query) => (await arrays<ListedRow>(adminListSql(POSTGRES, query))).map(listedFromRow),
    countCreated: async (start, bucketTicks, buckets) =>
      (await rows<Parameters<typeof createdCountFromRow>[0]>(createdCountSql(POSTGRES, start, bucketTicks, buckets))).map(createdCountFromRow),
    listDue: async (now, limit) => (await arrays<OwnedRow>(allDueSql(POSTGRES, now, limit))).map(ownedFromRow),
    listUsers: async (after, limit) => (await rows<UserRow>(usersPageSql(POSTGRES, after, limit))).map(userFromRow),
    replace: async (operations, users) => {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        try {
          await client.query('DELETE FROM operations');
          if (users !== undefined) {
            await client.query('DELETE FROM users');
            for (const slice of chunks(users)) await client.query(insertUsersSql(POSTGRES, slice));
          }
          for (const slice of chunks(operations)) await client.query(insertOperationsSql(POSTGRES, slice));
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
      } catch (error) {
        // Unless PostgreSQL itself answered (and the transaction was rolled back), the connection is suspect.
        if (!(error instanceof pg.DatabaseError)) broken = error as Error;
        throw error;
      } finally {
        client.release(broken);
      }
    },
  };
}
