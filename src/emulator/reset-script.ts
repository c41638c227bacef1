import { TICKS_PER_SECOND, type Ticks } from '../operations/date-time-offset.js';
import { DomainError, type DomainErrorKind } from '../operations/domain-error.js';
import { isStorable, readOperationInput } from '../operations/operation-input.js';
import type { ScriptedReset } from '../operations/ports/reset-scripts.js';
import { parseStatus } from '../operations/status.js';
import { isGuid, isUserPrincipalName } from '../users/object-id.js';
import { formatIsoDuration, parseIsoDuration } from './iso-duration.js';

/**
 * One script of a password reset's outcome, in the one format of `POST /admin/scripts` and of the state
 * format's `scripts`: `{"user"?, "steps": [{"after", "status", "statusDetail"?, "resourceLocation"?}]}`,
 * with its `id` in the state format. The steps follow the lifecycle forwards from `notStarted`: at most one
 * `running` step, then the outcome, `succeeded` or `failed`, last; each `after` the reset's request, never
 * before the step ahead of it.
 */

export type ScriptedStatus = 'running' | 'succeeded' | 'failed';

export interface ScriptStep {
  /** From the reset's request. */
  readonly after: Ticks;
  readonly status: ScriptedStatus;
  /** Absent: a running step leaves `statusDetail` as it is; the outcome writes its default (see `ScriptedReset`). */
  readonly statusDetail?: string;
  /** The outcome's only; absent: its default (see `ScriptedReset`). */
  readonly resourceLocation?: string | null;
}

export interface ResetScript {
  /** A GUID, lowercase. */
  readonly id: string;
  /** An object id (lowercase) or a userPrincipalName (as given); `null`: the next reset of anyone. */
  readonly user: string | null;
  readonly steps: readonly ScriptStep[];
}

/** The latest step, so that a reset started at the latest time the emulator's clock reaches still ends within the calendar. */
export const MAX_AFTER: Ticks = 365n * 24n * 3600n * TICKS_PER_SECOND;
/** As long as a path segment may be on Graph's routes, as the admin API's `user` parameter. */
const MAX_USER_LENGTH = 512;

const STEP_FIELDS = ['after', 'status', 'statusDetail', 'resourceLocation'];

/** A script that is not valid; `path` names the offending value (`steps[1].after`), `detail` what is wrong with it. */
export class ScriptError extends DomainError {
  override readonly name = 'ScriptError';

  constructor(
    readonly path: string,
    readonly detail: string,
    kind: DomainErrorKind = 'invalidValue',
  ) {
    super(kind, `${path}: ${detail}`);
  }
}

/**
 * Validates a script; throws a {@link ScriptError} at the first bad value. `path` is where the script
 * stands in its document (`scripts[2]`), empty for a request body. With `newId`, the state format: an
 * `id` (a GUID) may be given, and `newId` makes one when it is not; without, the body of a POST, where the
 * id is the service's to give.
 */
export function readResetScript(value: unknown, path: ''): Omit<ResetScript, 'id'>;
export function readResetScript(value: unknown, path: string, newId: () => string): ResetScript;
export function readResetScript(value: unknown, path: string, newId?: () => string): ResetScript | Omit<ResetScript, 'id'> {
  const at = (name: string) => (path === '' ? name : `${path}.${name}`);
  const fields = object(value, path === '' ? '(the body)' : path, 'script', newId ? ['id', 'user', 'steps'] : ['user', 'steps'], at);
  const script = { user: readUser(fields.user, at('user')), steps: readSteps(fields.steps, at('steps')) };
  if (!newId) return script;
  if (fields.id === undefined) return { id: newId(), ...script };
  if (typeof fields.id !== 'string' || !isGuid(fields.id)) throw new ScriptError(at('id'), 'must be a GUID, or left out for a new one.');
  return { id: fields.id.toLowerCase(), ...script };
}

/** The script as the API answers it and the state format writes it: `after` as the shortest ISO 8601 duration. */
export function resetScriptJson(script: ResetScript) {
  return {
    id: script.id,
    user: script.user,
    steps: script.steps.map((step) => ({
      after: formatIsoDuration(step.after),
      status: step.status,
      ...(step.statusDetail !== undefined && { statusDetail: step.statusDetail }),
      ...(step.resourceLocation !== undefined && { resourceLocation: step.resourceLocation }),
    })),
  };
}

/** The steps as the domain takes them: the running step, if any, and the outcome (the last step, by validation). */
export function scriptedReset(steps: readonly ScriptStep[]): ScriptedReset {
  const last = steps.at(-1)!;
  const running = steps.length > 1 ? steps[0]! : undefined;
  return {
    ...(running && { running: { after: running.after, ...(running.statusDetail !== undefined && { statusDetail: running.statusDetail }) } }),
    finish: {
      after: last.after,
      outcome: last.status === 'failed' ? 'failed' : 'succeeded',
      ...(last.statusDetail !== undefined && { statusDetail: last.statusDetail }),
      ...(last.resourceLocation !== undefined && { resourceLocation: last.resourceLocation }),
    },
  };
}

function readUser(value: unknown, path: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' && value.length <= MAX_USER_LENGTH) {
    if (isGuid(value)) return value.toLowerCase();
    if (isUserPrincipalName(value) && isStorable(value)) return value;
  }
  throw new ScriptError(path, 'must be an object id (a GUID) or a userPrincipalName (name@domain), or left out for the next reset of anyone.');
}

/** The steps, each checked as it comes, so a long array is refused at its first step too many. */
function readSteps(value: unknown, path: string): ScriptStep[] {
  if (!Array.isArray(value)) throw new ScriptError(path, 'must be a JSON array of steps, such as [{"after": "PT3S", "status": "succeeded"}].');
  const steps: ScriptStep[] = [];
  value.forEach((entry, i) => {
    const previous = steps.at(-1);
    if (previous !== undefined && previous.status !== 'running') {
      throw new ScriptError(`${path}[${i}]`, `comes after the outcome (${path}[${i - 1}], ${previous.status}): a finished operation takes no more steps.`);
    }
    const step = readStep(entry, `${path}[${i}]`);
    if (previous !== undefined && step.status === 'running') {
      throw new ScriptError(`${path}[${i}].status`, 'a reset runs once: at most one running step, before the outcome.');
    }
    if (previous !== undefined && step.after < previous.after) {
      throw new ScriptError(
        `${path}[${i}].after`,
        `must not be before the step ahead of it (${formatIsoDuration(previous.after)}): both count from the reset's request.`,
      );
    }
    steps.push(step);
  });
  const last = steps.at(-1);
  if (last === undefined) throw new ScriptError(path, 'must hold the outcome: a last step whose status is succeeded or failed.');
  if (last.status === 'running') throw new ScriptError(`${path}[${steps.length - 1}].status`, 'the last step must be the outcome: succeeded or failed.');
  return steps;
}

function readStep(value: unknown, path: string): ScriptStep {
  const fields = object(value, path, 'step', STEP_FIELDS, (name) => `${path}.${name}`);
  const after = typeof fields.after === 'string' ? parseIsoDuration(fields.after) : undefined;
  if (after === undefined) {
    throw new ScriptError(`${path}.after`, "must be an ISO 8601 duration from the reset's request, such as PT3S or PT0.5S (weeks, days, hours, minutes, seconds).");
  }
  if (after > MAX_AFTER) throw new ScriptError(`${path}.after`, `must be at most ${formatIsoDuration(MAX_AFTER)}.`);
  const status = readStatus(fields.status, `${path}.status`);
  if (status === 'running' && fields.resourceLocation !== undefined) {
    throw new ScriptError(`${path}.resourceLocation`, 'is written by the outcome only: leave it out of a running step.');
  }
  const statusDetail = fields.statusDetail === undefined ? undefined : readText('statusDetail', fields.statusDetail, path);
  const resourceLocation = fields.resourceLocation === undefined ? undefined : readText('resourceLocation', fields.resourceLocation, path);
  return {
    after,
    status,
    ...(statusDetail !== undefined && { statusDetail }),
    ...(resourceLocation !== undefined && { resourceLocation }),
  };
}

function readStatus(value: unknown, path: string): ScriptedStatus {
  const status = typeof value === 'string' ? parseStatus(value) : undefined;
  if (status === 'running' || status === 'succeeded' || status === 'failed') return status;
  if (status === 'notStarted') throw new ScriptError(path, 'cannot be notStarted: every reset starts so; a step moves it on to running, succeeded or failed.');
  throw new ScriptError(path, 'must be running, succeeded or failed.');
}

/** `statusDetail` (a text) or `resourceLocation` (a text or null), within the model's limits. */
function readText(property: 'statusDetail', value: unknown, path: string): string;
function readText(property: 'resourceLocation', value: unknown, path: string): string | null;
function readText(property: 'statusDetail' | 'resourceLocation', value: unknown, path: string): string | null {
  if (value === null && property === 'statusDetail') {
    throw new ScriptError(`${path}.${property}`, 'must be a text; leave it out for the default.');
  }
  try {
    return readOperationInput({ [property]: value })[property] ?? null;
  } catch (error) {
    if (error instanceof DomainError) throw new ScriptError(`${path}.${property}`, error.message);
    throw error;
  }
}

/** An object holding only `allowed` fields; `at` names a field's path. */
function object(value: unknown, path: string, what: string, allowed: readonly string[], at: (name: string) => string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ScriptError(path, 'must be a JSON object.', 'malformed');
  const unknown = Object.keys(value).find((name) => !allowed.includes(name));
  if (unknown !== undefined) throw new ScriptError(at(unknown), `is not a member of a ${what} (expected ${allowed.join(', ')}).`, 'unknownProperty');
  return value as Record<string, unknown>;
}
