import type { OperationProperty } from '../operations/long-running-operation.js';
import type { OrderKey } from '../operations/ports/operation-store.js';
import { describeToken, isKeyword, positionOf, queryError, resolveProperty, tokenize, type QueryText, type Token } from './odata-lexer.js';

/**
 * `$orderby=status desc, createdDateTime`: comma-separated properties, each optionally `asc` or `desc`
 * (keywords and names case-insensitive, names returned canonical). A property may appear once: a second
 * mention could never change the order, so it is a mistake worth a 400 rather than silence.
 */
export function parseOrderBy(text: string): OrderKey[] {
  const query: QueryText = { option: '$orderby', text };
  const tokens = tokenize(query);
  const keys: OrderKey[] = [];
  const mentions = new Map<OperationProperty, Token>();
  let index = 0;
  for (;;) {
    const name = tokens[index++]!;
    const property = readProperty(query, name, mentions);
    const descending = isKeyword(tokens[index]!, 'desc');
    if (descending || isKeyword(tokens[index]!, 'asc')) index++;
    keys.push({ property, descending });
    const separator = tokens[index++]!;
    if (separator.kind === 'end') return keys;
    if (separator.kind !== ',') {
      throw queryError(query, separator.start, `expected ',' or the end of the expression but found ${describeToken(separator)}`);
    }
  }
}

function readProperty(query: QueryText, name: Token, mentions: Map<OperationProperty, Token>): OperationProperty {
  if (name.kind === ',' || name.kind === 'end') {
    throw queryError(query, name.start, query.text.trim() === '' ? 'the expression is empty' : 'an item of the list is empty');
  }
  if (name.kind !== 'word') throw queryError(query, name.start, `expected a property name but found ${describeToken(name)}`);
  const property = resolveProperty(query, name);
  const earlier = mentions.get(property);
  if (earlier !== undefined) {
    throw queryError(query, name.start, `'${property}' is already in the order at position ${positionOf(query, earlier.start)}`);
  }
  mentions.set(property, name);
  return property;
}
