import type { OperationProperty } from '../operations/long-running-operation.js';

export type ApiVersion = 'v1.0' | 'beta';

/**
 * `@odata.context` as Graph writes it for this navigation: rooted at `users('{key}')` (for `/me` too, with
 * the signed-in user's id), the select list in parentheses, and `/$entity` for a single entity.
 */
export function operationsContext(
  serviceRoot: string,
  userKey: string,
  options: { select?: readonly OperationProperty[]; entity: boolean },
): string {
  const select = options.select === undefined ? '' : `(${options.select.join(',')})`;
  return `${serviceRoot}/$metadata#users('${encodeKey(userKey)}')/authentication/operations${select}${options.entity ? '/$entity' : ''}`;
}

/** Keys appear percent-encoded, as in `users('CameronW%40contoso.com')`; a quote doubles, per OData literals. */
function encodeKey(key: string): string {
  // Nearly every key is an object id (a GUID), which encodes to itself: answered without the three passes.
  if (PLAIN_KEY.test(key)) return key;
  return encodeURIComponent(key.replaceAll("'", "''")).replaceAll('%27', "'");
}

/** Characters `encodeURIComponent` keeps as they are, the quote aside (which a literal doubles). */
const PLAIN_KEY = /^[\w.!~*()-]*$/;
