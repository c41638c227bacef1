import type { Filter } from '../operations/filter.js';
import type { OperationProperty } from '../operations/long-running-operation.js';
import type { OrderKey, SortValue } from '../operations/ports/operation-store.js';
import { GraphError } from './errors.js';
import { parseFilter } from './odata-filter.js';
import { parseOrderBy } from './odata-orderby.js';
import { parseSelect, parseWholeNumber, systemQueryOptions, type RawQuery } from './query-options.js';
import { decodeSkipToken } from './skiptoken.js';

export interface PageLimits {
  /** Page size when `$top` is absent. */
  readonly defaultPageSize: number;
  /** The largest `$top` accepted. */
  readonly maxPageSize: number;
}

/** `$skip` costs the rows it passes over, so it is bounded; deeper pages go by `$skiptoken`, which costs nothing. */
export const MAX_SKIP = 100_000;

/** Creation order is stable, indexed, and what a client polling its newest operations expects. */
const DEFAULT_ORDER: readonly OrderKey[] = [{ property: 'createdDateTime', descending: false }];

export interface ListOptions {
  readonly select?: OperationProperty[];
  readonly filter?: Filter;
  readonly orderBy: readonly OrderKey[];
  readonly after?: SortValue[];
  readonly skip?: number;
  readonly limit: number;
  /** `$count=true`: answer `@odata.count`, the number of matches over all pages. */
  readonly count: boolean;
}

/** The query options of a collection GET. */
export function listOptions(query: RawQuery, limits: PageLimits): ListOptions {
  const options = systemQueryOptions(query);
  refuseSearchAndExpand(options);
  const orderBy = options.orderby === undefined ? DEFAULT_ORDER : parseOrderBy(options.orderby);
  if (options.skiptoken !== undefined && options.skip !== undefined) {
    throw new GraphError('invalidQuery', '$skip and $skiptoken cannot be combined: follow @odata.nextLink as served.');
  }
  return {
    select: parseSelect(options.select),
    filter: options.filter === undefined ? undefined : parseFilter(options.filter),
    orderBy,
    after: options.skiptoken === undefined ? undefined : decodeSkipToken(options.skiptoken, orderBy),
    skip: parseWholeNumber('skip', options.skip, 0, MAX_SKIP),
    limit: parseWholeNumber('top', options.top, 1, limits.maxPageSize) ?? limits.defaultPageSize,
    count: parseBooleanOption('count', options.count),
  };
}

/** The query options of `…/operations/$count`: only `$filter` means anything there. */
export function countOptions(query: RawQuery): { filter?: Filter } {
  const options = systemQueryOptions(query);
  refuseSearchAndExpand(options);
  refuseAll(options, ['select', 'top', 'skip', 'skiptoken', 'orderby', 'count']);
  return { filter: options.filter === undefined ? undefined : parseFilter(options.filter) };
}

/** The query options of an entity GET: `$select`. */
export function itemOptions(query: RawQuery): { select?: OperationProperty[] } {
  const options = systemQueryOptions(query);
  refuseSearchAndExpand(options);
  refuseAll(options, ['top', 'skip', 'skiptoken', 'filter', 'orderby', 'count']);
  return { select: parseSelect(options.select) };
}

type Options = ReturnType<typeof systemQueryOptions>;

function refuseSearchAndExpand(options: Options): void {
  if (options.search !== undefined) {
    throw new GraphError('invalidQuery', '$search is not supported: no property of microsoft.graph.longRunningOperation is searchable. Use $filter.');
  }
  if (options.expand !== undefined) {
    throw new GraphError('invalidQuery', '$expand is not supported: microsoft.graph.longRunningOperation has no navigation properties.');
  }
  if (options.format !== undefined && !/^(json|application\/json)$/i.test(options.format)) {
    throw new GraphError('invalidQuery', `$format=${options.format} is not supported: this service answers JSON only.`);
  }
}

function refuseAll(options: Options, names: readonly (keyof Options)[]): void {
  for (const name of names) {
    if (options[name] !== undefined) throw new GraphError('invalidQuery', `The query option '$${name}' does not apply to this resource.`);
  }
}

function parseBooleanOption(name: string, value: string | undefined): boolean {
  if (value === undefined || /^false$/i.test(value)) return false;
  if (/^true$/i.test(value)) return true;
  throw new GraphError('invalidQuery', `Invalid value '${value}' for $${name}: expected true or false.`);
}
