import { describe, it } from 'node:test';
import pg from 'pg';
import { quoteIdentifier } from '../../src/store/postgres/migrations.js';
import { openPostgresStore, type PostgresStoreOptions } from '../../src/store/postgres/postgres-store.js';
import type { Store } from '../../src/operations/ports/store.js';

/**
 * Shared set-up for every PostgreSQL test: where the database is, whether it answers, and stores on fresh
 * schemas that are dropped when the store closes. Tests only ever create and drop schemas named
 * `graph_lro_test_<pid>_<n>`, so several test processes can share one database.
 */
export const POSTGRES_TEST_URL = process.env.GRAPH_LRO_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The URL without its password, for messages. */
export function redactedUrl(url: string = POSTGRES_TEST_URL): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable connection string)';
  }
}

const probes = new Map<string, Promise<string | undefined>>();

/** `undefined` when PostgreSQL answers `SELECT 1` at `url`; otherwise why not. Probed once per URL and process. */
export function postgresUnreachable(url: string = POSTGRES_TEST_URL): Promise<string | undefined> {
  let probe = probes.get(url);
  if (probe === undefined) {
    probe = (async () => {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
      // A failed connect can still emit 'error' later; unhandled, that would crash the test process.
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
        return undefined;
      } catch (error) {
        return error instanceof Error ? error.message || error.name : String(error);
      } finally {
        await client.end().catch(() => undefined);
      }
    })();
    probes.set(url, probe);
  }
  return probe;
}

/**
 * Registers `body`'s suites inside `describe(title)` when PostgreSQL answers. When it does not: with `CI`
 * set, registers a test that fails (CI must run these suites); otherwise warns loudly on stderr and
 * registers the suite as skipped. Await it at the top level of a test file.
 */
export async function describePostgres(title: string, body: () => void): Promise<void> {
  const reason = await postgresUnreachable();
  if (reason === undefined) {
    describe(title, body);
    return;
  }
  const where = redactedUrl();
  if (process.env.CI) {
    it(`${title}: PostgreSQL is required in CI`, () => {
      throw new Error(
        `PostgreSQL is required in CI but is not reachable at ${where} (${reason}); ` +
          'start it or set GRAPH_LRO_TEST_DATABASE_URL',
      );
    });
    return;
  }
  process.stderr.write(
    [
      '',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      `!!! PostgreSQL not reachable at ${where}: the PostgreSQL suites are SKIPPED`,
      `!!! (${title}) because: ${reason}`,
      '!!! Start PostgreSQL or set GRAPH_LRO_TEST_DATABASE_URL. With CI set, this fails.',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      '',
      '',
    ].join('\n'),
  );
  const skip = `PostgreSQL not reachable at ${where}`;
  describe(title, { skip }, body);
  // A skipped suite is not counted in the run's summary; a skipped test is.
  it(`${title}: needs PostgreSQL`, { skip }, () => undefined);
}

let schemas = 0;

/** A schema name no other test (in this or another process) uses; nothing is created yet. */
export function freshSchemaName(): string {
  schemas += 1;
  return `graph_lro_test_${process.pid}_${schemas}`;
}

/** A client of its own (not pooled) on the test database, with `schema` first on its search path. End it. */
export async function connectPostgres(schema?: string, url: string = POSTGRES_TEST_URL): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: 'graph-lro-tests' });
  client.on('error', () => undefined);
  await client.connect();
  if (schema !== undefined) await client.query(`SELECT set_config('search_path', $1, false)`, [quoteIdentifier(schema)]);
  return client;
}

/** Drops the schema and everything in it; nothing happens when it does not exist. */
export async function dropSchema(schema: string, url: string = POSTGRES_TEST_URL): Promise<void> {
  const client = await connectPostgres(undefined, url);
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}

export type FreshPostgresStore = Store & { readonly schema: string };

/**
 * A store on a fresh, empty schema of the test database; closing it ends its pool and drops the schema.
 * `options` may set anything but the connection string and schema (the pool size, the application name).
 */
export async function openFreshPostgresStore(
  options: Partial<Omit<PostgresStoreOptions, 'connectionString' | 'schema'>> = {},
): Promise<FreshPostgresStore> {
  const schema = freshSchemaName();
  let store: Store;
  try {
    store = await openPostgresStore({ ...options, connectionString: POSTGRES_TEST_URL, schema });
  } catch (error) {
    await dropSchema(schema).catch(() => undefined);
    throw error;
  }
  return {
    ...store,
    schema,
    close: async () => {
      try {
        await store.close();
      } finally {
        await dropSchema(schema);
      }
    },
  };
}
