import { randomInt, randomUUID } from 'node:crypto';
import type { Clock } from './clock.js';
import { TICKS_PER_SECOND, type Ticks } from './date-time-offset.js';
import { DomainError } from './domain-error.js';
import type { LongRunningOperation, OperationSchedule, Owner } from './long-running-operation.js';
import type { OperationStore } from './ports/operation-store.js';
import type { ResetScriptSource, ScriptedReset } from './ports/reset-scripts.js';
import { retryAfterSeconds } from './schedule.js';

/** Graph gives every user's password method this one id; any other id names no password method. */
export const PASSWORD_METHOD_ID = '28c10230-6103-485e-b985-444c60001490';

/** The `statusDetail` of a reset that succeeded, as Graph writes it. */
export const RESET_SUCCESS = 'ResetSuccess';

export interface PasswordResetOptions {
  /** From the request to the finish (default 5 s); the operation is `running` from halfway. */
  readonly durationTicks?: Ticks;
  /** The share of resets that fail, from 0 (default) to 1. */
  readonly failureRate?: number;
  /** The `statusDetail` of a failed reset. */
  readonly failureReason?: string;
  /** Uniform in [0, 1); decides which resets fail. Inject a seeded one for repeatable runs. */
  readonly random?: () => number;
}

export const PASSWORD_RESET_DEFAULTS = {
  durationTicks: 5n * TICKS_PER_SECOND,
  failureRate: 0,
  failureReason: 'PasswordPolicyViolation',
} as const;

export interface PasswordResetStarted {
  /** The operation that tracks the reset, as created: `notStarted`, with its schedule. */
  readonly operation: LongRunningOperation;
  /** The password the service made up, when the caller sent none. */
  readonly generatedPassword?: string;
  /** Seconds until the operation's first step, for the 202's `Retry-After`. */
  readonly retryAfterSeconds: number;
}

/**
 * Starts password resets: each is a longRunningOperation of the target user, created `notStarted` with a
 * schedule that the service advances as it is read, and in a background sweep (`schedule.ts`). The schedule
 * is a script's when `scripts` has one for the target user, otherwise the options'. The password itself is
 * neither stored nor logged: the emulator has no accounts to change.
 */
export class PasswordResets {
  private readonly durationTicks: Ticks;
  private readonly failureRate: number;
  private readonly failureReason: string;
  private readonly random: () => number;

  constructor(
    private readonly store: OperationStore,
    private readonly clock: Clock,
    options: PasswordResetOptions = {},
    /** The emulator's scripted outcomes (`--emulator-state`); without it every reset follows the options. */
    private readonly scripts?: ResetScriptSource,
    private readonly newId: () => string = randomUUID,
  ) {
    this.durationTicks = options.durationTicks ?? PASSWORD_RESET_DEFAULTS.durationTicks;
    this.failureRate = options.failureRate ?? PASSWORD_RESET_DEFAULTS.failureRate;
    if (!(this.failureRate >= 0 && this.failureRate <= 1)) throw new RangeError(`a failure rate is from 0 to 1, not ${this.failureRate}`);
    if (this.durationTicks < 0n) throw new RangeError('a reset cannot take a negative time');
    this.failureReason = options.failureReason ?? PASSWORD_RESET_DEFAULTS.failureReason;
    this.random = options.random ?? Math.random;
  }

  /** `resourceLocation`: the URL of the user's password method, which a successful reset points to. */
  async start(owner: Owner, body: unknown, resourceLocation: string): Promise<PasswordResetStarted> {
    const newPassword = readResetBody(body);
    const now = this.clock.now(); // a script's steps count from the request, as the options' duration does
    const script = await this.scripts?.take(owner);
    const operation: LongRunningOperation = {
      id: this.newId(),
      createdDateTime: now,
      lastActionDateTime: now,
      status: 'notStarted',
      statusDetail: null,
      resourceLocation: null,
      version: 1,
      finishedAt: null,
      schedule: script ? this.scripted(script, now, resourceLocation) : this.unscripted(now, resourceLocation),
    };
    await this.store.insert(owner, operation);
    const retryAfter = retryAfterSeconds(operation, now) ?? 1;
    if (newPassword !== undefined) return { operation, retryAfterSeconds: retryAfter };
    return { operation, generatedPassword: generatePassword(), retryAfterSeconds: retryAfter };
  }

  /** `--reset-duration`, running from halfway; `--reset-failure-rate` decides the outcome. */
  private unscripted(now: Ticks, resourceLocation: string): OperationSchedule {
    const fails = this.random() < this.failureRate;
    return {
      runAt: now + this.durationTicks / 2n,
      finishAt: now + this.durationTicks,
      outcome: fails ? 'failed' : 'succeeded',
      detail: fails ? this.failureReason : RESET_SUCCESS,
      resourceLocation: fails ? null : resourceLocation,
    };
  }

  /** The script's steps from `now`; without a running step, `runAt` is the finish (no running step, see `OperationSchedule`). */
  private scripted({ running, finish }: ScriptedReset, now: Ticks, resourceLocation: string): OperationSchedule {
    const succeeds = finish.outcome === 'succeeded';
    const finishAt = now + finish.after;
    return {
      runAt: running === undefined ? finishAt : now + running.after,
      finishAt,
      ...(running?.statusDetail !== undefined && { runningDetail: running.statusDetail }),
      outcome: finish.outcome,
      detail: finish.statusDetail ?? (succeeds ? RESET_SUCCESS : this.failureReason),
      resourceLocation: finish.resourceLocation !== undefined ? finish.resourceLocation : succeeds ? resourceLocation : null,
    };
  }
}

/** The action's parameters: none at all, or an object whose only member is `newPassword`, a string. */
export function readResetBody(body: unknown): string | undefined {
  if (body === undefined) return undefined;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DomainError('malformed', 'The request body must be a JSON object.');
  }
  for (const name of Object.keys(body)) {
    if (name !== 'newPassword') {
      throw new DomainError('unknownProperty', `The parameter '${name}' in the request payload is not a valid parameter for the operation 'resetPassword'.`);
    }
  }
  const { newPassword } = body as { newPassword?: unknown };
  if (newPassword === undefined) return undefined;
  if (typeof newPassword !== 'string') throw new DomainError('invalidValue', "The parameter 'newPassword' must be a string.");
  return newPassword;
}

const CHARACTER_CLASSES = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789', '!#$%&*+-=?@'];
const PASSWORD_LENGTH = 16;

/** A temporary password that meets Entra's complexity rules: 16 characters, every character class. */
export function generatePassword(): string {
  const all = CHARACTER_CLASSES.join('');
  const chars = CHARACTER_CLASSES.map((set) => set[randomInt(set.length)]!);
  while (chars.length < PASSWORD_LENGTH) chars.push(all[randomInt(all.length)]!);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}
