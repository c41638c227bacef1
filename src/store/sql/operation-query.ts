import type { CompareOp, Filter, FilterValue, MatchFn } from '../../operations/filter.js';
import type { LongRunningOperation, OperationProperty, OperationSchedule, Owner } from '../../operations/long-running-operation.js';
import { totalOrder, type DirectPatch, type ListQuery, type OrderKey, type SortValue } from '../../operations/ports/operation-store.js';
import { isTerminal, OPEN_STATUSES, OPERATION_STATUSES, statusFromValue, statusValue } from '../../operations/status.js';

/**
 * SQL for listing and counting one owner's operations, shared by every engine. Values only ever reach the
 * database as bound parameters (status values aside: the schema's constants, see {@link OPEN_STATUS_LIST});
 * column names only ever come from {@link COLUMNS}. What differs between engines is the {@link Dialect}.
 */
export interface Dialect {
  /** The placeholder of the n-th bound value (1-based): `?` for SQLite, `$n` for PostgreSQL. */
  placeholder(n: number): string;
  /** Null-safe equality and inequality: true or false, never NULL. */
  readonly same: string;
  readonly notSame: string;
  /** A condition that is always false. */
  readonly never: string;
  /** A named parameter, bound once however often the text reads it: `@name` for SQLite, `$position` for PostgreSQL. */
  parameter(name: string, position: number): string;
  /** A placeholder with its SQL type spelled out, where the database cannot infer it (`$1 IS NULL`). */
  typed(placeholder: string, type: SqlType): string;
  /** Case-sensitive string tests of a column against a non-empty value; `value()` binds it (again). */
  readonly match: Readonly<Record<MatchFn, (column: string, value: () => string) => string>>;
  /** The primary key of `operations`, in the order of the engine's own key (see the migrations). */
  readonly operationKey: string;
}

export type SqlType = 'smallint' | 'integer' | 'bigint' | 'text';

export const SQLITE: Dialect = {
  placeholder: () => '?',
  parameter: (name) => `@${name}`,
  same: 'IS',
  notSame: 'IS NOT',
  never: '0',
  typed: (placeholder) => placeholder,
  match: {
    // Not LIKE/GLOB: LIKE ignores ASCII case in SQLite, and both need the value's wildcards escaped.
    startswith: (column, value) => `substr(${column}, 1, length(${value()})) = ${value()}`,
    endswith: (column, value) => `substr(${column}, -length(${value()})) = ${value()}`,
    contains: (column, value) => `instr(${column}, ${value()}) > 0`,
  },
  operationKey: 'tenant_id, user_id, id',
};

export const POSTGRES: Dialect = {
  placeholder: (n) => `$${n}`,
  parameter: (_name, position) => `$${position}`,
  same: 'IS NOT DISTINCT FROM',
  notSame: 'IS DISTINCT FROM',
  never: 'FALSE',
  typed: (placeholder, type) => `${placeholder}::${type}`,
  match: {
    startswith: (column, value) => `starts_with(${column}, ${value()})`,
    endswith: (column, value) => `right(${column}, length(${value()})) = ${value()}`,
    contains: (column, value) => `strpos(${column}, ${value()}) > 0`,
  },
  operationKey: 'user_id, tenant_id, id',
};

interface Column {
  readonly name: string;
  readonly nullable: boolean;
}

/** The only source of column names in generated SQL: property names map here and nowhere else. */
export const COLUMNS: Readonly<Record<OperationProperty, Column>> = {
  id: { name: 'id', nullable: false },
  createdDateTime: { name: 'created_ticks', nullable: false },
  lastActionDateTime: { name: 'last_action_ticks', nullable: false },
  status: { name: 'status', nullable: false },
  statusDetail: { name: 'status_detail', nullable: true },
  resourceLocation: { name: 'resource_location', nullable: true },
};

/**
 * The open statuses' stored values, as SQL (`0, 1`). Status values are the schema's own constants, so
 * statements write them into their text as they do column names; every value from a request is bound.
 */
export const OPEN_STATUS_LIST = OPEN_STATUSES.map(statusValue).join(', ');

/**
 * The columns of an operation up to its schedule's finish: what the PATCH statement answers. It writes
 * only unscheduled rows (`run_at_ticks IS NULL`), whose `running_detail` is NULL as well, so it need not
 * read that column (migration 8), and its text stays as it was.
 */
export const PATCHED_COLUMNS =
  'id, created_ticks, last_action_ticks, status, status_detail, resource_location, version, finished_ticks, ' +
  'run_at_ticks, finish_at_ticks, outcome, outcome_detail, outcome_location';

/** Every column an operation is read from: {@link PATCHED_COLUMNS}, then the running step's detail. */
export const OPERATION_COLUMNS = `${PATCHED_COLUMNS}, running_detail`;

/**
 * A row of {@link OPERATION_COLUMNS}, read as an array in that order (further columns may follow). Both
 * drivers would otherwise build an object per row, named property by property, which on SQLite costs more
 * than the query itself: 305 µs against 181 µs for a page of 101 rows. Engines differ only in how small
 * integers come back.
 */
export type OperationRow = readonly [...OperationColumns, ...more: unknown[]];

/** A row of {@link PATCHED_COLUMNS}: the PATCH statement's, never scheduled. */
export type PatchedRow = readonly [...PatchedColumns, ...more: unknown[]];

/** The values of {@link OPERATION_COLUMNS}, in order. */
export type OperationColumns = [...PatchedColumns, runningDetail: string | null];

/** The values of {@link PATCHED_COLUMNS}, in order. */
type PatchedColumns = [
  id: string,
  createdTicks: bigint,
  lastActionTicks: bigint,
  status: number | bigint,
  statusDetail: string | null,
  resourceLocation: string | null,
  version: number | bigint,
  finishedTicks: bigint | null,
  runAtTicks: bigint | null,
  finishAtTicks: bigint | null,
  outcome: number | bigint | null,
  outcomeDetail: string | null,
  outcomeLocation: string | null,
];

/** A row of either kind; a scheduled one always comes with every column of {@link OPERATION_COLUMNS}. */
export function operationFromRow(row: PatchedRow | undefined): LongRunningOperation | undefined {
  if (row === undefined) return undefined;
  const operation: LongRunningOperation = {
    id: row[0],
    createdDateTime: row[1],
    lastActionDateTime: row[2],
    status: statusFromValue(Number(row[3])),
    statusDetail: row[4],
    resourceLocation: row[5],
    version: Number(row[6]),
    finishedAt: row[7],
  };
  // Absent, not null, without a schedule: most operations have none, and they read back as they were written.
  const schedule = scheduleFromRow(row);
  return schedule === undefined ? operation : { ...operation, schedule };
}

/** The `outcome` column: the terminal status a schedule ends in. */
const OUTCOMES = ['succeeded', 'failed'] as const;

function scheduleFromRow(row: PatchedRow): OperationSchedule | undefined {
  const runAt = row[8];
  const finishAt = row[9];
  if (runAt === null || finishAt === null) return undefined;
  const outcome = OUTCOMES[Number(row[10])];
  if (outcome === undefined) throw new RangeError(`no schedule outcome has the value ${row[10]}`);
  const schedule = { runAt, finishAt, outcome, detail: row[11] ?? '', resourceLocation: row[12] };
  // Scheduled, so read with every column (see PATCHED_COLUMNS); absent when the running step writes no detail.
  const runningDetail = (row as OperationRow)[13];
  return runningDetail === null ? schedule : { ...schedule, runningDetail };
}

/**
 * A statement whose text is built once per engine and whose values are named: each is bound once however
 * often the text reads it, as SQLite's `@name` (the values go as an object) and as PostgreSQL's `$n`, `n`
 * being the name's place in the statement's list (the values go as {@link NamedStatement.values}).
 */
export interface NamedStatement<Name extends string> {
  readonly text: string;
  /** The values in the order of PostgreSQL's `$n`. */
  values(parameters: Readonly<Record<Name, SortValue>>): SortValue[];
}

/** `build` writes the text, asking `p` for each value's placeholder (with its SQL type, where given). */
export function namedStatement<Name extends string>(
  dialect: Dialect,
  names: readonly Name[],
  build: (p: (name: Name) => string) => string,
  types?: Readonly<Partial<Record<Name, SqlType | undefined>>>,
): NamedStatement<Name> {
  const p = (name: Name) => {
    const placeholder = dialect.parameter(name, names.indexOf(name) + 1);
    const type = types?.[name];
    return type === undefined ? placeholder : dialect.typed(placeholder, type);
  };
  return { text: build(p), values: (parameters) => names.map((name) => parameters[name]) };
}

/** One operation as an INSERT writes it: the values of `tenant_id, user_id` and {@link OPERATION_COLUMNS}. */
export interface InsertParameters {
  readonly tenantId: string;
  readonly userId: string;
  readonly id: string;
  readonly createdTicks: bigint;
  readonly lastActionTicks: bigint;
  readonly status: number;
  readonly statusDetail: string | null;
  readonly resourceLocation: string | null;
  readonly version: number;
  readonly finishedTicks: bigint | null;
  /** The schedule's columns, all NULL without one. */
  readonly runAtTicks: bigint | null;
  readonly finishAtTicks: bigint | null;
  readonly outcome: number | null;
  readonly outcomeDetail: string | null;
  readonly outcomeLocation: string | null;
  readonly runningDetail: string | null;
}

/** In the order of the INSERT's columns. */
const INSERT_PARAMETERS: readonly (keyof InsertParameters)[] = [
  'tenantId',
  'userId',
  'id',
  'createdTicks',
  'lastActionTicks',
  'status',
  'statusDetail',
  'resourceLocation',
  'version',
  'finishedTicks',
  'runAtTicks',
  'finishAtTicks',
  'outcome',
  'outcomeDetail',
  'outcomeLocation',
  'runningDetail',
];

export function insertParameters(owner: Owner, op: LongRunningOperation): InsertParameters {
  const schedule = op.schedule;
  return {
    tenantId: owner.tenantId,
    userId: owner.userId,
    id: op.id,
    createdTicks: op.createdDateTime,
    lastActionTicks: op.lastActionDateTime,
    status: statusValue(op.status),
    statusDetail: op.statusDetail,
    resourceLocation: op.resourceLocation,
    version: op.version,
    finishedTicks: op.finishedAt,
    runAtTicks: schedule?.runAt ?? null,
    finishAtTicks: schedule?.finishAt ?? null,
    outcome: schedule ? OUTCOMES.indexOf(schedule.outcome) : null,
    outcomeDetail: schedule?.detail ?? null,
    outcomeLocation: schedule?.resourceLocation ?? null,
    runningDetail: schedule?.runningDetail ?? null,
  };
}

/** The values of `tenant_id, user_id` and {@link OPERATION_COLUMNS}, in that order: one row of an INSERT. */
export function insertValues(owner: Owner, op: LongRunningOperation): SortValue[] {
  const parameters = insertParameters(owner, op);
  return INSERT_PARAMETERS.map((name) => parameters[name]);
}

/** A plain INSERT of one operation: an existing id fails on the primary key and is never overwritten. Its values: {@link insertParameters}. */
export function insertStatement(dialect: Dialect): NamedStatement<keyof InsertParameters> {
  return namedStatement(
    dialect,
    INSERT_PARAMETERS,
    (p) => `INSERT INTO operations (tenant_id, user_id, ${OPERATION_COLUMNS}) VALUES (${INSERT_PARAMETERS.map(p).join(', ')})`,
  );
}

/** The values of `OperationStore.update`'s statement. */
export interface UpdateParameters {
  readonly tenantId: string;
  readonly userId: string;
  readonly id: string;
  readonly lastActionTicks: bigint;
  readonly status: number;
  readonly statusDetail: string | null;
  readonly resourceLocation: string | null;
  readonly expectedVersion: number;
  readonly finishedTicks: bigint | null;
}

export function updateParameters(owner: Owner, next: LongRunningOperation, expectedVersion: number): UpdateParameters {
  return {
    tenantId: owner.tenantId,
    userId: owner.userId,
    id: next.id,
    lastActionTicks: next.lastActionDateTime,
    status: statusValue(next.status),
    statusDetail: next.statusDetail,
    resourceLocation: next.resourceLocation,
    expectedVersion,
    finishedTicks: next.finishedAt,
  };
}

/**
 * `OperationStore.update` in one statement: the client-writable fields and the finish time, only while the
 * version is still the expected one and the status still open, answering (RETURNING) the row it wrote.
 * The schedule's columns are not written: an update keeps the stored schedule. Its values: {@link updateParameters}.
 */
export function updateStatement(dialect: Dialect): NamedStatement<keyof UpdateParameters> {
  const names: readonly (keyof UpdateParameters)[] = [
    'tenantId',
    'userId',
    'id',
    'lastActionTicks',
    'status',
    'statusDetail',
    'resourceLocation',
    'expectedVersion',
    'finishedTicks',
  ];
  return namedStatement(dialect, names, (p) =>
    [
      'UPDATE operations',
      `SET last_action_ticks = ${p('lastActionTicks')}, status = ${p('status')}, status_detail = ${p('statusDetail')},`,
      `resource_location = ${p('resourceLocation')}, finished_ticks = ${p('finishedTicks')}, version = version + 1`,
      `WHERE tenant_id = ${p('tenantId')} AND user_id = ${p('userId')} AND id = ${p('id')}`,
      `AND version = ${p('expectedVersion')} AND status IN (${OPEN_STATUS_LIST})`,
      `RETURNING ${OPERATION_COLUMNS}`,
    ].join(' '),
  );
}

/**
 * One batch of the oldest finished operations of any owner, deleted (`OperationStore.purgeFinished`): the
 * partial index on `finished_ticks` finds them, the primary key (in the engine's column order) deletes them.
 */
export function purgeStatement(dialect: Dialect): NamedStatement<'before' | 'limit'> {
  const key = dialect.operationKey;
  return namedStatement(
    dialect,
    ['before', 'limit'],
    (p) => `DELETE FROM operations WHERE (${key}) IN (SELECT ${key} FROM operations WHERE finished_ticks < ${p('before')} ORDER BY finished_ticks LIMIT ${p('limit')})`,
  );
}

/**
 * Stored operations by status, across owners: a full scan, for metrics and the admin API's figures (never a
 * request path). PostgreSQL's: it runs in the database, off the event loop; SQLite reads the counts its
 * triggers keep (`SQLITE_COUNT_BY_STATUS_SQL`), as this scan would block the event loop.
 */
export const COUNT_BY_STATUS_SQL = 'SELECT status, COUNT(*) AS count FROM operations GROUP BY status';

export interface SqlQuery {
  readonly text: string;
  readonly values: SortValue[];
}

/** `SELECT … WHERE owner AND filter AND after-cursor ORDER BY … LIMIT … [OFFSET …]`. */
export function listSql(dialect: Dialect, owner: Owner, query: ListQuery): SqlQuery {
  const sql = new Builder(dialect);
  const keys = totalOrder(query.orderBy);
  if (query.after !== undefined && query.after.length !== keys.length) {
    throw new RangeError(`a cursor needs ${keys.length} values for this order, got ${query.after.length}`);
  }
  const conditions = [ownerCondition(sql, owner)];
  if (query.filter) conditions.push(sql.filter(query.filter));
  if (query.after) conditions.push(...sql.seekBound(keys[0]!, query.after[0]!), sql.afterCursor(keys, query.after));
  // NULL sorts as the smallest value, as the cursor predicate assumes (SQLite's default; PostgreSQL is told).
  const order = keys.map(({ property, descending }) => {
    const { name, nullable } = COLUMNS[property];
    return `${name} ${descending ? 'DESC' : 'ASC'}${nullable ? (descending ? ' NULLS LAST' : ' NULLS FIRST') : ''}`;
  });
  // Placeholders are numbered in binding order: LIMIT's value is bound before OFFSET's.
  const limit = `LIMIT ${sql.bind(query.limit)}`;
  const offset = query.skip ? ` OFFSET ${sql.bind(query.skip)}` : '';
  const text = `SELECT ${OPERATION_COLUMNS} FROM operations WHERE ${conditions.join(' AND ')} ORDER BY ${order.join(', ')} ${limit}${offset}`;
  return { text, values: sql.values };
}

/** `SELECT COUNT(*) … WHERE owner AND filter`. */
export function countSql(dialect: Dialect, owner: Owner, filter: Filter | undefined): SqlQuery {
  const sql = new Builder(dialect);
  const conditions = [ownerCondition(sql, owner)];
  if (filter) conditions.push(sql.filter(filter));
  return { text: `SELECT COUNT(*) AS count FROM operations WHERE ${conditions.join(' AND ')}`, values: sql.values };
}

/**
 * The owner's open operations with a scheduled step due at `now` (`OperationStore.listDue`). The bound on
 * `run_at_ticks` (never after `finish_at_ticks`) lets the partial index on it seek to the few scheduled rows.
 */
export function dueSql(dialect: Dialect, owner: Owner, now: bigint, limit: number): SqlQuery {
  const sql = new Builder(dialect);
  // Bound in the order the placeholders appear: SQLite's `?` are positional.
  const conditions = [
    ownerCondition(sql, owner),
    `run_at_ticks <= ${sql.bind(now)}`,
    `status IN (${OPEN_STATUS_LIST})`,
    `(status = ${statusValue('notStarted')} OR finish_at_ticks <= ${sql.bind(now)})`,
  ];
  return { text: `SELECT ${OPERATION_COLUMNS} FROM operations WHERE ${conditions.join(' AND ')} LIMIT ${sql.bind(limit)}`, values: sql.values };
}

/**
 * The values of the PATCH statement, by name. Each is bound once however often the statement reads it
 * (PostgreSQL's `$n`, SQLite's `@name`), and the statement's text never changes: it is built once per
 * engine, and a PATCH computes only these.
 */
export interface PatchParameters {
  readonly tenantId: string;
  readonly userId: string;
  readonly id: string;
  /** The new status's value; null leaves the status as it is. */
  readonly status: number | null;
  /** 1 when the patch sets `statusDetail` (null included), 0 when it leaves it. */
  readonly setsDetail: 0 | 1;
  readonly statusDetail: string | null;
  /** 1 when the patch sets `resourceLocation` (null included), 0 when it leaves it. */
  readonly setsLocation: 0 | 1;
  readonly resourceLocation: string | null;
  /** The `lastActionDateTime` the patch sets; null for none, when `now` is written. */
  readonly lastAction: bigint | null;
  /** The server's time: the last action's when the patch sets none, and the finish time. */
  readonly now: bigint;
  /** `If-Match`'s version; null for none or `*`. */
  readonly version: number | null;
}

/** PostgreSQL's placeholders are numbered: `$n` is the n-th of these. */
const PATCH_PARAMETERS: readonly (keyof PatchParameters)[] = [
  'tenantId',
  'userId',
  'id',
  'status',
  'setsDetail',
  'statusDetail',
  'setsLocation',
  'resourceLocation',
  'lastAction',
  'now',
  'version',
];

const PATCH_TYPES: Readonly<Record<keyof PatchParameters, SqlType | undefined>> = {
  tenantId: undefined, // compared with their columns, which type them
  userId: undefined,
  id: undefined,
  status: 'smallint',
  setsDetail: 'integer',
  statusDetail: 'text',
  setsLocation: 'integer',
  resourceLocation: 'text',
  lastAction: 'bigint',
  now: 'bigint',
  version: 'integer',
};

/** The statement's values for one PATCH. */
export function patchParameters(owner: Owner, id: string, patch: DirectPatch): PatchParameters {
  const { changes } = patch;
  return {
    tenantId: owner.tenantId,
    userId: owner.userId,
    id,
    status: changes.status === undefined ? null : statusValue(changes.status),
    setsDetail: changes.statusDetail === undefined ? 0 : 1,
    statusDetail: changes.statusDetail ?? null,
    setsLocation: changes.resourceLocation === undefined ? 0 : 1,
    resourceLocation: changes.resourceLocation ?? null,
    lastAction: changes.lastActionDateTime ?? null,
    now: patch.now,
    version: patch.version ?? null,
  };
}

/** {@link PatchParameters} in the order of PostgreSQL's `$n`. */
export function patchValues(parameters: PatchParameters): SortValue[] {
  return PATCH_PARAMETERS.map((name) => parameters[name]);
}

const TERMINAL_STATUS_LIST = OPERATION_STATUSES.filter(isTerminal).map(statusValue).join(', ');

/**
 * PATCH as one UPDATE that applies the lifecycle rules itself (the ones `applyChanges` applies after a
 * read): the row must be open and unscheduled, a status may only move forward — among open statuses and
 * their successors that is "not to a lower value", see `status.ts` —, something must actually change, and
 * the version must match when `If-Match` names one. When any of it fails no row is written and the
 * caller reads the row to tell the client why. Its values: {@link patchParameters}.
 */
export function patchStatement(dialect: Dialect): string {
  return namedStatement(dialect, PATCH_PARAMETERS, (p) => patchText(dialect, p), PATCH_TYPES).text;
}

function patchText(dialect: Dialect, p: (name: keyof PatchParameters) => string): string {
  const status = p('status');
  const set = [
    `status = COALESCE(${status}, status)`,
    `status_detail = CASE WHEN ${p('setsDetail')} = 1 THEN ${p('statusDetail')} ELSE status_detail END`,
    `resource_location = CASE WHEN ${p('setsLocation')} = 1 THEN ${p('resourceLocation')} ELSE resource_location END`,
    `last_action_ticks = COALESCE(${p('lastAction')}, ${p('now')})`,
    `finished_ticks = CASE WHEN COALESCE(${status}, status) IN (${TERMINAL_STATUS_LIST}) THEN ${p('now')} ELSE NULL END`,
    'version = version + 1',
  ];
  const changed = [
    `${status} <> status`,
    `(${p('setsDetail')} = 1 AND status_detail ${dialect.notSame} ${p('statusDetail')})`,
    `(${p('setsLocation')} = 1 AND resource_location ${dialect.notSame} ${p('resourceLocation')})`,
    `last_action_ticks <> ${p('lastAction')}`,
  ];
  const conditions = [
    `tenant_id = ${p('tenantId')} AND user_id = ${p('userId')} AND id = ${p('id')}`,
    `status IN (${OPEN_STATUS_LIST})`,
    'run_at_ticks IS NULL',
    `(${status} IS NULL OR ${status} >= status)`,
    `(${p('version')} IS NULL OR version = ${p('version')})`,
    `(${changed.join(' OR ')})`,
  ];
  return `UPDATE operations SET ${set.join(', ')} WHERE ${conditions.join(' AND ')} RETURNING ${PATCHED_COLUMNS}`;
}

function ownerCondition(sql: Builder, owner: Owner): string {
  return `tenant_id = ${sql.bind(owner.tenantId)} AND user_id = ${sql.bind(owner.userId)}`;
}

const COMPARISON: Readonly<Record<Exclude<CompareOp, 'eq' | 'ne'>, string>> = { gt: '>', ge: '>=', lt: '<', le: '<=' };

/** Collects bound values and answers their placeholders. */
export class Builder {
  readonly values: SortValue[] = [];

  constructor(private readonly dialect: Dialect) {}

  bind(value: SortValue): string {
    this.values.push(value);
    return this.dialect.placeholder(this.values.length);
  }

  /**
   * OData's null semantics in SQL: `eq`/`ne` are null-safe, and a comparison that meets a NULL is false
   * (not unknown), so `not` of it is true. Non-nullable columns keep plain comparisons, which use indexes.
   */
  filter(node: Filter): string {
    switch (node.kind) {
      case 'and':
      case 'or':
        return `(${this.filter(node.left)} ${node.kind.toUpperCase()} ${this.filter(node.right)})`;
      case 'not':
        return `(NOT ${this.filter(node.operand)})`;
      case 'compare':
        return this.compare(node.op, node.property, node.value);
      case 'in':
        return `(${node.values.map((value) => this.compare('eq', node.property, value)).join(' OR ')})`;
      case 'match':
        return this.match(node.fn, COLUMNS[node.property], node.value);
    }
  }

  private compare(op: CompareOp, property: OperationProperty, value: FilterValue): string {
    const { name, nullable } = COLUMNS[property];
    if (value === null) {
      if (op === 'eq') return `${name} IS NULL`;
      if (op === 'ne') return `${name} IS NOT NULL`;
      return this.dialect.never; // an ordering comparison with null is false
    }
    if (op === 'eq') return `${name} ${nullable ? this.dialect.same : '='} ${this.bind(value)}`;
    if (op === 'ne') return `${name} ${nullable ? this.dialect.notSame : '<>'} ${this.bind(value)}`;
    return this.nullIsFalse(`${name} ${COMPARISON[op]} ${this.bind(value)}`, nullable);
  }

  private match(fn: MatchFn, { name, nullable }: Column, value: string): string {
    // Every string starts with, ends with and contains the empty string (a NULL does not).
    if (value === '') return `${name} IS NOT NULL`;
    return this.nullIsFalse(this.dialect.match[fn](name, () => this.bind(value)), nullable);
  }

  /** A comparison that meets a NULL is unknown in SQL but false in OData. */
  private nullIsFalse(condition: string, nullable: boolean): string {
    return nullable ? `COALESCE(${condition}, ${this.dialect.never})` : condition;
  }

  /**
   * The row sorts after the cursor: (k1 after c1) OR (k1 = c1 AND k2 after c2) OR …, NULL being the
   * smallest value.
   */
  afterCursor(keys: readonly OrderKey[], cursor: readonly SortValue[]): string {
    const disjuncts = keys.map((key, i) =>
      [...keys.slice(0, i).map((earlier, j) => this.equalTo(earlier, cursor[j]!)), this.beyond(key, cursor[i]!)].join(' AND '),
    );
    return `(${disjuncts.map((d) => `(${d})`).join(' OR ')})`;
  }

  private equalTo(key: OrderKey, value: SortValue): string {
    const { name, nullable } = COLUMNS[key.property];
    if (value === null) return `${name} IS NULL`;
    return `${name} ${nullable ? this.dialect.same : '='} ${this.bind(value)}`;
  }

  /** The row's value lies past the cursor's in the key's direction. */
  private beyond(key: OrderKey, value: SortValue): string {
    const { name } = COLUMNS[key.property];
    if (value === null) return key.descending ? this.dialect.never : `${name} IS NOT NULL`;
    const strict = `${name} ${key.descending ? '<' : '>'} ${this.bind(value)}`;
    // Ascending, a NULL row is never past a non-null cursor; descending, it always is (NULLs come last).
    return COLUMNS[key.property].nullable && key.descending ? `(${strict} OR ${name} IS NULL)` : strict;
  }

  /**
   * Implied by the cursor predicate, but an OR chain gives the planner no range to seek to; this bound on
   * the leading key lets it start the index scan at the cursor instead of at the owner's first row.
   */
  seekBound(key: OrderKey, value: SortValue): string[] {
    const { name, nullable } = COLUMNS[key.property];
    return nullable || value === null ? [] : [`${name} ${key.descending ? '<=' : '>='} ${this.bind(value)}`];
  }
}
