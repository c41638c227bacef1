import { formatDateTimeOffset } from '../operations/date-time-offset.js';
import {
  ENTITY_TYPE,
  OPERATION_PROPERTY_NAMES,
  type LongRunningOperation,
  type OperationProperty,
} from '../operations/long-running-operation.js';

export type OperationJson = Partial<Record<OperationProperty, string | null>>;

/** The wire form of each property; dates as UTC `Z` with 7-digit precision, the status as its member name. */
const WRITERS: { readonly [P in OperationProperty]: (op: LongRunningOperation) => string | null } = {
  id: (op) => op.id,
  createdDateTime: (op) => formatDateTimeOffset(op.createdDateTime),
  lastActionDateTime: (op) => formatDateTimeOffset(op.lastActionDateTime),
  status: (op) => op.status,
  statusDetail: (op) => op.statusDetail,
  resourceLocation: (op) => op.resourceLocation,
};

/** The properties in Graph's order; with `$select`, only those selected (and always `id`). */
export function operationJson(op: LongRunningOperation, select?: readonly OperationProperty[]): OperationJson {
  const json: OperationJson = {};
  for (const property of OPERATION_PROPERTY_NAMES) {
    if (select === undefined || property === 'id' || select.includes(property)) json[property] = WRITERS[property](op);
  }
  return json;
}

export const ODATA_TYPE = `#${ENTITY_TYPE}`;
