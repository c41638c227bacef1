import { TICKS_PER_SECOND, type Ticks } from './date-time-offset.js';
import { filterProperties, type Filter } from './filter.js';
import type { LongRunningOperation, OperationProperty, Owner } from './long-running-operation.js';
import type { AdminStore, OwnedOperation } from './ports/admin-store.js';
import type { OperationStore, OrderKey } from './ports/operation-store.js';
import { isTerminal } from './status.js';

/**
 * Operations the server drives itself (password resets), evaluated against the service's clock. Before
 * Graph's routes answer with an operation, a step its schedule says is due is written through the store's
 * conditional update, so racing instances write it once (a loser re-reads and decides again), a
 * controllable clock can jump past steps, and every instance on the same database tells the same story. A
 * client that finishes the operation first wins: a finished operation has no steps left. What nobody reads
 * is advanced by every instance's background sweep ({@link advanceEveryDue} on a timer, see `app.ts`) and
 * by the retention purge; the admin views only project steps ({@link dueStep}), so polling them writes nothing.
 */

/**
 * The operation as its schedule has it at `now`, or `undefined` when no step is due. Steps are dated by
 * the schedule, not by when they are noticed, so the answer does not depend on when anyone polls.
 */
export function dueStep(op: LongRunningOperation, now: Ticks): LongRunningOperation | undefined {
  const schedule = op.schedule;
  if (!schedule || isTerminal(op.status)) return undefined;
  if (now >= schedule.finishAt) {
    return {
      ...op,
      status: schedule.outcome,
      statusDetail: schedule.detail,
      resourceLocation: schedule.resourceLocation,
      lastActionDateTime: schedule.finishAt,
      finishedAt: schedule.finishAt,
    };
  }
  if (now >= schedule.runAt && op.status === 'notStarted') {
    const running = { ...op, status: 'running' as const, lastActionDateTime: schedule.runAt };
    return schedule.runningDetail === undefined ? running : { ...running, statusDetail: schedule.runningDetail };
  }
  return undefined;
}

/** Attempts to write a due step while other writers keep changing the operation; each lost round means one of them won. */
const MAX_ATTEMPTS = 10;

/**
 * Writes the step of `op`'s schedule due at `now`, if any. Answers the operation as stored afterwards, or
 * `undefined` when it was deleted meanwhile.
 */
export async function advance(store: OperationStore, owner: Owner, op: LongRunningOperation, now: Ticks): Promise<LongRunningOperation | undefined> {
  let current: LongRunningOperation | undefined = op;
  for (let attempt = 0; current !== undefined && attempt < MAX_ATTEMPTS; attempt++) {
    const next = dueStep(current, now);
    if (next === undefined) return current;
    const stored = await store.update(owner, next, current.version);
    if (stored !== undefined) return stored;
    current = await store.get(owner, op.id);
  }
  return current;
}

/** The properties a step writes (besides the version and the finish time, which no query can read). */
const STEP_PROPERTIES: ReadonlySet<OperationProperty> = new Set(['status', 'statusDetail', 'resourceLocation', 'lastActionDateTime']);

/**
 * Whether due steps can change which operations a listing or count answers, or their order: only when its
 * filter or its order reads a property a step writes. Otherwise the same rows come in the same order before
 * and after the steps, and advancing the rows read ({@link advanceEach}) is enough: no probe for due steps,
 * which on PostgreSQL is a round trip of its own.
 */
export function dependsOnSteps(query: { readonly filter?: Filter; readonly orderBy?: readonly OrderKey[] }): boolean {
  const read = [...(query.filter ? filterProperties(query.filter) : []), ...(query.orderBy ?? []).map((key) => key.property)];
  return read.some((property) => STEP_PROPERTIES.has(property));
}

/** `operations` with each one's due step written, in the same order; one deleted meanwhile is left out. */
export async function advanceEach(store: OperationStore, owner: Owner, operations: readonly LongRunningOperation[], now: Ticks): Promise<LongRunningOperation[]> {
  const current: LongRunningOperation[] = [];
  for (const op of operations) {
    const advanced = dueStep(op, now) === undefined ? op : await advance(store, owner, op, now);
    if (advanced !== undefined) current.push(advanced);
  }
  return current;
}

const DUE_BATCH = 100;
const MAX_DUE_BATCHES = 10;

/**
 * Advances every operation of `owner` with a step due at `now`, so that a `$filter`, `$orderby` or
 * `$count` that reads what steps write (see {@link dependsOnSteps}) sees them as they are. For an owner
 * without due steps this is one index lookup that finds nothing.
 */
export async function advanceAllDue(store: OperationStore, owner: Owner, now: Ticks): Promise<void> {
  await advanceInBatches(store, now, async (limit) => (await store.listDue(owner, now, limit)).map((operation) => ({ owner, operation })));
}

/**
 * Advances the operations of every owner with a step due at `now`, so that the admin API's counts, and
 * what the retention purge counts from, are what the schedules say even when nobody polled: the background
 * sweep, the purge and a move of the emulator's clock run it, never a request. One index lookup when
 * nothing is due.
 */
export async function advanceEveryDue(admin: AdminStore, store: OperationStore, now: Ticks): Promise<void> {
  await advanceInBatches(store, now, (limit) => admin.listDue(now, limit));
}

/** Bounded, so one call never runs away after a long quiet spell: the next call goes on where it stopped. */
async function advanceInBatches(store: OperationStore, now: Ticks, listDue: (limit: number) => Promise<readonly OwnedOperation[]>): Promise<void> {
  for (let batch = 0; batch < MAX_DUE_BATCHES; batch++) {
    const due = await listDue(DUE_BATCH);
    for (const { owner, operation } of due) await advance(store, owner, operation, now);
    if (due.length < DUE_BATCH) return;
  }
}

/**
 * `Retry-After` for a poll of an unfinished operation: whole seconds until its next scheduled step, at
 * least 1; 1 for an open operation without a schedule; `undefined` once it has finished.
 */
export function retryAfterSeconds(op: LongRunningOperation, now: Ticks): number | undefined {
  if (isTerminal(op.status)) return undefined;
  const next = nextStepAt(op, now);
  if (next === undefined) return 1;
  const seconds = (next - now + TICKS_PER_SECOND - 1n) / TICKS_PER_SECOND; // rounded up
  return seconds < 1n ? 1 : Number(seconds);
}

/** When the schedule of an unfinished operation takes its next step, or `undefined` when it has none. */
export function nextStepAt(op: LongRunningOperation, now: Ticks): Ticks | undefined {
  const schedule = op.schedule;
  if (!schedule || isTerminal(op.status)) return undefined;
  return op.status === 'notStarted' && schedule.runAt > now ? schedule.runAt : schedule.finishAt;
}
