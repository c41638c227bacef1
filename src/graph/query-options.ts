import { OPERATION_PROPERTY_NAMES, type OperationProperty } from '../operations/long-running-operation.js';
import { GraphError } from './errors.js';

/** The system query options Graph defines, by their name without `$`. */
const SYSTEM_OPTIONS = ['select', 'top', 'skip', 'skiptoken', 'filter', 'orderby', 'count', 'search', 'expand', 'format'] as const;
type SystemOption = (typeof SYSTEM_OPTIONS)[number];

export type RawQuery = Readonly<Record<string, string | string[] | undefined>>;

/**
 * System query options by name. Names match case-insensitively and with or without the `$` prefix
 * (Graph's beta accepts both; we accept both on v1.0 too). Other names without `$` are not ours to judge
 * (Graph's own Location URLs carry opaque ones such as `aadgdc`) and are ignored; an unknown `$name` is 400.
 */
export function systemQueryOptions(query: RawQuery): Partial<Record<SystemOption, string>> {
  const options: Partial<Record<SystemOption, string>> = {};
  for (const [rawName, rawValue] of Object.entries(query)) {
    const dollar = rawName.startsWith('$');
    const name = (dollar ? rawName.slice(1) : rawName).toLowerCase();
    if (!(SYSTEM_OPTIONS as readonly string[]).includes(name)) {
      if (dollar) throw new GraphError('invalidQuery', `The query parameter '${rawName}' is not supported.`);
      continue;
    }
    if (Array.isArray(rawValue) || options[name as SystemOption] !== undefined) {
      throw new GraphError('invalidQuery', `The query parameter '$${name}' is specified more than once.`);
    }
    options[name as SystemOption] = rawValue ?? '';
  }
  return options;
}

const PROPERTY_BY_LOWER_NAME = new Map(OPERATION_PROPERTY_NAMES.map((p) => [p.toLowerCase(), p]));

/** `$select=status,statusDetail` → the properties, canonical names, in Graph's order; `*` is all of them. */
export function parseSelect(value: string | undefined): OperationProperty[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(',').map((name) => name.trim());
  if (names.includes('*')) return undefined;
  const selected = new Set<OperationProperty>();
  for (const name of names) {
    const property = PROPERTY_BY_LOWER_NAME.get(name.toLowerCase());
    if (property === undefined) {
      throw new GraphError(
        'invalidQuery',
        name === ''
          ? `The $select expression '${value}' has an empty item.`
          : `Could not find a property named '${name}' on type 'microsoft.graph.longRunningOperation'.`,
      );
    }
    selected.add(property);
  }
  return OPERATION_PROPERTY_NAMES.filter((p) => selected.has(p));
}

/** A whole number from `min` to `max`, as `$top` and `$skip` take. */
export function parseWholeNumber(option: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) {
    throw new GraphError('invalidQuery', `Invalid value '${value}' for $${option}: expected a whole number from ${min} to ${max}.`);
  }
  return n;
}
