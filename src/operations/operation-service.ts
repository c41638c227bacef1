import { randomUUID } from 'node:crypto';
import { GraphError } from '../errors.js';
import type { ListQuery, OperationStore, SortValue } from '../store/store.js';
import type { Clock } from './clock.js';
import type { Filter } from './filter.js';
import type { LongRunningOperation, OperationChanges, OperationProperty, Owner } from './long-running-operation.js';
import { readOperationInput } from './operation-input.js';
import { advance, advanceAllDue, retryAfterSeconds } from './schedule.js';
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
 * writer starved by a storm of others, which is then told to retry (503), never refused with a 409 it did
 * not earn.
 */
const MAX_UPDATE_ATTEMPTS = 50;

/** The use cases on one user's operations. Knows nothing of HTTP or SQL. */
export class OperationService {
  constructor(
    private readonly store: OperationStore,
    private readonly clock: Clock,
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
    await advanceAllDue(this.store, owner, this.clock.now()); // so that $filter and $orderby see current statuses
    const rows = await this.store.list(owner, { ...query, limit: query.limit + 1 });
    if (rows.length <= query.limit) return { items: rows };
    const items = rows.slice(0, query.limit);
    return { items, next: cursorAfter(items[items.length - 1]!, query) };
  }

  async count(owner: Owner, filter?: Filter): Promise<number> {
    await advanceAllDue(this.store, owner, this.clock.now());
    return this.store.count(owner, filter);
  }

  /** How long a poller should wait before asking again: until the next scheduled step; none once finished. */
  pollAgainInSeconds(operation: LongRunningOperation): number | undefined {
    return retryAfterSeconds(operation, this.clock.now());
  }

  /**
   * Applies a partial update. Optimistic: read, decide, then write only if nobody changed the entity
   * meanwhile (the store's conditional UPDATE); on a race, decide again on the fresh state, so no
   * change is ever lost and a finished operation is never revived.
   */
  async update(owner: Owner, id: string, body: unknown, precondition?: VersionPrecondition): Promise<LongRunningOperation> {
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const current = await this.get(owner, id);
      checkPrecondition(current, precondition);
      const next = applyChanges(current, readOperationInput(body, current), () => this.clock.now());
      if (next === current) return current;
      const stored = await this.store.update(owner, next, current.version);
      if (stored !== undefined) return stored;
      await backOff(attempt);
    }
    throw new GraphError('serviceUnavailable', 'The operation kept changing while this request was applied; retry the request.', {
      'Retry-After': '1',
    });
  }

  async delete(owner: Owner, id: string, precondition?: VersionPrecondition): Promise<void> {
    const current = await this.get(owner, id);
    checkPrecondition(current, precondition);
    const expected = precondition === undefined ? undefined : current.version;
    if (!(await this.store.delete(owner, id, expected))) {
      // Gone (404) or changed (412) between the read and the delete: answer as if the request came a moment later.
      await this.get(owner, id);
      throw new GraphError('preconditionFailed', 'The operation changed since the ETag in If-Match was read.');
    }
  }
}

/** A short random pause, growing with the attempts, so racing writers stop colliding in lockstep. */
function backOff(attempt: number): Promise<void> {
  if (attempt === 0) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(2 * attempt, 25)));
}

function notFound(id: string): GraphError {
  return new GraphError('itemNotFound', `The longRunningOperation '${id}' does not exist.`);
}

function checkPrecondition(current: LongRunningOperation, precondition: VersionPrecondition | undefined): void {
  if (precondition === undefined || 'anyVersion' in precondition) return;
  if (!precondition.versions.includes(current.version)) {
    throw new GraphError('preconditionFailed', 'The ETag in If-Match does not match the current version of the operation.');
  }
}

/**
 * The entity after `changes`, or `current` itself when they change nothing. Enforces the lifecycle:
 * forward-only status, and a finished operation that never changes again (409).
 */
export function applyChanges(current: LongRunningOperation, changes: OperationChanges, now: () => bigint): LongRunningOperation {
  const changed = (Object.keys(changes) as (keyof OperationChanges)[]).filter((key) => changes[key] !== current[key]);
  if (changed.length === 0) return current;
  if (isTerminal(current.status)) {
    throw new GraphError(
      'conflict',
      `The operation has finished with status '${current.status}' and can no longer change (${changed.join(', ')}).`,
    );
  }
  const status = changes.status ?? current.status;
  if (!canMove(current.status, status)) {
    throw new GraphError('conflict', `The status cannot move back from '${current.status}' to '${status}'.`);
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
  const keys = query.orderBy.map((key) => key.property);
  if (!keys.includes('id')) keys.push('id');
  return keys.map((property) => sortValue(last, property));
}
