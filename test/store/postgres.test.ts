import assert from 'node:assert/strict';
import { it } from 'node:test';
import pg from 'pg';
import type { LongRunningOperation } from '../../src/operations/long-running-operation.js';
import { statusValue } from '../../src/operations/status.js';
import { LATEST_VERSION, MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import type { Store } from '../../src/operations/ports/store.js';
import {
  connectPostgres,
  describePostgres,
  dropSchema,
  freshSchemaName,
  openFreshPostgresStore,
  type FreshPostgresStore,
  POSTGRES_TEST_URL,
} from '../support/postgres.js';
import { until } from '../support/until.js';
import { changeFeedContract } from './change-feed-contract.js';
import { adminStoreContract } from './admin-contract.js';
import { operationStoreContract } from './contract.js';
import { patchContract } from './patch-contract.js';

await describePostgres('postgres store', () => {
  operationStoreContract('postgres', () => openFreshPostgresStore());
  patchContract('postgres', () => openFreshPostgresStore());
  adminStoreContract('postgres', () => openFreshPostgresStore());
  changeFeedContract(
    'postgres',
    () => openFreshPostgresStore(),
    (first) => openPostgresStore({ connectionString: POSTGRES_TEST_URL, schema: (first as FreshPostgresStore).schema }),
  );
  specifics();
});

const owner = { tenantId: 'tenant-1', userId: 'user-1' };
const stored: LongRunningOperation = {
  id: 'op-1',
  createdDateTime: 17_145_000_000_000_001n,
  lastActionDateTime: 17_145_000_000_000_002n,
  status: 'running',
  statusDetail: 'half way',
  resourceLocation: null,
  version: 1,
  finishedAt: null,
};

/** Runs `body` on a schema name of its own, dropping the schema afterwards whatever happened. */
async function withSchema(body: (schema: string) => Promise<void>): Promise<void> {
  const schema = freshSchemaName();
  try {
    await body(schema);
  } finally {
    await dropSchema(schema);
  }
}

function openOn(schema: string, extra: { applicationName?: string; poolSize?: number } = {}): Promise<Store> {
  return openPostgresStore({ connectionString: POSTGRES_TEST_URL, schema, ...extra });
}

async function appliedMigrations(schema: string): Promise<{ version: number; name: string }[]> {
  const client = await connectPostgres(schema);
  try {
    return (await client.query('SELECT version, name FROM schema_migrations ORDER BY version')).rows;
  } finally {
    await client.end();
  }
}

const EXPECTED_MIGRATIONS = MIGRATIONS.map(({ version, name }) => ({ version, name }));

/** The last schema version whose users all had a UPN: a rename deleted the name's previous holder. */
const SCHEMA_WITH_UPN_REQUIRED = 5;
const OLD_USERS = [
  { tenantId: 'tenant-1', id: 'user-ada', userPrincipalName: 'Ada@Contoso.com' },
  { tenantId: 'tenant-1', id: 'user-grace', userPrincipalName: 'grace@contoso.com' },
];

/**
 * Holds the row's lock in a transaction of its own while `race` starts its writers, waits until `writers`
 * connections of `applicationName` are queued on a lock, then commits (after `whileHeld`, if given), so
 * the writers all wake at once against the committed row.
 */
async function raceBehindRowLock<T>(options: {
  schema: string;
  applicationName: string;
  writers: number;
  whileHeld?: (client: pg.Client) => Promise<void>;
  race: () => Promise<T>;
}): Promise<T> {
  const holder = await connectPostgres(options.schema);
  const watcher = await connectPostgres();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM operations WHERE tenant_id = $1 AND user_id = $2 AND id = $3 FOR UPDATE', [
      owner.tenantId,
      owner.userId,
      stored.id,
    ]);
    if (options.whileHeld) await options.whileHeld(holder);
    const racing = options.race();
    racing.catch(() => undefined); // awaited below; not unhandled meanwhile
    const queued = async () =>
      (
        await watcher.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
          [options.applicationName],
        )
      ).rows[0]!.n;
    await until(`all ${options.writers} writers queued on the row lock`, queued, (n) => n === options.writers, { timeoutMs: 10_000, intervalMs: 10 });
    await holder.query('COMMIT');
    return await racing;
  } finally {
    await holder.end();
    await watcher.end();
  }
}

function specifics(): void {
  it('reopening a schema keeps its data and applies each migration once', () =>
    withSchema(async (schema) => {
      const first = await openOn(schema);
      await first.operations.insert(owner, stored);
      await first.close();
      for (let i = 0; i < 2; i++) {
        const again = await openOn(schema);
        try {
          assert.deepEqual(await again.operations.get(owner, 'op-1'), stored);
        } finally {
          await again.close();
        }
      }
      assert.deepEqual(await appliedMigrations(schema), EXPECTED_MIGRATIONS);
    }));

  it('5 stores opening one fresh schema at once: all open, each migration recorded once', () =>
    withSchema(async (schema) => {
      const stores = await Promise.all(Array.from({ length: 5 }, () => openOn(schema)));
      try {
        assert.deepEqual(await appliedMigrations(schema), EXPECTED_MIGRATIONS);
        await stores[0]!.operations.insert(owner, stored);
        for (const store of stores) assert.deepEqual(await store.operations.get(owner, 'op-1'), stored);
      } finally {
        await Promise.all(stores.map((store) => store.close()));
      }
    }));

  it('without a schema option, migrates into the first schema on the connection’s search path', () =>
    withSchema(async (schema) => {
      const client = await connectPostgres();
      try {
        await client.query(`CREATE SCHEMA ${schema}`);
      } finally {
        await client.end();
      }
      const url = new URL(POSTGRES_TEST_URL);
      url.searchParams.set('options', `-c search_path=${schema}`);
      const store = await openPostgresStore({ connectionString: url.toString() });
      try {
        await store.operations.insert(owner, stored);
        assert.deepEqual(await appliedMigrations(schema), EXPECTED_MIGRATIONS);
        const inSchema = await connectPostgres(schema);
        try {
          assert.equal((await inSchema.query('SELECT count(*)::int AS n FROM operations')).rows[0].n, 1);
        } finally {
          await inSchema.end();
        }
      } finally {
        await store.close();
      }
    }));

  it('refuses a schema migrated by a newer release, and changes nothing in it', () =>
    withSchema(async (schema) => {
      await (await openOn(schema)).close();
      const client = await connectPostgres(schema);
      try {
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [LATEST_VERSION + 1, 'future']);
        await assert.rejects(openOn(schema), /newer than this release knows/);
        const versions = await client.query('SELECT version FROM schema_migrations ORDER BY version');
        assert.deepEqual(
          versions.rows.map((row) => row.version),
          [...MIGRATIONS.map((m) => m.version), LATEST_VERSION + 1],
        );
      } finally {
        await client.end();
      }
    }));

  it('the schema keys and indexes operations by user first, and compares strings bytewise', async () => {
    const store = await openFreshPostgresStore();
    const client = await connectPostgres(store.schema);
    try {
      const indexes = await client.query<{ name: string; definition: string }>(
        `SELECT indexname AS name, indexdef AS definition FROM pg_indexes WHERE schemaname = $1 AND tablename = 'operations' ORDER BY indexname`,
        [store.schema],
      );
      const columnsOf = (definition: string) => /\(([^)]*)\)/.exec(definition)![1];
      assert.deepEqual(
        Object.fromEntries(indexes.rows.map((row) => [row.name, columnsOf(row.definition)])),
        {
          operations_by_created: 'user_id, tenant_id, created_ticks, id',
          operations_by_created_all: 'created_ticks, id', // the admin listing reads across owners
          operations_by_finished: 'finished_ticks', // retention reads across owners
          operations_by_schedule: 'user_id, tenant_id, run_at_ticks', // partial: scheduled rows only
          operations_by_status: 'user_id, tenant_id, status, id',
          operations_due: 'run_at_ticks', // partial: open scheduled rows, across owners
          operations_pkey: 'user_id, tenant_id, id',
        },
      );
      const collations = await client.query<{ column_name: string; collation_name: string | null }>(
        `SELECT column_name, collation_name FROM information_schema.columns
         WHERE table_schema = $1 AND table_name = 'operations' AND data_type = 'text'`,
        [store.schema],
      );
      assert.equal(collations.rows.length, 8);
      for (const row of collations.rows) assert.equal(row.collation_name, 'C', row.column_name);
      // Bytewise even against the database's own collation: upper case before lower case.
      await store.operations.insert(owner, { ...stored, id: 'a' });
      await store.operations.insert(owner, { ...stored, id: 'Zed' });
      const listed = await store.operations.list(owner, { orderBy: [], limit: 10 });
      assert.deepEqual(listed.map((op) => op.id), ['Zed', 'a']);
    } finally {
      await client.end();
      await store.close();
    }
  });

  it('a PATCH that keeps the status rewrites the row in place (a HOT update), touching no index', async () => {
    // Once any index holds a column every PATCH writes (lastActionDateTime), no PATCH is HOT: each inserts
    // an entry into every index of the table. The counters are the table's own; a backend hands its counts
    // in when it exits, so the store is closed before they are read.
    await withSchema(async (schema) => {
      const store = await openOn(schema);
      try {
        for (let i = 0; i < 20; i++) await store.operations.insert(owner, { ...stored, id: `op-${i}` });
        for (let round = 0; round < 5; round++) {
          for (let i = 0; i < 20; i++) {
            const patch = { changes: { statusDetail: `round ${round}` }, now: stored.lastActionDateTime + BigInt(round + 1) };
            assert.ok(await store.operations.patch(owner, `op-${i}`, patch), `op-${i} in round ${round}`);
          }
        }
      } finally {
        await store.close();
      }
      const client = await connectPostgres(schema);
      try {
        const counters = await until(
          'the table counters of 100 updates',
          async () =>
            (
              await client.query<{ updated: string; hot: string; fillfactor: string | null }>(
                `SELECT n_tup_upd AS updated, n_tup_hot_upd AS hot,
                        (SELECT option_value FROM pg_options_to_table(reloptions) WHERE option_name = 'fillfactor') AS fillfactor
                 FROM pg_stat_user_tables AS t JOIN pg_class ON pg_class.oid = t.relid WHERE t.schemaname = $1 AND t.relname = 'operations'`,
                [schema],
              )
            ).rows[0]!,
          (row) => Number(row.updated) >= 100,
          { timeoutMs: 10_000 },
        );
        assert.equal(Number(counters.updated), 100);
        assert.ok(Number(counters.hot) >= 90, `HOT updates: ${counters.hot} of ${counters.updated}`);
        assert.equal(counters.fillfactor, '90');
      } finally {
        await client.end();
      }
    });
  });

  it('the schema refuses a status outside the enum', async () => {
    const store = await openFreshPostgresStore();
    const client = await connectPostgres(store.schema);
    try {
      const insert = `INSERT INTO operations (tenant_id, user_id, id, created_ticks, last_action_ticks, status, version)
                      VALUES ('t', 'u', $1, 0, 0, $2, 1)`;
      await client.query(insert, ['ok', 3]);
      await assert.rejects(client.query(insert, ['bad', 4]), /check constraint/);
    } finally {
      await client.end();
      await store.close();
    }
  });

  it('the schema refuses a partial schedule, one that finishes before it runs, and an unknown outcome', async () => {
    const store = await openFreshPostgresStore();
    const client = await connectPostgres(store.schema);
    try {
      const insert = `INSERT INTO operations (tenant_id, user_id, id, created_ticks, last_action_ticks, status, version, run_at_ticks, finish_at_ticks, outcome)
                      VALUES ('t', 'u', $1, 0, 0, 0, 1, $2, $3, $4)`;
      await client.query(insert, ['ok', 1, 2, 1]);
      await client.query(insert, ['none', null, null, null]);
      for (const [id, runAt, finishAt, outcome] of [['no-finish', 1, null, 0], ['no-outcome', 1, 2, null], ['backwards', 2, 1, 0], ['outcome', 1, 2, 2]]) {
        await assert.rejects(client.query(insert, [id, runAt, finishAt, outcome]), /check constraint/, String(id));
      }
    } finally {
      await client.end();
      await store.close();
    }
  });

  it('answers int8 as bigint through its own pool only: pg’s global parser is left alone', async () => {
    const store = await openFreshPostgresStore();
    try {
      await store.operations.insert(owner, stored);
      const read = await store.operations.get(owner, 'op-1');
      assert.equal(typeof read?.createdDateTime, 'bigint');
      assert.equal(await store.operations.count(owner), 1);
      assert.equal(pg.types.getTypeParser(pg.types.builtins.INT8, 'text')('12'), '12');
    } finally {
      await store.close();
    }
  });

  it('ping answers; statistics count by status and report the pool', async () => {
    const store = await openFreshPostgresStore({ poolSize: 3 });
    try {
      await store.ping();
      await store.operations.insert(owner, stored);
      await store.operations.insert(owner, { ...stored, id: 'op-2', status: 'failed' });
      await store.operations.insert({ ...owner, userId: 'user-2' }, { ...stored, id: 'op-3', status: 'failed' });
      const statistics = await store.statistics();
      assert.deepEqual(statistics.operationsByStatus, { notStarted: 0, running: 1, succeeded: 0, failed: 2 });
      assert.ok(statistics.connections);
      assert.ok(statistics.connections.total >= 1 && statistics.connections.total <= 3);
      assert.equal(statistics.connections.waiting, 0);
    } finally {
      await store.close();
    }
  });

  it('a failed open ends its pool and says why', async () => {
    await assert.rejects(
      openPostgresStore({ connectionString: 'postgres://postgres@127.0.0.1:1/test' }),
      /ECONNREFUSED|connect/,
    );
  });

  it('20 racing updates at one expected version, on 20 connections: exactly one wins', async () => {
    const applicationName = `graph-lro-race-${process.pid}-1`;
    const store = await openFreshPostgresStore({ poolSize: 20, applicationName });
    try {
      await store.operations.insert(owner, stored);
      const attempts = Array.from({ length: 20 }, (_, i) => ({ ...stored, statusDetail: `writer ${i}` }));
      const results = await raceBehindRowLock({
        schema: store.schema,
        applicationName,
        writers: 20,
        race: () => Promise.all(attempts.map((next) => store.operations.update(owner, next, 1))),
      });
      const winners = results.filter((result) => result !== undefined);
      assert.equal(winners.length, 1, `${winners.length} writers won`);
      assert.equal(winners[0]!.version, 2);
      assert.deepEqual(await store.operations.get(owner, 'op-1'), winners[0]);
    } finally {
      await store.close();
    }
  });

  it('a row finished while racing writers waited on it stays finished, even at their expected version', async () => {
    const applicationName = `graph-lro-race-${process.pid}-2`;
    const store = await openFreshPostgresStore({ poolSize: 20, applicationName });
    try {
      await store.operations.insert(owner, stored);
      // Another writer finishes the row without bumping its version: only the status guard can stop the
      // writers that queued behind it, and they must check it against the row as committed.
      const finished = await raceBehindRowLock({
        schema: store.schema,
        applicationName,
        writers: 20,
        whileHeld: async (holder) => {
          await holder.query(`UPDATE operations SET status = $1, status_detail = 'finished elsewhere' WHERE id = $2`, [
            statusValue('succeeded'),
            stored.id,
          ]);
        },
        race: () =>
          Promise.all(
            Array.from({ length: 20 }, (_, i) => store.operations.update(owner, { ...stored, statusDetail: `reopen ${i}` }, 1)),
          ),
      });
      assert.deepEqual(finished, Array(20).fill(undefined));
      assert.deepEqual(await store.operations.get(owner, 'op-1'), {
        ...stored,
        status: 'succeeded',
        statusDetail: 'finished elsewhere',
      });
    } finally {
      await store.close();
    }
  });

  it('a finishing update racing 20 writers at the version it creates: it wins, and the row stays finished', async () => {
    const store = await openFreshPostgresStore({ poolSize: 21 });
    try {
      await store.operations.insert(owner, stored);
      const finish = { ...stored, status: 'failed' as const, statusDetail: 'gave up' };
      // Whatever the interleaving, a writer at version 2 either runs first (no row at version 2 yet) or after
      // the finish (the row is terminal): none may write. Not gated on a lock: such a writer does not wait
      // for the row, whose committed version does not match its condition.
      const [finished, ...others] = await Promise.all([
        store.operations.update(owner, finish, 1),
        ...Array.from({ length: 20 }, (_, i) => store.operations.update(owner, { ...stored, statusDetail: `after ${i}` }, 2)),
      ]);
      assert.deepEqual(finished, { ...finish, version: 2 });
      assert.deepEqual(others, Array(20).fill(undefined));
      assert.deepEqual(await store.operations.get(owner, 'op-1'), finished);
    } finally {
      await store.close();
    }
  });

  it('concurrent upserts moving one UPN leave exactly one holder, and every user in place', async () => {
    const store = await openFreshPostgresStore({ poolSize: 10 });
    try {
      const users = Array.from({ length: 10 }, (_, i) => ({ tenantId: 'tenant-1', id: `user-${i}`, userPrincipalName: 'Shared@Contoso.com' }));
      await Promise.all(users.map((user) => store.users.upsert(user)));
      const holder = await store.users.findByUserPrincipalName('tenant-1', 'shared@contoso.com');
      assert.ok(holder);
      const found = await Promise.all(users.map((user) => store.users.findById('tenant-1', user.id)));
      assert.deepEqual(
        found,
        users.map((user) => (user.id === holder.id ? holder : { ...user, userPrincipalName: null })),
      );
    } finally {
      await store.close();
    }
  });

  it('migrates users of the schema before UPNs could be NULL, keeping them', () =>
    withSchema(async (schema) => {
      const client = await connectPostgres(schema);
      try {
        await client.query(`CREATE SCHEMA ${schema}`);
        await client.query('CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
        for (const migration of MIGRATIONS.filter((m) => m.version <= SCHEMA_WITH_UPN_REQUIRED)) {
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
        }
        for (const user of OLD_USERS) {
          await client.query('INSERT INTO users (tenant_id, id, user_principal_name, upn_lower) VALUES ($1, $2, $3, $4)', [
            user.tenantId,
            user.id,
            user.userPrincipalName,
            user.userPrincipalName.toLowerCase(),
          ]);
        }
      } finally {
        await client.end();
      }
      const store = await openOn(schema);
      try {
        assert.deepEqual(await appliedMigrations(schema), EXPECTED_MIGRATIONS);
        assert.deepEqual(await store.admin.listUsers(undefined, 10), OLD_USERS);
        assert.deepEqual(await store.users.findByUserPrincipalName('tenant-1', 'ada@contoso.com'), OLD_USERS[0]);
        await store.users.upsert({ tenantId: 'tenant-1', id: 'user-ada-2', userPrincipalName: 'ada@contoso.com' });
        assert.deepEqual(await store.users.findById('tenant-1', 'user-ada'), { ...OLD_USERS[0], userPrincipalName: null });
      } finally {
        await store.close();
      }
      const db = await connectPostgres(schema);
      try {
        const insert = 'INSERT INTO users (tenant_id, id, user_principal_name, upn_lower) VALUES ($1, $2, $3, $4)';
        await assert.rejects(db.query(insert, ['tenant-1', 'user-new', 'new@contoso.com', null]), /check constraint/);
        await assert.rejects(db.query(insert, ['tenant-1', 'user-new', 'GRACE@contoso.com', 'grace@contoso.com']), /unique constraint/);
      } finally {
        await db.end();
      }
    }));

  it('users swapping UPNs at the same moment both end up with the new one', async () => {
    const store = await openFreshPostgresStore({ poolSize: 4 });
    try {
      const tenantId = 'tenant-1';
      for (let round = 0; round < 20; round++) {
        const [p, q] = [`p${round}@contoso.com`, `q${round}@contoso.com`];
        await store.users.upsert({ tenantId, id: 'user-x', userPrincipalName: p });
        await store.users.upsert({ tenantId, id: 'user-y', userPrincipalName: q });
        // Each upsert releases the UPN the other holds: whichever commits first, both must end moved.
        await Promise.all([
          store.users.upsert({ tenantId, id: 'user-x', userPrincipalName: q }),
          store.users.upsert({ tenantId, id: 'user-y', userPrincipalName: p }),
        ]);
        assert.equal((await store.users.findByUserPrincipalName(tenantId, q))?.id, 'user-x', `round ${round}`);
        assert.equal((await store.users.findByUserPrincipalName(tenantId, p))?.id, 'user-y', `round ${round}`);
      }
    } finally {
      await store.close();
    }
  });
}
