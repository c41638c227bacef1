/**
 * How graph-lro's PostgreSQL schema distributes with Citus, and the check that its statements route: the
 * plan that `docs/production.md`'s recipe must name exactly, the statements allowed to span shards, and a
 * small SQL reader that finds every reference to a distributed table and its `user_id` filter.
 * `citus-routing.test.ts` runs the store's contract suites, collects every statement they send, and holds
 * each to this.
 */

export const DISTRIBUTION_COLUMN = 'user_id';

export type Placement =
  | { readonly distributedBy: typeof DISTRIBUTION_COLUMN; readonly colocateWith?: string }
  | 'reference'
  | 'local';

export interface CitusTable {
  readonly table: string;
  readonly placement: Placement;
  readonly reason: string;
}

/** Every table of the schema, in the order the recipe distributes them (a co-located table after its group's first). */
export const CITUS_TABLES: readonly CitusTable[] = [
  {
    table: 'operations',
    placement: { distributedBy: DISTRIBUTION_COLUMN },
    reason: "every request reads or writes one user's operations; its keys and the indexes the API uses lead with `user_id`",
  },
  {
    table: 'operation_watchers',
    placement: { distributedBy: DISTRIBUTION_COLUMN, colocateWith: 'operations' },
    reason: "who waits on which operation (`Prefer: wait`); a writer probes it for the row it wrote, in the same statement, which co-located stays on the user's shard",
  },
  {
    table: 'users',
    placement: 'reference',
    reason: 'looked up by tenant and UPN, and joined by the admin listing to the operations of every shard; written rarely (a new user, a rename)',
  },
  {
    table: 'secrets',
    placement: 'reference',
    reason: 'one row per secret (the dev signing key), read by every instance at start, written once; under dev identity also one per authorization code redeemed, until it expires',
  },
  {
    table: 'schema_migrations',
    placement: 'local',
    reason: "read only by the migration, under its lock; Citus propagates the migrations' `ALTER TABLE` and `CREATE INDEX` to the shards",
  },
];

/** The tables whose every statement must filter on one user, or be listed in {@link CROSS_SHARD_STATEMENTS}. */
export const DISTRIBUTED_TABLES = CITUS_TABLES.filter((t) => typeof t.placement === 'object').map((t) => t.table);

/** The recipe's SQL, one call per line, as `docs/production.md` must show it. */
export function citusRecipe(): string[] {
  return CITUS_TABLES.flatMap(({ table, placement }) => {
    if (placement === 'local') return [];
    if (placement === 'reference') return [`SELECT create_reference_table('${table}');`];
    const colocate = placement.colocateWith === undefined ? '' : `, colocate_with => '${placement.colocateWith}'`;
    return [`SELECT create_distributed_table('${table}', '${placement.distributedBy}'${colocate});`];
  });
}

/** How the recipe's table of tables says where a table lives. */
export function placementText(placement: Placement): string {
  if (placement === 'reference') return 'reference table';
  if (placement === 'local') return 'local, on the coordinator';
  return `distributed by \`${placement.distributedBy}\`${placement.colocateWith === undefined ? '' : `, co-located with \`${placement.colocateWith}\``}`;
}

export interface CrossShardStatement {
  /** As the recipe's list names it. */
  readonly name: string;
  readonly reason: string;
  /** Recognises the statement by its text, whitespace collapsed. */
  readonly pattern: RegExp;
}

/**
 * The only statements on a distributed table that do not filter on one user: each runs on every shard, and
 * none serves a Graph request. A statement that spans shards and is not here fails the routing test.
 */
export const CROSS_SHARD_STATEMENTS: readonly CrossShardStatement[] = [
  {
    name: 'retention purge',
    reason: 'deletes the oldest finished operations of every user, a batch at a time, on a timer (the index on `finished_ticks` serves each shard)',
    pattern: /^DELETE FROM operations WHERE \(user_id, tenant_id, id\) IN \(SELECT user_id, tenant_id, id FROM operations WHERE finished_ticks < /,
  },
  {
    name: 'operations by status',
    reason: 'the `graph_lro_operations` metric and the admin statistics: a count of every row',
    pattern: /^SELECT status, COUNT\(\*\) AS count FROM operations GROUP BY status$/,
  },
  {
    name: 'admin listing',
    reason: "the dashboard's newest operations of all users, by the index on `(created_ticks, id)` (filtered by one user, it routes to that user's shard)",
    pattern: /^SELECT .* AS user_principal_name FROM operations\b/,
  },
  {
    name: 'admin timeline',
    reason: "the dashboard's chart: operations created per time bucket and status, across users",
    pattern: /^SELECT \(created_ticks - \$1\) \/ CAST\(\$2 AS bigint\) AS bucket, status, COUNT\(\*\) AS count FROM operations WHERE /,
  },
  {
    name: 'due steps of every user',
    reason: "each instance's sweep finds, by the index on the open scheduled rows, the steps nobody read, and writes each through the one-user update",
    pattern: /^SELECT .* FROM operations WHERE run_at_ticks IS NOT NULL AND finished_ticks IS NULL AND /,
  },
  {
    name: 'admin reset and import',
    reason: "the emulator's reset and state import empty the table, then insert every user's operations, many rows a statement",
    pattern: /^(DELETE FROM operations|INSERT INTO operations \([^)]*\) VALUES \(.*\), \(.*)$/,
  },
  {
    name: 'expired watchers sweep',
    reason: "each instance now and then deletes the watcher rows of instances that died, whoever's they are",
    pattern: /^DELETE FROM operation_watchers WHERE expires_at < now\(\)$/,
  },
];

/** The entry that allows `sql` to span shards, if any. */
export function crossShardStatement(sql: string): CrossShardStatement | undefined {
  const text = sql.replace(/\s+/g, ' ').trim();
  return CROSS_SHARD_STATEMENTS.find((entry) => entry.pattern.test(text));
}

// ---------------------------------------------------------------------------------------------------------
// Reading SQL: tokens, parenthesised groups, and per query the tables it names and its WHERE's conjuncts.
// Small, for the subset of SQL the store writes, and failing closed: a mention of a distributed table it
// cannot read as a reference pinned to one user is a failure, never a pass. (PostgreSQL's own parser, as the
// `libpg-query` package, would read any SQL; this needs no dependency for what the store sends.)

type Token = { readonly kind: 'word' | 'param' | 'string' | 'number' | 'symbol'; readonly text: string };
type Node = Token | Group;
interface Group {
  readonly kind: 'group';
  readonly nodes: Node[];
}

const isGroup = (node: Node | undefined): node is Group => node?.kind === 'group';
const isWord = (node: Node | undefined, ...words: string[]): node is Token =>
  node?.kind === 'word' && (words.length === 0 || words.includes(node.text));
const isSymbol = (node: Node | undefined, symbol: string): boolean => node?.kind === 'symbol' && node.text === symbol;

const TOKEN =
  /\s+|--[^\n]*|\/\*[\s\S]*?\*\/|'(?:[^']|'')*'|"((?:[^"]|"")*)"|(\$\d+)|([A-Za-z_][A-Za-z0-9_$]*)|(\d+(?:\.\d+)?)|(::|<=|>=|<>|!=|\|\||[(),;.=<>*+\-/])/y;

function tokens(sql: string): Token[] {
  const found: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < sql.length) {
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(sql);
    if (match === null) throw new SyntaxError(`cannot read SQL at ${at}: ${sql.slice(at, at + 40)}`);
    const [text, quoted, param, word, number, symbol] = match;
    if (quoted !== undefined) found.push({ kind: 'word', text: quoted.replaceAll('""', '"') });
    else if (param !== undefined) found.push({ kind: 'param', text: param });
    else if (word !== undefined) found.push({ kind: 'word', text: word.toLowerCase() }); // unquoted names fold to lower case
    else if (number !== undefined) found.push({ kind: 'number', text: number });
    else if (symbol !== undefined) found.push({ kind: 'symbol', text: symbol });
    else if (text.startsWith("'")) found.push({ kind: 'string', text });
  }
  return found;
}

function groups(sql: string): Node[] {
  const stack: Node[][] = [[]];
  for (const token of tokens(sql)) {
    if (token.kind === 'symbol' && token.text === '(') stack.push([]);
    else if (token.kind === 'symbol' && token.text === ')') {
      const nodes = stack.pop()!;
      if (stack.length === 0) throw new SyntaxError('unbalanced parentheses');
      stack.at(-1)!.push({ kind: 'group', nodes });
    } else stack.at(-1)!.push(token);
  }
  if (stack.length !== 1) throw new SyntaxError('unbalanced parentheses');
  return stack[0]!;
}

/** `nodes` cut at every own-level (not parenthesised) node that `at` picks. */
function split(nodes: readonly Node[], at: (node: Node) => boolean): Node[][] {
  const parts: Node[][] = [[]];
  for (const node of nodes) {
    if (at(node)) parts.push([]);
    else parts.at(-1)!.push(node);
  }
  return parts;
}

/** Words that end a table reference (and so are no alias). */
const NOT_AN_ALIAS = new Set(['where', 'set', 'join', 'inner', 'left', 'right', 'full', 'cross', 'on', 'using', 'order', 'group', 'limit', 'returning', 'values', 'for', 'union', 'having', 'offset', 'default']);
/** Words that end a WHERE clause at its own level. */
const AFTER_WHERE = new Set(['group', 'order', 'limit', 'offset', 'returning', 'having', 'for', 'union', 'window']);

interface TableReference {
  readonly table: string;
  /** The names its columns may be qualified by: its alias, or its own name. */
  readonly names: readonly string[];
  /** The placeholder its user is pinned to (`user_id = $n`), if it is. */
  readonly user?: string;
  /** Why it is not, if it is not. */
  readonly problem?: string;
}

/** The references to `tables` in one query's own level (its subqueries are read on their own). */
function queryReferences(nodes: readonly Node[], tables: ReadonlySet<string>): TableReference[] {
  const found: { table: string; names: string[]; index: number; insert?: boolean }[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    if (!isWord(node, 'from', 'join', 'update', 'into')) continue;
    // A FROM may list several tables: table [AS] [alias], …
    for (let j = i + 1; j < nodes.length; ) {
      let name = nodes[j];
      if (!isWord(name)) break;
      if (isSymbol(nodes[j + 1], '.') && isWord(nodes[j + 2])) name = nodes[(j += 2)]; // schema.table
      const names = [(name as Token).text];
      j += 1;
      if (isWord(nodes[j], 'as')) j += 1;
      if (isWord(nodes[j]) && !NOT_AN_ALIAS.has((nodes[j] as Token).text)) names.unshift((nodes[j++] as Token).text);
      if (tables.has(names.at(-1)!)) found.push({ table: names.at(-1)!, names, index: j, insert: isWord(node, 'into') });
      if (!isWord(node, 'from') || !isSymbol(nodes[j], ',')) break;
      j += 1;
    }
  }
  return found.map(({ table, names, index, insert }) => {
    const user = insert ? insertedUser(nodes.slice(index)) : whereUser(nodes, names);
    return typeof user === 'string' && user.startsWith('$') ? { table, names, user } : { table, names, problem: user ?? 'no WHERE' };
  });
}

/** The placeholder an INSERT's only row gives `user_id`, or why there is none. */
function insertedUser(rest: readonly Node[]): string {
  const [columns, values, ...more] = rest;
  if (!isGroup(columns) || !isWord(values, 'values')) return 'an INSERT without a column list and VALUES';
  // ON CONFLICT … or RETURNING … may follow the rows.
  const end = more.findIndex((node) => isWord(node, 'on', 'returning'));
  const rows = split(end < 0 ? more : more.slice(0, end), (node) => isSymbol(node, ','));
  if (rows.length !== 1 || !isGroup(rows[0]![0])) return 'an INSERT of several rows, or of a query';
  const names = split(columns.nodes, (node) => isSymbol(node, ','));
  const index = names.findIndex((name) => name.length === 1 && isWord(name[0], DISTRIBUTION_COLUMN));
  if (index < 0) return `an INSERT without ${DISTRIBUTION_COLUMN}`;
  const value = split(rows[0]![0].nodes, (node) => isSymbol(node, ','))[index]!;
  return value.length === 1 && value[0]!.kind === 'param' ? value[0]!.text : `an INSERT whose ${DISTRIBUTION_COLUMN} is not one bound value`;
}

/** The placeholder the query's own WHERE pins `user_id` of the table known by `names` to, or why it does not. */
function whereUser(nodes: readonly Node[], names: readonly string[]): string | undefined {
  const start = nodes.findIndex((node) => isWord(node, 'where'));
  if (start < 0) return undefined;
  const end = nodes.findIndex((node, i) => i > start && isWord(node) && AFTER_WHERE.has(node.text));
  const where = nodes.slice(start + 1, end < 0 ? undefined : end);
  // Only a conjunct holds for every row: under an own-level OR, no single condition does.
  if (where.some((node) => isWord(node, 'or'))) return 'a WHERE with an OR at its top level';
  for (const conjunct of split(where, (node) => isWord(node, 'and'))) {
    const user = userEquality(conjunct, names);
    if (user !== undefined) return user;
  }
  return `no ${DISTRIBUTION_COLUMN} = $n in its WHERE`;
}

/** `[q.]user_id = $n[::type]` or `$n[::type] = [q.]user_id`: the placeholder. */
function userEquality(conjunct: readonly Node[], names: readonly string[]): string | undefined {
  const sides = split(conjunct, (node) => isSymbol(node, '='));
  if (sides.length !== 2) return undefined;
  const column = (side: Node[]) =>
    (side.length === 1 && isWord(side[0], DISTRIBUTION_COLUMN)) ||
    (side.length === 3 && isWord(side[0]) && names.includes((side[0] as Token).text) && isSymbol(side[1], '.') && isWord(side[2], DISTRIBUTION_COLUMN));
  const param = (side: Node[]) => (side[0]?.kind === 'param' && (side.length === 1 || (side.length === 3 && isSymbol(side[1], '::'))) ? side[0].text : undefined);
  const [left, right] = sides as [Node[], Node[]];
  if (column(left)) return param(right);
  if (column(right)) return param(left);
  return undefined;
}

/** Every query in `nodes`: itself, and each parenthesised group that holds one, however deep. */
function queries(nodes: Node[]): Node[][] {
  const found = [nodes];
  for (const node of nodes) if (isGroup(node)) found.push(...queries(node.nodes));
  return found;
}

/** How many times `nodes` name one of `tables` as a table (a name followed by `.` qualifies a column). */
function mentions(nodes: readonly Node[], tables: ReadonlySet<string>): number {
  let count = 0;
  nodes.forEach((node, i) => {
    if (isGroup(node)) count += mentions(node.nodes, tables);
    else if (isWord(node) && tables.has(node.text) && !isSymbol(nodes[i + 1], '.')) count += 1;
  });
  return count;
}

export type Routing =
  /** Names no distributed table. */
  | { readonly kind: 'untouched' }
  /** Changes the schema: run by the migrations, which Citus propagates to every shard. */
  | { readonly kind: 'schema change' }
  /** Every reference to a distributed table filters on one user: Citus sends it to that user's shard. */
  | { readonly kind: 'one user'; readonly tables: readonly string[] }
  /** Why not. */
  | { readonly kind: 'spans shards'; readonly problems: readonly string[] };

const SCHEMA_CHANGES = new Set(['create', 'alter', 'drop', 'comment', 'truncate']);

/** How one SQL text (one statement, or several separated by `;`) routes on Citus, by the plan above. */
export function routing(sql: string, tables: readonly string[] = DISTRIBUTED_TABLES): Routing[] {
  const distributed = new Set(tables);
  return split(groups(sql), (node) => isSymbol(node, ';'))
    .filter((statement) => statement.length > 0)
    .map((statement): Routing => {
      if (isWord(statement[0]) && SCHEMA_CHANGES.has(statement[0].text)) return { kind: 'schema change' };
      const named = mentions(statement, distributed);
      if (named === 0) return { kind: 'untouched' };
      const references = queries(statement).flatMap((query) => queryReferences(query, distributed));
      const problems = references.filter((r) => r.problem !== undefined).map((r) => `${r.table}: ${r.problem}`);
      if (references.length !== named) problems.push(`${named - references.length} mention(s) of a distributed table not read as a table reference`);
      const users = new Set(references.map((r) => r.user));
      if (problems.length === 0 && users.size > 1) problems.push(`its references pin different users: ${[...users].join(', ')}`);
      return problems.length === 0 ? { kind: 'one user', tables: [...new Set(references.map((r) => r.table))] } : { kind: 'spans shards', problems };
    });
}
