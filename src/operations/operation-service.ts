import { randomUUID } from 'node:crypto';
import type { Clock } from './clock.js';
import { TICKS_PER_MS } from './date-time-offset.js';
import { DomainError } from './domain-error.js';
import type { Filter } from './filter.js';
import type { LongRunningOperation, OperationChanges, OperationProperty, Owner } from './long-running-operation.js';
import { readOperationInput, readPatchWithoutEntity } from './operation-input.js';
import type { ChangeFeed } from './ports/change-feed.js';
import { totalOrder, type ListQuery, type OperationStore, type SortValue } from './ports/operation-store.js';
import { advance, advanceAllDue, advanceEach, dependsOnSteps, nextStepAt, retryAfterSeconds } from './schedule.js';
import { canMove, isTerminal, statusValue } from './status.js';

/** A condition on the entity's version, from `If-Match`: `*` (any existing entity) or a list of versions. */
export type VersionPrecondition = { readonly anyVersion: true } | { readonly versions: readonly number[] };

export interface OperationPage {
  readonly items: readonly LongRunningOperation[];
  /** The sort-key values after which the next page starts; absent on the last page. */
  readonly next?: readonly SortValue[];
}

/**
 * How often a PATCH re-reads and retries after another writer changed the entity between its read and its
 * write. Each lost round means another writer won, so the operation makes progress; the bound only stops a
 * writer starved by a storm of others, which is then told to retry (`contention`), never refused with a
 * conflict it did not earn.
 */
const MAX_UPDATE_ATTEMPTS = 50;

/** The use cases on one user's operations. Knows nothing of HTTP or SQL. */
export class OperationService {
  constructor(
    private readonly store: OperationStore,
    private readonly clock: Clock,
    private readonly changes: ChangeFeed = NO_CHANGE_FEED,
    private readonly newId: () => string = randomUUID,
  ) {}

  async create(owner: Owner, body: unknown): Promise<LongRunningOperation> {
    const changes = readOperationInput(body);
    const now = this.clock.now();
    const operation: LongRunningOperation = {
      id: this.newId(),
      createdDateTime: now,
      lastActionDateTime: changes.lastActionDateTime ?? now,
      status: changes.status ?? 'notStarted',
      statusDetail: changes.statusDetail ?? null,
      resourceLocation: changes.resourceLocation ?? null,
      version: 1,
      finishedAt: changes.status !== undefined && isTerminal(changes.status) ? now : null,
    };
    await this.store.insert(owner, operation);
    return operation;
  }

  /** The operation, after any step its schedule has due now (every read and PATCH goes through here). */
  async get(owner: Owner, id: string): Promise<LongRunningOperation> {
    const stored = await this.store.get(owner, id);
    const operation = stored?.schedule ? await advance(this.store, owner, stored, this.clock.now()) : stored;
    if (operation === undefined) throw notFound(id);
    return operation;
  }

  async list(owner: Owner, query: ListQuery): Promise<OperationPage> {
    const now = this.clock.now();
    // Before a $filter or $orderby that reads what steps write, every due step; otherwise those of the page.
    const stepsFirst = dependsOnSteps(query);
    if (stepsFirst) await advanceAllDue(this.store, owner, now);
    const rows = await this.store.list(owner, { ...query, limit: query.limit + 1 });
    const read = rows.slice(0, query.limit);
    const items = stepsFirst ? read : await advanceEach(this.store, owner, read, now);
    // The cursor is the last row read: its sort keys are ones no step changes.
    return rows.length <= query.limit ? { items } : { items, next: cursorAfter(read[read.length - 1]!, query) };
  }

  async count(owner: Owner, filter?: Filter): Promise<number> {
    if (dependsOnSteps({ filter })) await advanceAllDue(this.store, owner, this.clock.now());
    return this.store.count(owner, filter);
  }

  /**
   * `Prefer: wait`: the operation once it is no longer at `seen`'s version — changed, finished or deleted
   * (`notFound`) — or as it is after `forMs`, or when the client has gone (`hangup`). Holds no database connection while it waits:
   * the store's change feed signals, and the schedule's next step sets a timer of its own.
   */
  async getAfterChange(owner: Owner, seen: LongRunningOperation, forMs: number, hangup?: Hangup): Promise<LongRunningOperation> {
    const deadline = performance.now() + forMs;
    // Watching starts before the read below, so a change between that read and the wait is not missed.
    const watch = await this.changes.watch(owner, seen.id, forMs);
    try {
      let current = await this.get(owner, seen.id);
      while (watch && !watch.released && current.version === seen.version && !isTerminal(current.status) && !hangup?.hungUp) {
        const remaining = deadline - performance.now();
        if (remaining <= 0) break;
        await untilSignalled(watch.changed(), Math.min(remaining, this.#msUntilNextStep(current)), hangup);
        current = await this.get(owner, seen.id);
      }
      return current;
    } finally {
      await watch?.close();
    }
  }

  #msUntilNextStep(operation: LongRunningOperation): number {
    const now = this.clock.now();
    const next = nextStepAt(operation, now);
    return next === undefined ? Infinity : Number((next - now) / TICKS_PER_MS) + 1;
  }

  /** How long a poller should wait before asking again: until the next scheduled step; none once finished. */
  pollAgainInSeconds(operation: LongRunningOperation): number | undefined {
    // Reading the clock is for schedules only: an unscheduled answer does not depend on the time (this runs on every read).
    return operation.schedule ? retryAfterSeconds(operation, this.clock.now()) : retryAfterSeconds(operation, 0n);
  }

  /**
   * Applies a partial update. Optimistic: read, decide, then write only if nobody changed the entity
   * meanwhile (the store's conditional UPDATE); on a race, decide again on the fresh state, so no
   * change is ever lost and a finished operation is never revived.
   */
  async update(owner: Owner, id: string, body: unknown, precondition?: VersionPrecondition): Promise<LongRunningOperation> {
    const written = await this.#patchDirectly(owner, id, body, precondition);
    if (written !== undefined) return written;
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const current = await this.get(owner, id);
      checkPrecondition(current, precondition);
      const next = applyChanges(current, readOperationInput(body, current), () => this.clock.now());
      if (next === current) return current;
      const stored = await this.store.update(owner, next, current.version);
      if (stored !== undefined) return stored;
      await backOff(attempt);
    }
    throw new DomainError('contention', 'The operation kept changing while this request was applied; retry the request.');
  }

  /**
   * The common PATCH in one round trip: the store applies the lifecycle rules in its UPDATE. Answers
   * `undefined` when that did not write — nothing to change, a refusal to explain, a schedule to advance
   * first, an echo to check, several ETags —, and the read-decide-write path above takes over.
   */
  async #patchDirectly(owner: Owner, id: string, body: unknown, precondition: VersionPrecondition | undefined): Promise<LongRunningOperation | undefined> {
    const versions = precondition && 'versions' in precondition ? precondition.versions : undefined;
    if (versions !== undefined && versions.length !== 1) return undefined;
    const changes = readPatchWithoutEntity(body);
    if (changes === undefined || Object.keys(changes).length === 0) return undefined;
    return this.store.patch(owner, id, { changes, now: this.clock.now(), ...(versions && { version: versions[0] }) });
  }

  async delete(owner: Owner, id: string, precondition?: VersionPrecondition): Promise<void> {
    const current = await this.get(owner, id);
    checkPrecondition(current, precondition);
    const expected = precondition === undefined ? undefined : current.version;
    if (!(await this.store.delete(owner, id, expected))) {
      // Gone or changed between the read and the delete: answer as if the request came a moment later.
      await this.get(owner, id);
      throw new DomainError('versionMismatch', 'The operation changed since the ETag in If-Match was read.');
    }
  }
}

/** Without a feed, a wait ends at the operation's next scheduled step or at its deadline, re-reading then. */
const NO_CHANGE_FEED: ChangeFeed = {
  watch: async () => ({ changed: () => new Promise<void>(() => {}), released: false, close: async () => {} }),
  releaseAll: () => {},
  signalAll: async () => {},
  watching: () => 0,
};

/**
 * The client of a waiting request going away. A promise and a flag rather than an `AbortSignal`: a waiter
 * holds one for as long as it waits, and an AbortController with its listener costs twice the memory
 * (about 1.2 KB against 0.6 KB, measured), which thousands of waiters multiply.
 */
export interface Hangup {
  readonly hungUp: boolean;
  /** Resolves when the client has gone. */
  readonly closed: Promise<void>;
}

/** Resolves at the first of: `signalled`, `ms` passed, the client gone; leaves no timer behind. */
function untilSignalled(signalled: Promise<void>, ms: number, hangup: Hangup | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, ms);
    void hangup?.closed.then(done);
    void signalled.then(done);
  });
}

/** A short random pause, growing with the attempts, so racing writers stop colliding in lockstep. */
function backOff(attempt: number): Promise<void> {
  if (attempt === 0) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(2 * attempt, 25)));
}

function notFound(id: string): DomainError {
  return new DomainError('notFound', `The longRunningOperation '${id}' does not exist.`);
}

function checkPrecondition(current: LongRunningOperation, precondition: VersionPrecondition | undefined): void {
  if (precondition === undefined || 'anyVersion' in precondition) return;
  if (!precondition.versions.includes(current.version)) {
    throw new DomainError('versionMismatch', 'The ETag in If-Match does not match the current version of the operation.');
  }
}

/**
 * The entity after `changes`, or `current` itself when they change nothing. Enforces the lifecycle:
 * forward-only status, and a finished operation that never changes again (a `conflict`).
 */
export function applyChanges(current: LongRunningOperation, changes: OperationChanges, now: () => bigint): LongRunningOperation {
  const changed = (Object.keys(changes) as (keyof OperationChanges)[]).filter((key) => changes[key] !== current[key]);
  if (changed.length === 0) return current;
  if (isTerminal(current.status)) {
    throw new DomainError(
      'conflict',
      `The operation has finished with status '${current.status}' and can no longer change (${changed.join(', ')}).`,
    );
  }
  const status = changes.status ?? current.status;
  if (!canMove(current.status, status)) {
    throw new DomainError('conflict', `The status cannot move back from '${current.status}' to '${status}'.`);
  }
  let time: bigint | undefined;
  const clock = () => (time ??= now()); // read once, and only when something needs the server's time
  return {
    ...current,
    ...changes,
    lastActionDateTime: changes.lastActionDateTime ?? clock(),
    finishedAt: isTerminal(status) ? clock() : null,
  };
}

/** An operation's value of a sort key, in the form stores compare. */
export function sortValue(operation: LongRunningOperation, property: OperationProperty): SortValue {
  return property === 'status' ? statusValue(operation.status) : operation[property];
}

function cursorAfter(last: LongRunningOperation, query: ListQuery): SortValue[] {
  return totalOrder(query.orderBy).map((key) => sortValue(last, key.property));
}
