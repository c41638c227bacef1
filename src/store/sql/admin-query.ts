import type { AdminListQuery, CreatedCount, ListedOperation, OwnedOperation } from '../../operations/ports/admin-store.js';
import type { DirectoryUser } from '../../operations/ports/user-directory.js';
import { statusFromValue, statusValue } from '../../operations/status.js';
import { Builder, insertValues, OPEN_STATUS_LIST, OPERATION_COLUMNS, operationFromRow, type Dialect, type OperationColumns, type SqlQuery } from './operation-query.js';
import { USER_COLUMNS, userParameters } from './user-query.js';

/**
 * SQL of the admin store, shared by every engine: statements across owners (the dashboard, reset, export,
 * import). Values only ever reach the database as bound parameters (status values aside: the schema's
 * constants).
 */

/** Rows written per INSERT: 500 × 16 values stays far below both engines' limits on bound parameters. */
export const INSERT_CHUNK = 500;

export const OWNED_COLUMNS = `tenant_id, user_id, ${OPERATION_COLUMNS}`;

/** What the admin store reads: {@link OPERATION_COLUMNS} first, so that its rows are operation rows too, then the owner. */
const OWNED_ROW_COLUMNS = `${OPERATION_COLUMNS}, tenant_id, user_id`;

export type OwnedRow = [...OperationColumns, tenantId: string, userId: string];

export type ListedRow = [...OperationColumns, tenantId: string, userId: string, userPrincipalName: string | null];

export function ownedFromRow(row: OwnedRow | ListedRow): OwnedOperation {
  return { owner: { tenantId: row[14], userId: row[15] }, operation: operationFromRow(row)! };
}

export function listedFromRow(row: ListedRow): ListedOperation {
  return { ...ownedFromRow(row), userPrincipalName: row[16] };
}

/**
 * A page of every owner's operations, newest first. The UPN comes from a subquery rather than a join, so
 * the page's rows are read first (by the index on `created_ticks, id`) and only they are looked up.
 */
export function adminListSql(dialect: Dialect, query: AdminListQuery): SqlQuery {
  const sql = new Builder(dialect);
  const conditions: string[] = [];
  if (query.status !== undefined) conditions.push(`status = ${sql.bind(statusValue(query.status))}`);
  if (query.user !== undefined) {
    conditions.push(
      'id' in query.user
        ? `user_id = ${sql.bind(query.user.id.toLowerCase())}`
        : `(tenant_id, user_id) IN (SELECT tenant_id, id FROM users WHERE upn_lower = ${sql.bind(query.user.userPrincipalName.toLowerCase())})`,
    );
  }
  const after = query.after;
  if (after !== undefined) {
    // The first bound lets the planner seek the index; the row comparison names exactly the rows past the cursor.
    conditions.push(
      `created_ticks <= ${sql.bind(after.createdDateTime)}`,
      `(created_ticks, id, tenant_id, user_id) < (${[after.createdDateTime, after.id, after.tenantId, after.userId].map((v) => sql.bind(v)).join(', ')})`,
    );
  }
  const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
  const upn = 'SELECT user_principal_name FROM users WHERE users.tenant_id = operations.tenant_id AND users.id = operations.user_id';
  return {
    text: `SELECT ${OWNED_ROW_COLUMNS}, (${upn}) AS user_principal_name FROM operations ${where}
           ORDER BY created_ticks DESC, id DESC, tenant_id DESC, user_id DESC LIMIT ${sql.bind(query.limit)}`,
    values: sql.values,
  };
}

/** Operations created in `[start, start + bucketTicks × buckets)`, counted by bucket and status. */
export function createdCountSql(dialect: Dialect, start: bigint, bucketTicks: bigint, buckets: number): SqlQuery {
  const sql = new Builder(dialect);
  // CAST: PostgreSQL cannot infer a parameter's type from a division alone; SQLite reads it as INTEGER.
  const bucket = `(created_ticks - ${sql.bind(start)}) / CAST(${sql.bind(bucketTicks)} AS bigint)`;
  const range = `created_ticks >= ${sql.bind(start)} AND created_ticks < ${sql.bind(start + bucketTicks * BigInt(buckets))}`;
  return { text: `SELECT ${bucket} AS bucket, status, COUNT(*) AS count FROM operations WHERE ${range} GROUP BY bucket, status`, values: sql.values };
}

export function createdCountFromRow(row: { bucket: bigint | number; status: bigint | number; count: bigint | number }): CreatedCount {
  return { bucket: Number(row.bucket), status: statusFromValue(Number(row.status)), count: Number(row.count) };
}

/**
 * Open operations of any owner with a scheduled step due at `now`. The first two conditions are the
 * predicate of the partial index `operations_due`, spelt as in the migration so both engines use it.
 */
export function allDueSql(dialect: Dialect, now: bigint, limit: number): SqlQuery {
  const sql = new Builder(dialect);
  const conditions = [
    'run_at_ticks IS NOT NULL AND finished_ticks IS NULL',
    `run_at_ticks <= ${sql.bind(now)}`,
    `status IN (${OPEN_STATUS_LIST})`,
    `(status = ${statusValue('notStarted')} OR finish_at_ticks <= ${sql.bind(now)})`,
  ];
  return { text: `SELECT ${OWNED_ROW_COLUMNS} FROM operations WHERE ${conditions.join(' AND ')} LIMIT ${sql.bind(limit)}`, values: sql.values };
}

/** A page of users in key order. */
export function usersPageSql(dialect: Dialect, after: Pick<DirectoryUser, 'tenantId' | 'id'> | undefined, limit: number): SqlQuery {
  const sql = new Builder(dialect);
  const where = after === undefined ? '' : `WHERE (tenant_id, id) > (${sql.bind(after.tenantId)}, ${sql.bind(after.id)})`;
  return {
    text: `SELECT ${USER_COLUMNS} FROM users ${where} ORDER BY tenant_id, id LIMIT ${sql.bind(limit)}`,
    values: sql.values,
  };
}

/** One multi-row INSERT of operations (at most {@link INSERT_CHUNK}), every value bound. */
export function insertOperationsSql(dialect: Dialect, rows: readonly OwnedOperation[]): SqlQuery {
  const sql = new Builder(dialect);
  const tuples = rows.map(({ owner, operation }) => `(${insertValues(owner, operation).map((value) => sql.bind(value)).join(', ')})`);
  return { text: `INSERT INTO operations (${OWNED_COLUMNS}) VALUES ${tuples.join(', ')}`, values: sql.values };
}

/** One multi-row INSERT of users into a directory just emptied. */
export function insertUsersSql(dialect: Dialect, users: readonly DirectoryUser[]): SqlQuery {
  const sql = new Builder(dialect);
  const tuples = users.map(userParameters).map((user) => `(${[user.tenantId, user.id, user.userPrincipalName, user.upnLower].map((v) => sql.bind(v)).join(', ')})`);
  return { text: `INSERT INTO users (tenant_id, id, user_principal_name, upn_lower) VALUES ${tuples.join(', ')}`, values: sql.values };
}

/** `items` in slices of at most `size`. */
export function chunks<T>(items: readonly T[], size: number = INSERT_CHUNK): T[][] {
  const slices: T[][] = [];
  for (let i = 0; i < items.length; i += size) slices.push(items.slice(i, i + size));
  return slices;
}
