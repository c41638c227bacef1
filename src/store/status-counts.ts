import { OPERATION_STATUSES, statusFromValue, type OperationStatus } from '../operations/status.js';

/** Every status, with 0 for those no row has. */
export function countsByStatus(rows: readonly { status: bigint | number | string; count: bigint | number | string }[]): Record<OperationStatus, number> {
  const counts = Object.fromEntries(OPERATION_STATUSES.map((status) => [status, 0])) as Record<OperationStatus, number>;
  for (const row of rows) counts[statusFromValue(Number(row.status))] = Number(row.count);
  return counts;
}
