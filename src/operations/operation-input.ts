import { parseDateTimeOffset, truncateToMilliseconds, type Ticks } from './date-time-offset.js';
import { DomainError } from './domain-error.js';
import {
  ENTITY_TYPE,
  OPERATION_PROPERTIES,
  type LongRunningOperation,
  type OperationChanges,
  type OperationProperty,
} from './long-running-operation.js';
import { parseStatus, UNKNOWN_FUTURE_VALUE, type OperationStatus } from './status.js';

/**
 * Reads a request body into validated changes. The same reader serves POST (no current entity) and
 * PATCH (the current entity, so that read-only properties may be echoed back unchanged, as clients
 * that round-trip a whole object do).
 */
export function readOperationInput(body: unknown, current?: LongRunningOperation): OperationChanges {
  return read(body, current, current !== undefined);
}

/**
 * A PATCH body read before the entity is: for applying it in one statement. `undefined` when the body
 * sends back a read-only property, for only the stored entity can tell whether that is an unchanged echo.
 */
export function readPatchWithoutEntity(body: unknown): OperationChanges | undefined {
  if (isObject(body) && (Object.hasOwn(body, 'id') || Object.hasOwn(body, 'createdDateTime'))) return undefined;
  return read(body, undefined, true);
}

function isObject(body: unknown): body is object {
  return typeof body === 'object' && body !== null && !Array.isArray(body);
}

function read(body: unknown, current: LongRunningOperation | undefined, isPatch: boolean): OperationChanges {
  if (!isObject(body)) {
    throw new DomainError('malformed', 'The request body must be a JSON object.');
  }
  const changes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(body)) {
    if (name.startsWith('@')) {
      checkInstanceAnnotation(name, value);
      continue;
    }
    const at = name.indexOf('@');
    const property = at > 0 ? name.slice(0, at) : name;
    if (!isProperty(property)) {
      throw new DomainError(
        'unknownProperty',
        `The property '${property}' does not exist on type '${ENTITY_TYPE}'. Make sure to only use property names that are defined by the type.`,
      );
    }
    if (at > 0) continue; // a property annotation such as `status@odata.type`: informational only
    readProperty(property, value, current, isPatch, changes);
  }
  return changes as OperationChanges;
}

const ACCEPTED_TYPE_NAMES = new Set([`#${ENTITY_TYPE}`, '#graph.longRunningOperation', ENTITY_TYPE]);

/** `@odata.type` must name this very type; other control information (`@odata.context`, …) is ignored. */
function checkInstanceAnnotation(name: string, value: unknown): void {
  if (name !== '@odata.type') return;
  if (typeof value !== 'string' || !ACCEPTED_TYPE_NAMES.has(value)) {
    throw new DomainError(
      'invalidValue',
      `The @odata.type '${String(value)}' is not '#${ENTITY_TYPE}', the type of the entity being written.`,
    );
  }
}

function isProperty(name: string): name is OperationProperty {
  return Object.hasOwn(OPERATION_PROPERTIES, name);
}

function readProperty(
  property: OperationProperty,
  value: unknown,
  current: LongRunningOperation | undefined,
  isPatch: boolean,
  changes: Record<string, unknown>,
): void {
  switch (property) {
    case 'id':
      if (value !== current?.id) throw readOnly(property);
      return;
    case 'createdDateTime':
      if (!isEcho(value, current?.createdDateTime)) throw readOnly(property);
      return;
    case 'lastActionDateTime':
      changes[property] = readDateTime(property, value);
      return;
    case 'status': {
      const status = readStatus(value, isPatch);
      if (status !== undefined) changes[property] = status;
      return;
    }
    case 'statusDetail':
    case 'resourceLocation':
      changes[property] = readNullableString(property, value);
      return;
  }
}

/**
 * Whether a read-only date was sent back unchanged. Clients that round-trip the whole entity through a
 * JavaScript `Date` (Kiota does) send it cut to milliseconds; that is the same value, not a change.
 */
function isEcho(value: unknown, stored: Ticks | undefined): boolean {
  const sent = typeof value === 'string' ? parseDateTimeOffset(value) : undefined;
  if (sent === undefined || stored === undefined) return false;
  return sent === stored || sent === truncateToMilliseconds(stored);
}

function readOnly(property: OperationProperty): DomainError {
  return new DomainError('readOnlyProperty', `The property '${property}' is read-only and is set by the service.`);
}

function readDateTime(property: OperationProperty, value: unknown): bigint {
  const ticks = typeof value === 'string' ? parseDateTimeOffset(value) : undefined;
  if (ticks === undefined) {
    throw new DomainError(
      'invalidValue',
      `Cannot convert the value ${describe(value)} of property '${property}' to Edm.DateTimeOffset: ` +
        'expected ISO 8601 such as 2017-01-01T00:02:09.4916918+03:00, with at most 7 fractional digits.',
    );
  }
  return ticks;
}

/**
 * Case-insensitive, canonical on output. `unknownFutureValue` is the evolvable-enum sentinel: in a PATCH
 * it means "no change" (answered as `undefined`), in a POST it is not a value one can create.
 */
function readStatus(value: unknown, isPatch: boolean): OperationStatus | undefined {
  const status = typeof value === 'string' ? parseStatus(value) : undefined;
  if (status === UNKNOWN_FUTURE_VALUE && isPatch) return undefined;
  if (status === undefined || status === UNKNOWN_FUTURE_VALUE) {
    throw new DomainError(
      'invalidValue',
      `The value ${describe(value)} is not a valid microsoft.graph.longRunningOperationStatus: ` +
        'expected notStarted, running, succeeded or failed.',
    );
  }
  return status;
}

function readNullableString(property: 'statusDetail' | 'resourceLocation', value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'string') {
    throw new DomainError('invalidValue', `The property '${property}' must be a string or null, not ${describe(value)}.`);
  }
  const max = OPERATION_PROPERTIES[property].maxLength;
  if (value.length > max) {
    throw new DomainError('invalidValue', `The property '${property}' is longer than its limit of ${max} characters.`);
  }
  if (!isStorable(value)) {
    throw new DomainError('invalidValue', `The property '${property}' contains a NUL character or invalid Unicode.`);
  }
  return value;
}

/** Text every engine can store and compare faithfully: PostgreSQL's `text` refuses NUL and unpaired surrogates. */
export function isStorable(text: string): boolean {
  return !text.includes('\u0000') && text.isWellFormed();
}

/** A short, safe rendering of a rejected value for an error message. */
function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 64 ? `${value.slice(0, 64)}…` : value}'`;
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

