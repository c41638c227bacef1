import { parseDateTimeOffset, type Ticks } from '../operations/date-time-offset.js';
import { ENTITY_TYPE, OPERATION_PROPERTY_NAMES, type OperationProperty } from '../operations/long-running-operation.js';
import { GraphError } from './errors.js';

/**
 * The tokens `$filter` and `$orderby` share, and the one way both report a bad expression: a 400 that says
 * what is wrong and where. Hand-written because no maintained OData v4 parser for Node yields a typed AST
 * we can compile to parameterised SQL.
 */

/** The option being parsed and its text as the URL layer decoded it. */
export interface QueryText {
  readonly option: '$filter' | '$orderby';
  readonly text: string;
}

interface TokenBase {
  /** The token as written. */
  readonly text: string;
  /** 0-based offset into the option's text. */
  readonly start: number;
}

export type Token = TokenBase &
  (
    | { readonly kind: 'word' } // a name or keyword, dotted when qualified
    | { readonly kind: 'string'; readonly value: string } // quotes removed, '' unescaped
    | { readonly kind: 'typed'; readonly prefix: string; readonly value: string } // Namespace.Type'value'
    | { readonly kind: 'date'; readonly ticks: Ticks }
    | { readonly kind: 'number' }
    | { readonly kind: '(' | ')' | ',' | 'end' }
  );

/**
 * A GraphError for the expression. Positions are 1-based and count within the quoted `option=text`,
 * so a client can count along what the message shows; the end of the text is one past its last character.
 */
export function queryError(query: QueryText, offset: number, detail: string, problem = 'Syntax error'): GraphError {
  return new GraphError('invalidQuery', `${problem} at position ${positionOf(query, offset)} in '${query.option}=${query.text}': ${detail}.`);
}

export function positionOf(query: QueryText, offset: number): number {
  return query.option.length + 1 + offset + 1;
}

/** How a token reads in a message; quoted literals already carry their quotes. */
export function describeToken(token: Token): string {
  if (token.kind === 'end') return 'the end of the expression';
  return token.kind === 'string' || token.kind === 'typed' ? token.text : `'${token.text}'`;
}

export function isKeyword(token: Token, keyword: string): boolean {
  return token.kind === 'word' && token.text.toLowerCase() === keyword;
}

const PROPERTY_BY_LOWER_NAME = new Map(OPERATION_PROPERTY_NAMES.map((p) => [p.toLowerCase(), p]));

/** Property names match case-insensitively, as Graph's do, and come back canonical. */
export function resolveProperty(query: QueryText, token: Token): OperationProperty {
  const property = PROPERTY_BY_LOWER_NAME.get(token.text.toLowerCase());
  if (token.kind !== 'word' || property === undefined) {
    throw queryError(query, token.start, `could not find a property named '${token.text}' on type '${ENTITY_TYPE}'`, 'Type error');
  }
  return property;
}

// Sticky patterns, each tried at the current offset.
const WORD = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/y;
// Dates and numbers start with a digit (or a minus and a digit) and run on through their punctuation;
// what the run is gets decided afterwards, so `2024-01-01T00:00:00+03:00` stays one token.
const BARE_LITERAL = /-?[0-9][0-9A-Za-z.:+-]*/y;
const DATE_SHAPE = /^\d{4}-\d{2}-\d{2}/;
const NUMBER = /^-?\d+(?:\.\d+)?(?:e[+-]?\d+)?$/i;
// OData's whitespace is SP and HTAB; the URL layer has already decoded %20 and %09.
const WHITESPACE = /[ \t]+/y;

/** Splits the whole text into tokens, ending with an `end` token; a character that starts none is a 400. */
export function tokenize(query: QueryText): Token[] {
  const tokens: Token[] = [];
  let offset = 0;
  while (offset < query.text.length) {
    WHITESPACE.lastIndex = offset;
    if (WHITESPACE.test(query.text)) {
      offset = WHITESPACE.lastIndex;
      continue;
    }
    const token = readToken(query, offset);
    tokens.push(token);
    offset += token.text.length;
  }
  tokens.push({ kind: 'end', text: '', start: query.text.length });
  return tokens;
}

function readToken(query: QueryText, start: number): Token {
  const char = query.text[start]!;
  if (char === '(' || char === ')' || char === ',') return { kind: char, text: char, start };
  if (char === "'") {
    const { raw, value } = readString(query, start);
    return { kind: 'string', text: raw, start, value };
  }
  const word = match(WORD, query.text, start);
  if (word !== undefined) return readWord(query, word, start);
  const bare = match(BARE_LITERAL, query.text, start);
  if (bare !== undefined) return readBareLiteral(query, bare, start);
  throw queryError(query, start, `unexpected character ${describeChar(String.fromCodePoint(query.text.codePointAt(start)!))}`);
}

/** A qualified name glued to a quoted value is a typed literal (`microsoft.graph.longRunningOperationStatus'running'`). */
function readWord(query: QueryText, word: string, start: number): Token {
  const quote = start + word.length;
  if (!word.includes('.') || query.text[quote] !== "'") return { kind: 'word', text: word, start };
  const { raw, value } = readString(query, quote);
  return { kind: 'typed', text: word + raw, start, prefix: word, value };
}

function readBareLiteral(query: QueryText, text: string, start: number): Token {
  if (DATE_SHAPE.test(text)) {
    const ticks = parseDateTimeOffset(text);
    if (ticks === undefined) {
      throw queryError(
        query,
        start,
        `'${text}' is not a valid DateTimeOffset: expected a date, a time and a zone, such as 2024-01-01T00:00:00Z ` +
          `or 2024-01-01T00:00:00.1234567+03:00 (a '+' in a URL must be sent as %2B)`,
      );
    }
    return { kind: 'date', text, start, ticks };
  }
  if (NUMBER.test(text)) return { kind: 'number', text, start };
  throw queryError(query, start, `'${text}' is not a valid literal`);
}

/** A single-quoted string from `start`, with `''` standing for one quote. */
function readString(query: QueryText, start: number): { raw: string; value: string } {
  let end = start + 1;
  for (;;) {
    end = query.text.indexOf("'", end);
    if (end < 0) throw queryError(query, start, 'the string literal starting here is not terminated by a single quote');
    if (query.text[end + 1] !== "'") break;
    end += 2;
  }
  const raw = query.text.slice(start, end + 1);
  return { raw, value: raw.slice(1, -1).replaceAll("''", "'") };
}

function match(pattern: RegExp, text: string, start: number): string | undefined {
  pattern.lastIndex = start;
  return pattern.exec(text)?.[0];
}

/** Control and other invisible characters are named by code point so the message stays readable. */
function describeChar(char: string): string {
  if (/^[\p{L}\p{N}\p{P}\p{S}]$/u.test(char)) return `'${char}'`;
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}
