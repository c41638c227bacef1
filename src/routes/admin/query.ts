import { GraphError } from '../../graph/errors.js';
import type { RawQuery } from '../../graph/query-options.js';
import { isStorable } from '../../operations/operation-input.js';

/**
 * The admin API's query parameters: plain names (no `$`, they are not OData's), each at most once. Names
 * the API does not know are ignored, so a dashboard may add its own (a cache buster).
 */
export function parameter(query: RawQuery, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw new GraphError('invalidQuery', `The query parameter '${name}' is specified more than once.`);
  if (value !== undefined && !isStorable(value)) throw new GraphError('invalidQuery', `The query parameter '${name}' contains a NUL character or invalid Unicode.`);
  return value;
}

/** A whole number from `min` to `max`; `fallback` when the parameter is absent. */
export function wholeNumber(query: RawQuery, name: string, min: number, max: number, fallback: number): number {
  const text = parameter(query, name);
  if (text === undefined) return fallback;
  const n = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) {
    throw new GraphError('invalidQuery', `Invalid value '${text}' for '${name}': expected a whole number from ${min} to ${max}.`);
  }
  return n;
}
