import { randomUUID } from 'node:crypto';
import { formatDateTimeOffset, parseDateTimeOffset, type Ticks } from '../operations/date-time-offset.js';
import { DomainError } from '../operations/domain-error.js';
import { OPERATION_PROPERTIES, type LongRunningOperation, type OperationChanges, type OperationSchedule } from '../operations/long-running-operation.js';
import { isStorable, readOperationInput } from '../operations/operation-input.js';
import type { OwnedOperation, StoreState } from '../operations/ports/admin-store.js';
import type { DirectoryUser } from '../operations/ports/user-directory.js';
import { isTerminal } from '../operations/status.js';
import { applicationFields, readApplication, readPassword, refuseRepeatedClients, RegistrationError, type ApplicationEntry, type PasswordEntry } from '../sign-in/registrations.js';
import { isGuid, isUserPrincipalName } from '../users/object-id.js';
import { readResetScript, ScriptError, type ResetScript } from './reset-script.js';
import { MAX_QUEUED_SCRIPTS } from './reset-scripts.js';

/**
 * The emulator's one state format, for a `--seed` file, `GET /admin/state` (export) and `PUT /admin/state`
 * (import): `{"users": [...], "operations": [...], "scripts": [...], "applications": [...]}`, dates as
 * DateTimeOffsets, scripts as `reset-script.ts` reads them, applications as an apps file holds them. What an
 * export writes an import reads back unchanged; on input the service's own fields (`version`, `finishedAt`,
 * `schedule`, a script's `id`) may be left out, and so may `scripts` and `applications` (states written
 * before they existed): none. Secrets are written as hashes (`clientSecretHash`, a user's `passwordHash`);
 * an import takes either a hash or the plain value (`clientSecret`, `password`).
 */

/** A whole state: the store's data, the queue of scripted password resets, and who may sign in. */
export interface EmulatorSnapshot extends StoreState {
  readonly scripts: readonly ResetScript[];
  readonly applications: readonly ApplicationEntry[];
  readonly passwords: readonly PasswordEntry[];
}

/**
 * A state document that is not valid; `path` names the offending value (`operations[3].status`). On an
 * import it is a domain error of its own kind (`invalidValue`); a `--seed` file's is the CLI's to report.
 */
export class StateError extends DomainError {
  override readonly name = 'StateError';

  constructor(
    readonly path: string,
    detail: string,
  ) {
    super('invalidValue', `${path}: ${detail}`);
  }
}
/** As long as a path segment may be on Graph's routes. */
const MAX_ID_LENGTH = 512;
const USER_FIELDS = ['tenantId', 'id', 'userPrincipalName', 'password', 'passwordHash'];
const OPERATION_FIELDS = [
  'tenantId',
  'userId',
  'id',
  'createdDateTime',
  'lastActionDateTime',
  'status',
  'statusDetail',
  'resourceLocation',
  'version',
  'finishedAt',
  'schedule',
];
const CLIENT_FIELDS = ['lastActionDateTime', 'status', 'statusDetail', 'resourceLocation'];
const SCHEDULE_FIELDS = ['runAt', 'runningStatusDetail', 'finishAt', 'outcome', 'statusDetail', 'resourceLocation'];

/** Validates a whole state document; throws a {@link StateError} at the first bad value. */
export function parseState(document: unknown): EmulatorSnapshot {
  const root = object(document, '(the document)', ['users', 'operations', 'scripts', 'applications']);
  const userEntries = list(root.users, 'users').map((entry, i) => readUser(entry, `users[${i}]`));
  const users = userEntries.map(({ user }) => user);
  const operations = list(root.operations, 'operations').map((entry, i) => readOperation(entry, `operations[${i}]`));
  refuseDuplicates(users, 'users', (u) => [
    `${u.tenantId}/${u.id}`,
    ...(u.userPrincipalName === null ? [] : [`${u.tenantId}/upn:${u.userPrincipalName.toLowerCase()}`]),
  ]);
  refuseDuplicates(operations, 'operations', ({ owner, operation }) => [`${owner.tenantId}/${owner.userId}/${operation.id}`]);
  const scripts = readScripts(root.scripts);
  refuseDuplicates(scripts, 'scripts', (script) => [script.id]);
  const applications = registration(() => readApplications(root.applications));
  const passwords = userEntries.flatMap(({ password }) => (password === undefined ? [] : [password]));
  return { users, operations, scripts, applications, passwords };
}

/** Applications of a state: each names its tenant, as every owner in a state does. */
function readApplications(value: unknown): ApplicationEntry[] {
  const entries = list(value, 'applications').map((entry, i) => readApplication(applicationFields(entry, `applications[${i}]`), `applications[${i}]`, null));
  refuseRepeatedClients(entries, 'applications');
  return entries;
}

/** The sign-in rules' own validation, its errors as the state format's. */
function registration<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof RegistrationError) throw new StateError(error.path, error.detail);
    throw error;
  }
}

/** The queue, in order, as many as it takes; a script without an id gets a new one. */
function readScripts(value: unknown): ResetScript[] {
  const entries = list(value, 'scripts');
  if (entries.length > MAX_QUEUED_SCRIPTS) throw new StateError('scripts', `holds ${entries.length} scripts; the queue takes at most ${MAX_QUEUED_SCRIPTS}.`);
  return entries.map((entry, i) => {
    try {
      return readResetScript(entry, `scripts[${i}]`, randomUUID);
    } catch (error) {
      if (error instanceof ScriptError) throw new StateError(error.path, error.detail);
      throw error;
    }
  });
}

/** A user as the state format writes it; with the hash of its password when it has one. */
export function userJson(user: DirectoryUser, passwordHash?: string) {
  return { tenantId: user.tenantId, id: user.id, userPrincipalName: user.userPrincipalName, ...(passwordHash !== undefined && { passwordHash }) };
}

export function operationStateJson({ owner, operation: op }: OwnedOperation) {
  const schedule = op.schedule;
  return {
    tenantId: owner.tenantId,
    userId: owner.userId,
    id: op.id,
    createdDateTime: formatDateTimeOffset(op.createdDateTime),
    lastActionDateTime: formatDateTimeOffset(op.lastActionDateTime),
    status: op.status,
    statusDetail: op.statusDetail,
    resourceLocation: op.resourceLocation,
    version: op.version,
    finishedAt: op.finishedAt === null ? null : formatDateTimeOffset(op.finishedAt),
    schedule: schedule
      ? {
          runAt: formatDateTimeOffset(schedule.runAt),
          runningStatusDetail: schedule.runningDetail ?? null,
          finishAt: formatDateTimeOffset(schedule.finishAt),
          outcome: schedule.outcome,
          statusDetail: schedule.detail,
          resourceLocation: schedule.resourceLocation,
        }
      : null,
  };
}

function readUser(entry: unknown, path: string): { user: DirectoryUser; password?: PasswordEntry } {
  const fields = object(entry, path, USER_FIELDS);
  const userPrincipalName = upn(fields.userPrincipalName, `${path}.userPrincipalName`);
  const user = { tenantId: tenantOf(fields, path), id: guid(fields.id, `${path}.id`), userPrincipalName };
  const secret = registration(() => readPassword(fields.password, fields.passwordHash, `${path}.password`));
  return { user, ...(secret !== undefined && { password: { tenantId: user.tenantId, userId: user.id, secret } }) };
}

/** `null` for a user whose UPN moved to another user (a rename): an export writes such users so. */
function upn(value: unknown, path: string): string | null {
  if (value === null) return null;
  if (typeof value !== 'string' || !isUserPrincipalName(value) || !isStorable(value)) {
    throw new StateError(path, 'must look like name@domain, or be null.');
  }
  return value;
}

function readOperation(entry: unknown, path: string): OwnedOperation {
  const fields = object(entry, path, OPERATION_FIELDS);
  const owner = { tenantId: tenantOf(fields, path), userId: guid(fields.userId, `${path}.userId`) };
  const createdDateTime = dateTime(fields.createdDateTime, `${path}.createdDateTime`);
  const changes = clientFields(fields, path);
  const status = changes.status ?? 'notStarted';
  const lastActionDateTime = changes.lastActionDateTime ?? createdDateTime;
  const operation: LongRunningOperation = {
    id: identifier(fields.id, `${path}.id`),
    createdDateTime,
    lastActionDateTime,
    status,
    statusDetail: changes.statusDetail ?? null,
    resourceLocation: changes.resourceLocation ?? null,
    version: version(fields.version, `${path}.version`),
    finishedAt: finishedAt(fields.finishedAt, `${path}.finishedAt`, isTerminal(status) ? lastActionDateTime : null),
  };
  const schedule = fields.schedule === undefined || fields.schedule === null ? undefined : readSchedule(fields.schedule, `${path}.schedule`);
  return { owner, operation: schedule ? { ...operation, schedule } : operation };
}

/** The properties a Graph client writes, each checked by the very rules of a POST (limits, enum, dates). */
function clientFields(fields: Record<string, unknown>, path: string): OperationChanges {
  let changes: OperationChanges = {};
  for (const name of CLIENT_FIELDS) {
    if (fields[name] === undefined) continue;
    try {
      changes = { ...changes, ...readOperationInput({ [name]: fields[name] }) };
    } catch (error) {
      if (error instanceof DomainError) throw new StateError(`${path}.${name}`, error.message);
      throw error;
    }
  }
  return changes;
}

function readSchedule(value: unknown, path: string): OperationSchedule {
  const fields = object(value, path, SCHEDULE_FIELDS);
  const runAt = dateTime(fields.runAt, `${path}.runAt`);
  const finishAt = dateTime(fields.finishAt, `${path}.finishAt`);
  if (finishAt < runAt) throw new StateError(`${path}.finishAt`, 'must not be before runAt.');
  const outcome = fields.outcome;
  if (outcome !== 'succeeded' && outcome !== 'failed') throw new StateError(`${path}.outcome`, "must be 'succeeded' or 'failed'.");
  const detail = fields.statusDetail ?? '';
  if (!isDetail(detail)) throw new StateError(`${path}.statusDetail`, `must be a text of at most ${OPERATION_PROPERTIES.statusDetail.maxLength} characters.`);
  const runningDetail = fields.runningStatusDetail ?? null;
  if (runningDetail !== null && !isDetail(runningDetail)) {
    throw new StateError(`${path}.runningStatusDetail`, `must be null or a text of at most ${OPERATION_PROPERTIES.statusDetail.maxLength} characters.`);
  }
  const location = fields.resourceLocation ?? null;
  if (location !== null && (typeof location !== 'string' || !isStorable(location) || location.length > OPERATION_PROPERTIES.resourceLocation.maxLength)) {
    throw new StateError(`${path}.resourceLocation`, `must be null or a text of at most ${OPERATION_PROPERTIES.resourceLocation.maxLength} characters.`);
  }
  return { runAt, finishAt, ...(runningDetail !== null && { runningDetail }), outcome, detail, resourceLocation: location };
}

function isDetail(value: unknown): value is string {
  return typeof value === 'string' && isStorable(value) && value.length <= OPERATION_PROPERTIES.statusDetail.maxLength;
}

/** An object holding only `allowed` fields. */
function object(value: unknown, path: string, allowed: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new StateError(path, 'must be a JSON object.');
  const unknown = Object.keys(value).find((name) => !allowed.includes(name));
  if (unknown !== undefined) throw new StateError(`${path}.${unknown}`, `is not a field of the state format (expected ${allowed.join(', ')}).`);
  return value as Record<string, unknown>;
}

/** An array; absent is empty. */
function list(value: unknown, path: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new StateError(path, 'must be a JSON array.');
  return value;
}

/** Required, unlike in a `--users` file: a state names every owner exactly, as an export writes it. */
function tenantOf(fields: Record<string, unknown>, path: string): string {
  return guid(fields.tenantId, `${path}.tenantId`);
}

/** Object ids compare case-insensitively; the store keeps them lowercase, as tokens' are. */
function guid(value: unknown, path: string): string {
  if (typeof value !== 'string' || !isGuid(value)) throw new StateError(path, 'must be a GUID.');
  return value.toLowerCase();
}

function identifier(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '' || value.length > MAX_ID_LENGTH || !isStorable(value)) {
    throw new StateError(path, `must be a non-empty text of at most ${MAX_ID_LENGTH} characters.`);
  }
  return value;
}

function dateTime(value: unknown, path: string): Ticks {
  const ticks = typeof value === 'string' ? parseDateTimeOffset(value) : undefined;
  if (ticks === undefined) throw new StateError(path, 'must be a DateTimeOffset such as 2024-05-01T12:34:56.1234567Z.');
  return ticks;
}

function version(value: unknown, path: string): number {
  if (value === undefined) return 1;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 2_147_483_647) {
    throw new StateError(path, 'must be a whole number from 1 to 2147483647.');
  }
  return value;
}

/** When a finished operation finished (retention counts from it); an open one has none. */
function finishedAt(value: unknown, path: string, fallback: Ticks | null): Ticks | null {
  if (value === undefined) return fallback;
  if (fallback === null) {
    if (value !== null) throw new StateError(path, 'must be null (or absent) while the status is open.');
    return null;
  }
  if (value === null) throw new StateError(path, 'must be a DateTimeOffset (or absent) once the status is succeeded or failed.');
  return dateTime(value, path);
}

function refuseDuplicates<T>(items: readonly T[], path: string, keys: (item: T) => string[]): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    for (const key of keys(item)) {
      if (seen.has(key)) throw new StateError(`${path}[${i}]`, 'repeats the key of an earlier entry.');
      seen.add(key);
    }
  });
}
