import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Store } from '../../src/operations/ports/store.js';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import { codeBlocks, readPage } from '../docs/markdown.js';
import { connectPostgres, describePostgres, openFreshPostgresStore, POSTGRES_TEST_URL } from '../support/postgres.js';
import { countStatements, type StatementCounter } from '../support/statement-counter.js';
import { adminStoreContract } from './admin-contract.js';
import { changeFeedContract } from './change-feed-contract.js';
import {
  CITUS_TABLES,
  citusRecipe,
  CROSS_SHARD_STATEMENTS,
  crossShardStatement,
  DISTRIBUTED_TABLES,
  placementText,
  routing,
  type CrossShardStatement,
} from './citus.js';
import { operationStoreContract } from './contract.js';
import { patchContract } from './patch-contract.js';

/**
 * Citus routes a statement to one shard when every reference to a distributed table filters on the
 * distribution column: this holds graph-lro's PostgreSQL store to that, statement by statement, and the
 * recipe in docs/production.md to the plan the check allows (test/store/citus.ts).
 */

describe('citus routing: the SQL reader', () => {
  const kinds = (sql: string) => routing(sql).map((r) => r.kind);
  const spans = (sql: string) => assert.deepEqual(kinds(sql), ['spans shards'], sql);
  const routes = (sql: string) => assert.deepEqual(kinds(sql), ['one user'], sql);

  it('routes statements whose every reference to a distributed table pins one user', () => {
    routes('SELECT id FROM operations WHERE tenant_id = $1 AND user_id = $2 ORDER BY id LIMIT $3');
    routes('UPDATE operations SET status = $4 WHERE tenant_id = $1 AND user_id = $2::text AND (id = $3 OR id = $5) RETURNING id');
    routes('DELETE FROM operation_watchers WHERE $1 = user_id AND watcher_id = $2');
    routes("INSERT INTO operation_watchers (user_id, tenant_id, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')");
    routes(
      `WITH updated AS (UPDATE operations SET version = version + 1 WHERE tenant_id = $1 AND user_id = $2 RETURNING id, user_id)
       SELECT updated.*, EXISTS (SELECT 1 FROM operation_watchers w WHERE w.user_id = $2 AND w.user_id = updated.user_id) AS watched FROM updated`,
    );
    assert.deepEqual(kinds('SELECT value FROM secrets WHERE name = $1; SELECT 1'), ['untouched', 'untouched']);
    assert.deepEqual(kinds('CREATE INDEX x ON operations (created_ticks); ALTER TABLE operations ADD COLUMN y text'), ['schema change', 'schema change']);
  });

  it('finds a reference that spans shards, however it hides', () => {
    spans('SELECT id FROM operations WHERE tenant_id = $1'); // no user at all
    spans('SELECT id FROM operations'); // no WHERE
    spans('SELECT id FROM operations WHERE tenant_id = $1 AND user_id = $2 OR id = $3'); // the OR frees the user
    spans('SELECT id FROM operations WHERE tenant_id = $1 AND (user_id = $2 OR id = $3)');
    spans("SELECT id FROM operations WHERE user_id = 'someone' AND id = $1"); // pinned, but not to a bound user
    spans('SELECT id FROM operations WHERE user_id > $1');
    spans('SELECT id FROM operations o WHERE x.user_id = $1'); // another table's column
    spans('SELECT id FROM operations WHERE user_id = $1 AND id IN (SELECT operation_id FROM operation_watchers)'); // the subquery
    spans('SELECT id FROM operations WHERE user_id = $1 AND EXISTS (SELECT 1 FROM operation_watchers w WHERE w.user_id = $2)'); // two users
    spans('SELECT id FROM operations WHERE user_id = $1 AND EXISTS (SELECT 1 FROM operation_watchers w WHERE w.user_id = operations.user_id)');
    spans('SELECT o.id FROM operations o JOIN operation_watchers w ON w.user_id = o.user_id WHERE o.user_id = $1'); // ON is not read: fails closed
    spans('INSERT INTO operations (tenant_id, id) VALUES ($1, $2)');
    spans('INSERT INTO operations (tenant_id, user_id) VALUES ($1, $2), ($3, $4)');
    spans('INSERT INTO operations (tenant_id, user_id) SELECT tenant_id, user_id FROM operations WHERE user_id = $1');
  });
});

describe('citus routing: the recipe in docs/production.md', () => {
  const HEADING = 'Growing past one PostgreSQL: Citus';
  const page = readPage('docs/production.md');
  const section = page.slice(page.indexOf(`## ${HEADING}\n`), page.indexOf('\n## ', page.indexOf(`## ${HEADING}\n`) + 1));
  /** The rows of the section's markdown table whose header starts with `first`, each as its cells. */
  const table = (first: string): string[][] => {
    const lines = section.split('\n');
    const start = lines.findIndex((line) => line.startsWith(`| ${first} |`));
    assert.ok(start >= 0, `a table headed "${first}" in "${HEADING}"`);
    const rows: string[][] = [];
    for (const line of lines.slice(start + 2)) {
      if (!line.startsWith('|')) break;
      rows.push(line.split('|').slice(1, -1).map((cell) => cell.trim()));
    }
    return rows;
  };

  it('shows the plan’s SQL, call by call', () => {
    const sql = codeBlocks('docs/production.md').filter((block) => block.heading === HEADING && block.lang === 'sql');
    assert.equal(sql.length, 1);
    const calls = sql[0]!.text.split('\n').map((line) => line.replace(/--.*$/, '').trim()).filter((line) => line !== '');
    assert.deepEqual(calls, citusRecipe());
  });

  it('names every table, where the plan puts it and why', () => {
    assert.deepEqual(
      table('Table'),
      CITUS_TABLES.map(({ table: name, placement, reason }) => [`\`${name}\``, placementText(placement), reason]),
    );
  });

  it('lists exactly the statements allowed to span shards, and why', () => {
    assert.deepEqual(
      table('Statement'),
      CROSS_SHARD_STATEMENTS.map(({ name, reason }) => [name, reason]),
    );
  });
});

/** Every method of the store's ports, as `port.method` (`ping` for the store's own). */
function methodNames(store: Store): string[] {
  return Object.entries(store).flatMap(([key, value]) => {
    if (typeof value === 'function') return [key];
    if (typeof value !== 'object' || value === null) return [];
    return functionsOf(value).map((name) => `${key}.${name}`);
  });
}

/** A port's methods: an object literal's own functions, or a class's methods (not what its constructor was given). */
function functionsOf(port: object): string[] {
  const prototype = Object.getPrototypeOf(port) as object;
  const names = prototype === Object.prototype ? Object.keys(port) : Object.getOwnPropertyNames(prototype).filter((name) => name !== 'constructor');
  return names.filter((name) => typeof (port as Record<string, unknown>)[name] === 'function');
}

/** `store`, each method of each port noting its name in `called` when called. */
function recording<S extends Store>(store: S, called: Set<string>): S {
  const wrap = (name: string, method: (...args: unknown[]) => unknown, self: unknown) =>
    (...args: unknown[]) => {
      called.add(name);
      return method.apply(self, args);
    };
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(store)) {
    if (typeof value === 'function') copy[key] = wrap(key, value as (...args: unknown[]) => unknown, store);
    else if (typeof value === 'object' && value !== null) {
      // Methods called on the port itself: a class's private fields (the change feed's) need their own `this`.
      copy[key] = Object.fromEntries(
        functionsOf(value).map((name) => [name, wrap(`${key}.${name}`, (value as Record<string, (...args: unknown[]) => unknown>)[name]!, value)]),
      );
    } else copy[key] = value;
  }
  return copy as S;
}

await describePostgres('citus routing: every statement the PostgreSQL store sends', () => {
  const called = new Set<string>();
  let every: string[] | undefined;
  let counter: StatementCounter;
  const open = async () => {
    const store = await openFreshPostgresStore();
    every ??= methodNames(store);
    return recording(store, called);
  };
  before(() => {
    counter = countStatements('postgres');
  });
  after(() => counter.stop());

  // The workload: the contract suites every engine passes, run here with every statement counted.
  operationStoreContract('citus', open);
  patchContract('citus', open);
  adminStoreContract('citus', open);
  changeFeedContract('citus', open, async (first) =>
    recording(await openPostgresStore({ connectionString: POSTGRES_TEST_URL, schema: (first as Awaited<ReturnType<typeof openFreshPostgresStore>>).schema }), called),
  );

  it('the methods no contract calls: the ones only a process or an operator uses', async () => {
    const store = await open();
    try {
      await store.ping();
      await store.statistics();
      // Not in the port: the store's own close calls it, on the feed itself rather than on this record of it.
      await (store.changes as unknown as { close(): Promise<void> }).close();
    } finally {
      await store.close();
    }
  });

  it('the workload called every method of every port', () => {
    assert.ok(every);
    assert.deepEqual(every.filter((name) => !called.has(name)), []);
  });

  it('the plan names every table of the migrated schema', async () => {
    const store = await openFreshPostgresStore();
    const client = await connectPostgres(store.schema);
    try {
      const tables = await client.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [store.schema]);
      assert.deepEqual(tables.rows.map((row) => row.name), CITUS_TABLES.map((t) => t.table).sort());
    } finally {
      await client.end();
      await store.close();
    }
  });

  it('every statement on a distributed table filters on one user, or is an allowed cross-shard statement', (t) => {
    const statements = [...new Set(counter.take())];
    const routed = new Map<string, number>(DISTRIBUTED_TABLES.map((table) => [table, 0]));
    const used = new Set<CrossShardStatement>();
    const unlisted: string[] = [];
    let schemaChanges = 0;
    for (const sql of statements) {
      for (const result of routing(sql)) {
        if (result.kind === 'schema change') schemaChanges += 1;
        else if (result.kind === 'one user') for (const table of result.tables) routed.set(table, routed.get(table)! + 1);
        else if (result.kind === 'spans shards') {
          const allowed = crossShardStatement(sql);
          if (allowed) used.add(allowed);
          else unlisted.push(`${sql.replace(/\s+/g, ' ').trim()}\n  ${result.problems.join('\n  ')}`);
        }
      }
    }
    t.diagnostic(
      `${statements.length} distinct statements; on one user's shard: ${[...routed].map(([table, n]) => `${table} ${n}`).join(', ')}; ` +
        `across shards: ${used.size} allowed kinds; schema changes: ${schemaChanges}`,
    );
    assert.deepEqual(unlisted, [], 'statements that span shards without being allowed to');
    assert.deepEqual(
      CROSS_SHARD_STATEMENTS.filter((entry) => !used.has(entry)).map((entry) => entry.name),
      [],
      'allowed cross-shard statements the store never sent (stale, or the workload misses them)',
    );
    for (const [table, n] of routed) assert.ok(n > 0, `no statement on ${table} was read as routed: the reader misses them`);
  });
});
