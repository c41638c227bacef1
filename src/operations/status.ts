/**
 * microsoft.graph.longRunningOperationStatus and its lifecycle: forward only,
 * notStarted → running → succeeded | failed, steps may be skipped, terminal states never change.
 */

/** The members a stored operation can hold, in the enum's value order (0–3). */
export const OPERATION_STATUSES = ['notStarted', 'running', 'succeeded', 'failed'] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];

/** The evolvable-enum sentinel (value 4): never stored; in a PATCH it means "leave the status as it is". */
export const UNKNOWN_FUTURE_VALUE = 'unknownFutureValue';

/** Every member of the enum as Graph's metadata declares it, with its value. */
export const STATUS_ENUM_MEMBERS = [...OPERATION_STATUSES, UNKNOWN_FUTURE_VALUE] as const;

const BY_LOWER_NAME = new Map<string, OperationStatus | typeof UNKNOWN_FUTURE_VALUE>(
  STATUS_ENUM_MEMBERS.map((name) => [name.toLowerCase(), name]),
);

/** Case-insensitive lookup (the seed spells `notstarted`); `undefined` for anything that is not a member. */
export function parseStatus(text: string): OperationStatus | typeof UNKNOWN_FUTURE_VALUE | undefined {
  return BY_LOWER_NAME.get(text.toLowerCase());
}

export function statusValue(status: OperationStatus): number {
  return OPERATION_STATUSES.indexOf(status);
}

export function statusFromValue(value: number): OperationStatus {
  const status = OPERATION_STATUSES[value];
  if (status === undefined) throw new RangeError(`no longRunningOperationStatus has the value ${value}`);
  return status;
}

export function isTerminal(status: OperationStatus): boolean {
  return TRANSITIONS[status].size === 0;
}

/** Every move the lifecycle allows, staying put aside. */
const TRANSITIONS: Readonly<Record<OperationStatus, ReadonlySet<OperationStatus>>> = {
  notStarted: new Set(['running', 'succeeded', 'failed']),
  running: new Set(['succeeded', 'failed']),
  succeeded: new Set(),
  failed: new Set(),
};

export function canMove(from: OperationStatus, to: OperationStatus): boolean {
  return from === to || TRANSITIONS[from].has(to);
}

/** The statuses an operation may still change from; stores use it to guard their UPDATEs. */
export const OPEN_STATUSES: readonly OperationStatus[] = OPERATION_STATUSES.filter((s) => !isTerminal(s));
