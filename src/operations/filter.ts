import type { OperationProperty } from './long-running-operation.js';

/**
 * A `$filter` expression after parsing and type-checking: every comparison is a property against literal(s)
 * of that property's type, in the form stores compare (dates as bigint ticks, the status as its enum value,
 * strings as is). Stores compile it to parameterised SQL with OData's null semantics: `eq null` matches
 * nulls, `ne 'x'` matches nulls, and an ordering comparison with a null side is false (so `not` of it is true).
 */
export type Filter =
  | { readonly kind: 'and' | 'or'; readonly left: Filter; readonly right: Filter }
  | { readonly kind: 'not'; readonly operand: Filter }
  | { readonly kind: 'compare'; readonly op: CompareOp; readonly property: OperationProperty; readonly value: FilterValue }
  | { readonly kind: 'in'; readonly property: OperationProperty; readonly values: readonly FilterValue[] }
  | { readonly kind: 'match'; readonly fn: MatchFn; readonly property: StringProperty; readonly value: string };

export type CompareOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
export type MatchFn = 'startswith' | 'endswith' | 'contains';
export type StringProperty = 'id' | 'statusDetail' | 'resourceLocation';
export type FilterValue = string | bigint | number | null;

/** The properties `filter` reads. */
export function filterProperties(filter: Filter): OperationProperty[] {
  switch (filter.kind) {
    case 'and':
    case 'or':
      return [...filterProperties(filter.left), ...filterProperties(filter.right)];
    case 'not':
      return filterProperties(filter.operand);
    default:
      return [filter.property];
  }
}
