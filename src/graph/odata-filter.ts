import type { CompareOp, Filter, FilterValue, MatchFn, StringProperty } from '../operations/filter.js';
import {
  OPERATION_PROPERTIES,
  OPERATION_PROPERTY_NAMES,
  STATUS_ENUM_TYPE,
  type OperationProperty,
} from '../operations/long-running-operation.js';
import { parseStatus, STATUS_ENUM_MEMBERS, statusValue, UNKNOWN_FUTURE_VALUE, type OperationStatus } from '../operations/status.js';
import { GraphError } from './errors.js';
import { describeToken, isKeyword, positionOf, queryError, resolveProperty, tokenize, type QueryText, type Token } from './odata-lexer.js';

/**
 * `$filter` (an OData v4 subset): comparisons of a property with literals, `in`, startswith/endswith/contains,
 * `not`, `and`, `or` and parentheses, type-checked against microsoft.graph.longRunningOperation and turned into
 * the Filter stores compile. Keywords, function and property names match case-insensitively, as Graph's do.
 */

/** The longest `$filter` accepted, in UTF-16 code units: checked before any parsing. */
export const MAX_FILTER_LENGTH = 2048;
/** The deepest nesting accepted: each parenthesised group, `not`, and chain of `and` or of `or` is one level. */
export const MAX_FILTER_DEPTH = 32;

export interface FilterLimits {
  readonly maxLength?: number;
  readonly maxDepth?: number;
}

export function parseFilter(text: string, limits: FilterLimits = {}): Filter {
  const maxLength = limits.maxLength ?? MAX_FILTER_LENGTH;
  // Before tokenizing, so an oversized text costs nothing and is never echoed back.
  if (text.length > maxLength) {
    throw new GraphError('invalidQuery', `The $filter expression is ${text.length} characters long; at most ${maxLength} are allowed.`);
  }
  const query: QueryText = { option: '$filter', text };
  return new FilterParser(query, tokenize(query), limits.maxDepth ?? MAX_FILTER_DEPTH).parse();
}

const COMPARE_OPS: readonly CompareOp[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'];
const MATCH_FNS: readonly MatchFn[] = ['startswith', 'endswith', 'contains'];
/** `'running' lt status` is `status gt 'running'`. */
const MIRRORED: Readonly<Record<CompareOp, CompareOp>> = { eq: 'eq', ne: 'ne', gt: 'lt', ge: 'le', lt: 'gt', le: 'ge' };
/** Words that are never a property, so finding one where an operand belongs is a syntax error. */
const RESERVED = new Set<string>(['and', 'or', 'not', 'in', ...COMPARE_OPS]);

function isStringProperty(property: OperationProperty): property is StringProperty {
  return OPERATION_PROPERTIES[property].type === 'Edm.String';
}
const STRING_PROPERTIES = OPERATION_PROPERTY_NAMES.filter(isStringProperty);

type Literal =
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'enum'; readonly member: OperationStatus | typeof UNKNOWN_FUTURE_VALUE }
  | { readonly type: 'date'; readonly ticks: bigint }
  | { readonly type: 'number' }
  | { readonly type: 'boolean'; readonly value: boolean }
  | { readonly type: 'null' };

const WORD_LITERALS = new Map<string, Literal>([
  ['null', { type: 'null' }],
  ['true', { type: 'boolean', value: true }],
  ['false', { type: 'boolean', value: false }],
]);

const LITERAL_NAMES: Readonly<Record<Literal['type'], string>> = {
  string: 'the string',
  enum: 'the enum value',
  date: 'the DateTimeOffset',
  number: 'the number',
  boolean: 'the Boolean',
  null: 'the literal',
};

type MatchFilter = Extract<Filter, { kind: 'match' }>;
interface LiteralOperand {
  readonly kind: 'literal';
  readonly literal: Literal;
  readonly token: Token;
}
interface CallOperand {
  readonly kind: 'call';
  readonly filter: MatchFilter;
  readonly token: Token;
}
type Operand = LiteralOperand | CallOperand | { readonly kind: 'property'; readonly property: OperationProperty; readonly token: Token };

/** A boolean expression and the levels it nests. */
interface Parsed {
  readonly filter: Filter;
  readonly depth: number;
}

/**
 * Recursive descent over the tokens, precedence from loosest: or, and, not, comparison. Only parentheses
 * and `not` recurse, and each checks the depth before it does, so no input reaches a deep stack.
 * `outer` is the parentheses and `not`s around the expression being parsed; the `and`/`or` chains around it
 * are only known once their operator is seen, so each chain checks again, with its depth, when it closes.
 */
class FilterParser {
  private index = 0;

  constructor(
    private readonly query: QueryText,
    private readonly tokens: readonly Token[],
    private readonly maxDepth: number,
  ) {}

  parse(): Filter {
    if (this.peek().kind === 'end') throw this.error(this.peek(), 'the expression is empty');
    const { filter } = this.parseOr(0);
    const rest = this.peek();
    if (rest.kind === ')') throw this.error(rest, "found ')' without a matching '('");
    if (rest.kind !== 'end') throw this.error(rest, `expected 'and', 'or' or the end of the expression but found ${describeToken(rest)}`);
    return filter;
  }

  private parseOr(outer: number): Parsed {
    return this.parseChain('or', outer, () => this.parseAnd(outer));
  }

  private parseAnd(outer: number): Parsed {
    return this.parseChain('and', outer, () => this.parseNot(outer));
  }

  /** `a or b or c` is one level however long it is, and left-associative: ((a or b) or c). */
  private parseChain(kind: 'and' | 'or', outer: number, parseOperand: () => Parsed): Parsed {
    const first = parseOperand();
    const operator = this.peek();
    if (!isKeyword(operator, kind)) return first;
    let { filter, depth } = first;
    while (this.accept(kind)) {
      const right = parseOperand();
      filter = { kind, left: filter, right: right.filter };
      depth = Math.max(depth, right.depth);
    }
    this.checkDepth(outer + depth + 1, operator);
    return { filter, depth: depth + 1 };
  }

  private parseNot(outer: number): Parsed {
    const not = this.peek();
    if (!isKeyword(not, 'not')) return this.parsePrimary(outer);
    this.index++;
    this.checkDepth(outer + 1, not);
    const operand = this.parseNot(outer + 1);
    return { filter: { kind: 'not', operand: operand.filter }, depth: operand.depth + 1 };
  }

  private parsePrimary(outer: number): Parsed {
    const open = this.peek();
    if (open.kind !== '(') return { filter: this.parseComparison(), depth: 0 };
    this.index++;
    this.checkDepth(outer + 1, open);
    const inner = this.parseOr(outer + 1);
    if (!this.accept(')')) throw this.expected("'and', 'or' or ')'", `; the '(' at position ${positionOf(this.query, open.start)} is not closed`);
    return { filter: inner.filter, depth: inner.depth + 1 };
  }

  private checkDepth(depth: number, token: Token): void {
    if (depth > this.maxDepth) {
      throw this.error(
        token,
        `the expression nests more than ${this.maxDepth} levels deep (each parenthesised group, 'not', and chain of 'and' or 'or' is a level)`,
        'Limit exceeded',
      );
    }
  }

  /** A comparison, an `in`, or a string function standing alone. */
  private parseComparison(): Filter {
    const left = this.parseOperand('an expression');
    const operator = this.peek();
    const op = COMPARE_OPS.find((candidate) => isKeyword(operator, candidate));
    if (op !== undefined) {
      this.index++;
      return this.compare(left, op, this.parseOperand(left.kind === 'literal' ? 'a property' : 'a literal'), operator);
    }
    if (this.accept('in')) return this.parseIn(left, operator);
    if (left.kind === 'call') return left.filter;
    throw this.error(operator, `expected an operator (eq, ne, gt, ge, lt, le or in) after ${describeToken(left.token)} but found ${describeToken(operator)}`);
  }

  private parseOperand(expected: string): Operand {
    const token = this.peek();
    const literal = this.literalOf(token);
    if (literal !== undefined) {
      this.index++;
      return { kind: 'literal', literal, token };
    }
    if (token.kind !== 'word' || RESERVED.has(token.text.toLowerCase())) throw this.expected(expected);
    if (this.tokens[this.index + 1]?.kind === '(') return { kind: 'call', filter: this.parseCall(), token };
    this.index++;
    return { kind: 'property', property: resolveProperty(this.query, token), token };
  }

  /** The literal a token is, or `undefined` when it is not one. */
  private literalOf(token: Token): Literal | undefined {
    switch (token.kind) {
      case 'string':
        return { type: 'string', value: token.value };
      case 'typed':
        if (token.prefix.toLowerCase() !== STATUS_ENUM_TYPE.toLowerCase()) {
          throw this.typeError(token, `literals of type '${token.prefix}' are not supported; the only enum type is ${STATUS_ENUM_TYPE}`);
        }
        return { type: 'enum', member: this.statusMember(token.value, token) };
      case 'date':
        return { type: 'date', ticks: token.ticks };
      case 'number':
        return { type: 'number' };
      case 'word':
        return WORD_LITERALS.get(token.text.toLowerCase());
      default:
        return undefined;
    }
  }

  /** startswith(property, 'text') and its siblings: a string property first, a string literal second. */
  private parseCall(): MatchFilter {
    const name = this.next();
    const fn = MATCH_FNS.find((candidate) => isKeyword(name, candidate));
    if (fn === undefined) {
      throw this.error(name, `'${name.text}' is not a supported function; the functions are ${MATCH_FNS.join(', ')}`);
    }
    this.expect('(');
    const property = this.parseStringProperty(fn);
    this.expect(',');
    const argument = this.peek();
    const literal = this.literalOf(argument);
    if (literal === undefined) throw this.expected(`a string literal as the second argument of ${fn}`);
    if (literal.type !== 'string') {
      throw this.typeError(argument, `the second argument of ${fn} must be a string, not ${LITERAL_NAMES[literal.type]} ${argument.text}`);
    }
    this.index++;
    this.expect(')');
    return { kind: 'match', fn, property, value: literal.value };
  }

  private parseStringProperty(fn: MatchFn): StringProperty {
    const token = this.peek();
    const word = token.kind === 'word' ? token.text.toLowerCase() : '';
    // A nested call is refused here, before any recursion into it.
    if (!word || RESERVED.has(word) || WORD_LITERALS.has(word) || this.tokens[this.index + 1]?.kind === '(') {
      throw this.expected(`a property as the first argument of ${fn}`);
    }
    this.index++;
    const property = resolveProperty(this.query, token);
    if (!isStringProperty(property)) {
      throw this.typeError(
        token,
        `${fn} needs a string property (${STRING_PROPERTIES.join(', ')}), but '${property}' is of type ${OPERATION_PROPERTIES[property].type}`,
      );
    }
    return property;
  }

  private compare(left: Operand, op: CompareOp, right: Operand, operator: Token): Filter {
    if (left.kind === 'call') return this.compareCall(left, op, right, operator);
    if (right.kind === 'call') return this.compareCall(right, op, left, operator);
    if (left.kind === 'property' && right.kind === 'literal') {
      return { kind: 'compare', op, property: left.property, value: this.valueFor(left.property, right) };
    }
    if (left.kind === 'literal' && right.kind === 'property') {
      return { kind: 'compare', op: MIRRORED[op], property: right.property, value: this.valueFor(right.property, left) };
    }
    throw this.typeError(
      operator,
      left.kind === 'property' ? 'comparing two properties is not supported; compare a property with a literal' : 'a comparison needs a property on one side',
    );
  }

  /** `startswith(...) eq true` is the call itself and `eq false` its negation; nothing else compares with a call. */
  private compareCall(call: CallOperand, op: CompareOp, other: Operand, operator: Token): Filter {
    if (other.kind !== 'literal' || other.literal.type !== 'boolean' || (op !== 'eq' && op !== 'ne')) {
      throw this.typeError(operator, `the result of ${call.filter.fn} can only be compared with true or false, using eq or ne`);
    }
    return (op === 'eq') === other.literal.value ? call.filter : { kind: 'not', operand: call.filter };
  }

  private parseIn(left: Operand, operator: Token): Filter {
    if (left.kind !== 'property') throw this.typeError(operator, `'in' needs a property on its left, not ${describeToken(left.token)}`);
    this.expect('(');
    const values: FilterValue[] = [];
    do {
      const token = this.peek();
      const literal = this.literalOf(token);
      if (literal === undefined) throw this.expected('a literal');
      this.index++;
      values.push(this.valueFor(left.property, { kind: 'literal', literal, token }));
    } while (this.accept(','));
    this.expect(')', "',' or ')'");
    return { kind: 'in', property: left.property, values };
  }

  /** The literal as the property's value in the stores' form, if its type fits the property's. */
  private valueFor(property: OperationProperty, { literal, token }: LiteralOperand): FilterValue {
    const definition = OPERATION_PROPERTIES[property];
    if (literal.type === 'null') {
      if (definition.nullable) return null;
      throw this.typeError(token, `'${property}' is never null, so it cannot be compared with null`);
    }
    switch (definition.type) {
      case 'Edm.String':
        if (literal.type === 'string') return literal.value;
        break;
      case 'Edm.DateTimeOffset':
        if (literal.type === 'date') return literal.ticks;
        break;
      case STATUS_ENUM_TYPE:
        // Graph takes a status both as a plain string and as a typed enum literal.
        if (literal.type === 'enum') return enumValue(literal.member);
        if (literal.type === 'string') return enumValue(this.statusMember(literal.value, token));
        break;
    }
    throw this.typeError(token, `'${property}' is of type ${definition.type} and cannot be compared with ${LITERAL_NAMES[literal.type]} ${token.text}`);
  }

  private statusMember(name: string, token: Token): OperationStatus | typeof UNKNOWN_FUTURE_VALUE {
    const member = parseStatus(name);
    if (member === undefined) {
      throw this.typeError(token, `'${name}' is not a member of ${STATUS_ENUM_TYPE} (${STATUS_ENUM_MEMBERS.join(', ')})`);
    }
    return member;
  }

  private peek(): Token {
    return this.tokens[this.index]!; // never past the end token: nothing advances over it
  }

  private next(): Token {
    return this.tokens[this.index++]!;
  }

  /** Steps over the current token when it is of that kind (`,`) or that keyword (`or`). */
  private accept(keywordOrKind: string): boolean {
    const token = this.peek();
    if (token.kind !== keywordOrKind && !isKeyword(token, keywordOrKind)) return false;
    this.index++;
    return true;
  }

  private expect(kind: '(' | ')' | ',', expected = `'${kind}'`): void {
    if (!this.accept(kind)) throw this.expected(expected);
  }

  /** "expected X after the previous token but found the current one", and what else there is to say. */
  private expected(what: string, note = ''): GraphError {
    const previous = this.tokens[this.index - 1];
    const after = previous === undefined ? '' : ` after ${describeToken(previous)}`;
    return this.error(this.peek(), `expected ${what}${after} but found ${describeToken(this.peek())}${note}`);
  }

  private error(token: Token, detail: string, problem?: string): GraphError {
    return queryError(this.query, token.start, detail, problem);
  }

  private typeError(token: Token, detail: string): GraphError {
    return this.error(token, detail, 'Type error');
  }
}

/** The enum value stores hold; unknownFutureValue's (4) is one no stored operation has, so it matches nothing. */
function enumValue(member: OperationStatus | typeof UNKNOWN_FUTURE_VALUE): number {
  return member === UNKNOWN_FUTURE_VALUE ? STATUS_ENUM_MEMBERS.indexOf(UNKNOWN_FUTURE_VALUE) : statusValue(member);
}
