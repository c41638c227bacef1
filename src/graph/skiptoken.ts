import { MAX_TICKS, MIN_TICKS } from '../operations/date-time-offset.js';
import { OPERATION_PROPERTIES } from '../operations/long-running-operation.js';
import { totalOrder, type OrderKey, type SortValue } from '../operations/ports/operation-store.js';
import { GraphError } from './errors.js';

/**
 * The `$skiptoken` of a keyset cursor: the sort-key values of the last row served, bound to the order they
 * belong to. Opaque to clients (base64url JSON); anything that does not decode to a cursor for this very
 * order is a 400, never a 500, and never a silently wrong page.
 */
export function encodeSkipToken(orderBy: readonly OrderKey[], values: readonly SortValue[]): string {
  const wire = values.map((v) => (typeof v === 'bigint' ? v.toString() : v));
  return Buffer.from(JSON.stringify({ o: orderSignature(orderBy), v: wire })).toString('base64url');
}

export function decodeSkipToken(token: string, orderBy: readonly OrderKey[]): SortValue[] {
  const keys = totalOrder(orderBy);
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!isCursor(decoded) || decoded.o !== orderSignature(orderBy) || decoded.v.length !== keys.length) throw invalid();
  return keys.map((key, i) => readValue(key, decoded.v[i]));
}

interface WireCursor {
  o: string;
  v: unknown[];
}

function isCursor(value: unknown): value is WireCursor {
  return typeof value === 'object' && value !== null && typeof (value as WireCursor).o === 'string' && Array.isArray((value as WireCursor).v);
}

function readValue(key: OrderKey, value: unknown): SortValue {
  const definition = OPERATION_PROPERTIES[key.property];
  if (value === null && definition.nullable) return null;
  switch (definition.type) {
    case 'Edm.DateTimeOffset':
      if (typeof value === 'string' && /^-?\d{1,19}$/.test(value)) {
        const ticks = BigInt(value);
        if (ticks >= MIN_TICKS && ticks <= MAX_TICKS) return ticks;
      }
      break;
    case 'microsoft.graph.longRunningOperationStatus':
      if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 3) return value;
      break;
    case 'Edm.String':
      if (typeof value === 'string') return value;
      break;
  }
  throw invalid();
}

function orderSignature(orderBy: readonly OrderKey[]): string {
  return totalOrder(orderBy)
    .map((k) => `${k.property}${k.descending ? ' desc' : ''}`)
    .join(',');
}

function invalid(): GraphError {
  return new GraphError('invalidQuery', 'The $skiptoken is not valid for this request; use the @odata.nextLink exactly as served.');
}
