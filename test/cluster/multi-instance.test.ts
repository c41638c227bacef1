import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, it } from 'node:test';
import { seededRandom } from '../fixtures/seeded-random.js';
import {
  describeExchange,
  elapsed,
  entityOf,
  exchange,
  LOAD_TEST_ENV,
  OPS,
  startServers,
  versionOf,
  type Exchange,
  type OperationEntity,
} from '../support/cluster.js';
import { MIGRATION_LOCK_KEY, MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { connectPostgres, describePostgres, dropSchema, freshSchemaName, POSTGRES_TEST_URL } from '../support/postgres.js';
import { runCli, type ServerProcess } from '../support/process.js';

/**
 * Several `graph-lro serve` processes on one PostgreSQL schema, as a load balancer would run them: they
 * start together (migrating the fresh schema at once), share the signing key and the data, and conflicting
 * writes sent through different instances at the same moment are decided as one server would decide them.
 */

const INSTANCES = 3;
/** Operations raced at once; half of them with their rows locked while the writers gather. */
const RACED = 30;

await describePostgres('several instances on one PostgreSQL schema', () => {
  const schema = freshSchemaName();
  const dbArgs = ['--database', POSTGRES_TEST_URL, '--db-schema', schema];
  let servers: ServerProcess[] = [];
  let token = '';

  after(async () => {
    // Whatever a failed test left running; a stopped server's stop() just answers its exit code.
    await Promise.all(servers.map((s) => s.stop('SIGKILL')));
    await dropSchema(schema);
  });

  const instance = (i: number): ServerProcess => {
    const server = servers[i % INSTANCES];
    assert.ok(server, 'the instances started (see the first test)');
    return server;
  };

  it('three instances started at once migrate the fresh schema once, share one signing key and are ready', async (t) => {
    const start = performance.now();
    // The migration lock is held while the instances start, so that all three are seen migrating at once
    // (queued on it) before any has finished: their migrations overlap, however fast each process starts.
    const gate = await connectPostgres();
    let queued = 0;
    let starting: Promise<ServerProcess[]>;
    try {
      await gate.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY.toString()]);
      const gatePid = (await gate.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      starting = startServers(INSTANCES, dbArgs, LOAD_TEST_ENV);
      let settled = false;
      starting.then(
        () => (settled = true),
        () => (settled = true),
      );
      for (const deadline = performance.now() + 15_000; performance.now() < deadline && !settled; ) {
        queued = Number(
          (
            await gate.query(
              `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'graph-lro' AND $1 = ANY(pg_blocking_pids(pid))`,
              [gatePid],
            )
          ).rows[0].n,
        );
        if (queued >= INSTANCES) break;
        await new Promise((r) => setTimeout(r, 25));
      }
    } finally {
      await gate.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
      await gate.end();
    }
    servers = await starting;
    t.diagnostic(`three instances started concurrently in ${elapsed(start)} ms (${queued} met at the migration lock)`);
    assert.ok(queued >= INSTANCES, `all three instances were migrating at the same moment (${queued} waited on the migration lock)`);
    assert.equal(new Set(servers.map((s) => s.origin)).size, INSTANCES, 'three distinct listeners');

    const client = await connectPostgres(schema);
    try {
      const migrations = await client.query<{ version: number; n: string }>(
        'SELECT version, count(*) OVER (PARTITION BY version) AS n FROM schema_migrations ORDER BY version',
      );
      assert.deepEqual(
        migrations.rows.map((r) => [r.version, Number(r.n)]),
        MIGRATIONS.map((migration) => [migration.version, 1]),
        'each migration recorded exactly once',
      );
      assert.equal(Number((await client.query('SELECT count(*) AS n FROM secrets')).rows[0].n), 1, 'one signing key for all instances');
    } finally {
      await client.end();
    }

    const minted = runCli(['token', '--user', 'racer@contoso.com', ...dbArgs]);
    assert.equal(minted.status, 0, minted.stderr);
    token = minted.stdout.trim();
    assert.match(token, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);

    const jwks = new Set<string>();
    for (const server of servers) {
      assert.equal((await fetch(`${server.origin}/readyz`)).status, 200, `${server.origin}/readyz`);
      assert.equal((await fetch(`${server.origin}/healthz`)).status, 200, `${server.origin}/healthz`);
      const list = await exchange(server.origin, token, 'GET', OPS);
      assert.equal(list.status, 200, `the minted token is accepted by ${server.origin}: ${describeExchange(list)}`);
      assert.deepEqual(list.json.value, []);
      // Each instance's own welcome token verifies on every other instance too.
      for (const other of servers) {
        const cross = await exchange(other.origin, server.token, 'GET', OPS);
        assert.equal(cross.status, 200, `a token printed by ${server.origin} is accepted by ${other.origin}`);
      }
      jwks.add(JSON.stringify(await (await fetch(`${server.origin}/.well-known/jwks.json`)).json()));
    }
    assert.equal(jwks.size, 1, 'every instance publishes the same key set');
  });

  it('what one instance writes, the others read: creates, PATCHes, ETags, If-None-Match and DELETE', async () => {
    const created: OperationEntity[] = [];
    for (let i = 0; i < INSTANCES; i++) {
      const res = await exchange(instance(i).origin, token, 'POST', OPS, { body: { statusDetail: `made by instance ${i}` } });
      assert.equal(res.status, 201, describeExchange(res));
      assert.equal(res.etag, '"1"');
      created.push(entityOf(res.json));
    }
    for (let reader = 0; reader < INSTANCES; reader++) {
      for (const op of created) {
        const read = await exchange(instance(reader).origin, token, 'GET', `${OPS}/${op.id}`);
        assert.equal(read.status, 200, describeExchange(read));
        assert.deepEqual(entityOf(read.json), op, `instance ${reader} reads what was created`);
        assert.equal(read.etag, '"1"');
      }
      const list = await exchange(instance(reader).origin, token, 'GET', `${OPS}?$orderby=createdDateTime`);
      assert.deepEqual(
        (list.json.value as unknown[]).map(entityOf).sort((a, b) => a.id.localeCompare(b.id)),
        [...created].sort((a, b) => a.id.localeCompare(b.id)),
        `instance ${reader} lists all three`,
      );
    }

    const [first, second] = created as [OperationEntity, OperationEntity];
    const patched = await exchange(instance(0).origin, token, 'PATCH', `${OPS}/${first.id}`, {
      body: { status: 'running', statusDetail: 'patched through instance 0' },
      ifMatch: '"1"',
    });
    assert.equal(patched.status, 200, describeExchange(patched));
    assert.equal(patched.etag, '"2"');
    const seen = await exchange(instance(1).origin, token, 'GET', `${OPS}/${first.id}`);
    assert.equal(seen.etag, '"2"');
    assert.deepEqual(entityOf(seen.json), entityOf(patched.json), 'instance 1 reads the PATCH made through instance 0');
    const notModified = await fetch(`${instance(2).origin}${OPS}/${first.id}`, {
      headers: { authorization: `Bearer ${token}`, 'if-none-match': '"2"' },
    });
    assert.equal(notModified.status, 304, 'instance 2 knows the ETag instance 0 answered');
    const stale = await exchange(instance(2).origin, token, 'PATCH', `${OPS}/${first.id}`, { body: { statusDetail: 'stale' }, ifMatch: '"1"' });
    assert.equal(stale.status, 412, describeExchange(stale));
    assert.equal(stale.json?.error?.code, 'resourceModified');

    const deleted = await exchange(instance(1).origin, token, 'DELETE', `${OPS}/${second.id}`);
    assert.equal(deleted.status, 204, describeExchange(deleted));
    for (let reader = 0; reader < INSTANCES; reader++) {
      const gone = await exchange(instance(reader).origin, token, 'GET', `${OPS}/${second.id}`);
      assert.equal(gone.status, 404, `instance ${reader} no longer finds the deleted operation`);
    }
  });

  it('conflicting PATCHes raced through all instances at once are decided as by one server', async (t) => {
    const start = performance.now();
    const random = seededRandom(0x5eedc105n);

    /** Every acknowledged write per operation, from its creation on: these must form its history. */
    const acknowledged = new Map<string, Exchange[]>();
    const ids: string[] = [];
    for (let k = 0; k < RACED; k++) {
      const created = await exchange(instance(k).origin, token, 'POST', OPS, { body: { statusDetail: `race ${k} created` } });
      assert.equal(created.status, 201, describeExchange(created));
      const id = created.json.id as string;
      const running = await exchange(instance(k + 1).origin, token, 'PATCH', `${OPS}/${id}`, {
        body: { status: 'running', statusDetail: `race ${k} running` },
      });
      assert.equal(running.status, 200, describeExchange(running));
      assert.equal(running.etag, '"2"');
      ids.push(id);
      acknowledged.set(id, [created, running]);
    }

    t.diagnostic(`set-up of ${RACED} operations: ${elapsed(start)} ms`);
    // Round 1: If-Match writers alone, one per instance, all naming ETag "2": exactly one wins.
    const round1 = await Promise.all(
      ids.flatMap((id, k) =>
        Array.from({ length: INSTANCES }, (_, i) =>
          exchange(instance(i).origin, token, 'PATCH', `${OPS}/${id}`, { body: { statusDetail: `race ${k} r1 writer ${i}` }, ifMatch: '"2"' }),
        ),
      ),
    );
    for (const [k, id] of ids.entries()) {
      const mine = round1.filter((x) => x.path === `${OPS}/${id}`);
      assert.equal(mine.length, INSTANCES);
      const wins = mine.filter((x) => x.status === 200);
      const lost = mine.filter((x) => x.status !== 200);
      assert.equal(wins.length, 1, `op ${k}: exactly one If-Match "2" writer wins:\n${mine.map(describeExchange).join('\n')}`);
      const [win] = wins as [Exchange];
      assert.equal(win.etag, '"3"', `op ${k}: the winner wrote version 3`);
      assert.equal(win.json.statusDetail, (win.body as { statusDetail: string }).statusDetail);
      for (const x of lost) {
        assert.equal(x.status, 412, `op ${k}: the other If-Match writers get 412: ${describeExchange(x)}`);
        assert.equal(x.json?.error?.code, 'resourceModified', describeExchange(x));
      }
      acknowledged.get(id)!.push(win);
    }

    t.diagnostic(`round 1 done at ${elapsed(start)} ms`);
    // Round 2: every kind of conflicting write at once, through all instances, in a shuffled order.
    type Kind = 'ifMatch' | 'finish' | 'backwards' | 'plain';
    interface Planned {
      readonly kind: Kind;
      readonly id: string;
      readonly k: number;
      readonly via: number;
      readonly body: Record<string, string>;
      readonly ifMatch?: string;
    }
    const planned: Planned[] = [];
    for (const [k, id] of ids.entries()) {
      for (let i = 0; i < INSTANCES; i++) {
        planned.push({ kind: 'ifMatch', id, k, via: i, body: { statusDetail: `race ${k} if-match ${i}` }, ifMatch: '"3"' });
        planned.push({ kind: 'plain', id, k, via: i + 1, body: { statusDetail: `race ${k} plain ${i}` } });
      }
      for (const [j, status] of (['succeeded', 'failed', 'failed', 'succeeded'] as const).entries()) {
        planned.push({ kind: 'finish', id, k, via: j, body: { status, statusDetail: `race ${k} finish ${j} ${status}` } });
      }
      for (let j = 0; j < 2; j++) planned.push({ kind: 'backwards', id, k, via: j + 2, body: { status: 'notStarted' } });
    }
    for (let i = planned.length - 1; i > 0; i--) {
      const j = random.int(i + 1);
      [planned[i], planned[j]] = [planned[j]!, planned[i]!];
    }

    // Half of the operations have their rows locked while the writers gather, so that many writers on
    // several instances read the same version and then meet at the UPDATE; the other half run free.
    const lockedIds = ids.filter((_, k) => k % 2 === 0);
    const holder = await connectPostgres(schema);
    const watcher = await connectPostgres();
    let outcomes: { plan: Planned; x: Exchange }[];
    let queuedAtRelease = 0;
    try {
      await holder.query('BEGIN');
      const holderPid = (await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      await holder.query('SELECT 1 FROM operations WHERE id = ANY($1) FOR UPDATE', [lockedIds]);
      const racing = Promise.all(
        planned.map(async (plan) => ({
          plan,
          x: await exchange(instance(plan.via).origin, token, 'PATCH', `${OPS}/${plan.id}`, { body: plan.body, ifMatch: plan.ifMatch }),
        })),
      );
      const deadline = performance.now() + 3_000;
      while (performance.now() < deadline) {
        queuedAtRelease = Number(
          (await watcher.query('SELECT count(*) AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [holderPid])).rows[0].n,
        );
        if (queuedAtRelease >= 2 * INSTANCES * 2) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      t.diagnostic(`row locks held ${Math.round(performance.now() - deadline + 3_000)} ms while writers gathered`);
      await holder.query('COMMIT');
      outcomes = await racing;
      t.diagnostic(`round 2 done at ${elapsed(start)} ms`);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await Promise.all([holder.end(), watcher.end()]);
    }
    t.diagnostic(`round 2: ${planned.length} PATCHes; ${queuedAtRelease} writers were queued on the held row locks when released`);
    assert.ok(queuedAtRelease >= 2, `writers of several instances met at the locked rows (${queuedAtRelease} queued)`);

    const tally = new Map<string, number>();
    for (const { plan, x } of outcomes) {
      const key = `${plan.kind} ${x.status ?? 'no answer'}`;
      tally.set(key, (tally.get(key) ?? 0) + 1);
    }
    t.diagnostic(`round 2 outcomes: ${[...tally].sort().map(([key, n]) => `${key}: ${n}`).join(', ')}`);

    // Nothing failed in the server: every request got an answer, none a 5xx, each kind only the answers it may get.
    const allowed: Record<Kind, number[]> = { ifMatch: [200, 412], finish: [200, 409], backwards: [409], plain: [200, 409] };
    for (const { plan, x } of outcomes) {
      assert.ok(x.status !== undefined, `an answer: ${describeExchange(x)}`);
      assert.ok(x.status < 500, `no 5xx: ${describeExchange(x)}`);
      assert.ok(allowed[plan.kind].includes(x.status), `${plan.kind} PATCH answered ${x.status}: ${describeExchange(x)}`);
      if (x.status === 412) assert.equal(x.json?.error?.code, 'resourceModified', describeExchange(x));
      if (x.status === 409) assert.equal(x.json?.error?.code, 'conflict', describeExchange(x));
      if (x.status === 200) {
        // An acknowledged PATCH answers the entity with its own change applied.
        assert.equal(x.json.id, plan.id);
        assert.equal(x.json.statusDetail, plan.body.statusDetail, describeExchange(x));
        assert.equal(x.json.status, plan.kind === 'finish' ? plan.body.status : 'running', describeExchange(x));
        versionOf(x.etag);
      }
    }

    const winnersByInstance = new Set<number>();
    for (const [k, id] of ids.entries()) {
      const mine = outcomes.filter((o) => o.plan.id === id);
      const history = [...acknowledged.get(id)!, ...mine.filter((o) => o.x.status === 200).map((o) => o.x)];
      for (const o of mine) if (o.x.status === 200) winnersByInstance.add(o.plan.via % INSTANCES);
      const dump = () => `op ${k} (${id}):\n${mine.map((o) => `  ${o.plan.kind} via ${o.plan.via % INSTANCES}: ${describeExchange(o.x)}`).join('\n')}`;

      // Every acknowledged write has a version of its own, and together they are 1..final with no gap:
      // no acknowledged change was overwritten unseen, none was answered twice.
      const versions = history.map((x) => versionOf(x.etag)).sort((a, b) => a - b);
      assert.deepEqual(versions, Array.from({ length: versions.length }, (_, i) => i + 1), `gap-free, unique versions\n${dump()}`);
      const last = history.find((x) => versionOf(x.etag) === versions.length)!;

      // Exactly one finisher won, and its write is the last one: nothing acknowledged changed the finished operation.
      const finishers = mine.filter((o) => o.plan.kind === 'finish');
      const finished = finishers.filter((o) => o.x.status === 200);
      assert.equal(finished.length, 1, `exactly one finishing PATCH wins\n${dump()}`);
      const winner = finished[0]!;
      assert.equal(versionOf(winner.x.etag), versions.length, `the finishing write is the last acknowledged one\n${dump()}`);

      // If-Match "3": the only one that may win is the one that wrote version 4; the rest lost to whoever did.
      for (const o of mine.filter((o) => o.plan.kind === 'ifMatch')) {
        if (o.x.status === 200) assert.equal(o.x.etag, '"4"', `an If-Match "3" writer that won wrote version 4\n${dump()}`);
      }
      assert.ok(mine.filter((o) => o.plan.kind === 'ifMatch' && o.x.status === 200).length <= 1, `at most one If-Match "3" winner\n${dump()}`);
      const fourth = history.find((x) => x.etag === '"4"')!;
      for (const o of mine.filter((o) => o.x.status === 412)) {
        assert.ok(fourth.sentAt < o.x.doneAt, `a 412 answered after version 4 was asked for\n${dump()}`);
      }

      // A 409 is deserved: the operation had finished (the winning finisher was sent before the 409 came back),
      // or, for a move back to notStarted, always.
      for (const o of mine.filter((o) => o.x.status === 409 && o.plan.kind !== 'backwards')) {
        assert.ok(o !== winner && winner.x.sentAt < o.x.doneAt, `409 only once another finisher won\n${dump()}`);
      }

      // The final state, read through every instance, is the last acknowledged write.
      for (let reader = 0; reader < INSTANCES; reader++) {
        const read = await exchange(instance(reader).origin, token, 'GET', `${OPS}/${id}`);
        assert.equal(read.status, 200, describeExchange(read));
        assert.equal(read.etag, `"${versions.length}"`, `instance ${reader} reads the last version\n${dump()}`);
        assert.deepEqual(entityOf(read.json), entityOf(last.json), `instance ${reader} reads the last acknowledged entity\n${dump()}`);
        assert.equal(read.json.status, winner.plan.body.status);
      }
    }
    assert.ok(winnersByInstance.size >= 2, `writes were won through several instances (${[...winnersByInstance].join(', ')})`);

    for (let reader = 0; reader < INSTANCES; reader++) {
      const count = await fetch(`${instance(reader).origin}${OPS}/$count`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(await count.text(), String(RACED + 2), `instance ${reader} counts every operation (two from the previous test)`);
    }
    t.diagnostic(`race and checks took ${elapsed(start)} ms`);
  });

  it('many PATCHes racing on one running operation are all applied: 409 is for a finished operation or a move back only', async (t) => {
    // Nothing here finishes the operation or moves it back, so no 409 is deserved: each PATCH must be applied
    // (200), each as a version of its own. The rows are locked while the writers gather, so that they all
    // read the same version and then meet at the UPDATE, as a burst of writers does when a row is busy.
    const WRITERS = 20;
    const targets: string[] = [];
    for (let k = 0; k < INSTANCES; k++) {
      const created = await exchange(instance(k).origin, token, 'POST', OPS, { body: { status: 'running', statusDetail: `burst ${k}` } });
      assert.equal(created.status, 201, describeExchange(created));
      targets.push(created.json.id);
    }
    const holder = await connectPostgres(schema);
    const watcher = await connectPostgres();
    let outcomes: Exchange[];
    try {
      await holder.query('BEGIN');
      const holderPid = (await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      await holder.query('SELECT 1 FROM operations WHERE id = ANY($1) FOR UPDATE', [targets]);
      const racing = Promise.all(
        targets.flatMap((id, k) =>
          Array.from({ length: WRITERS }, (_, i) =>
            exchange(instance(i).origin, token, 'PATCH', `${OPS}/${id}`, { body: { statusDetail: `burst ${k} writer ${i}` } }),
          ),
        ),
      );
      for (const deadline = performance.now() + 3_000; performance.now() < deadline; ) {
        const queued = (await watcher.query('SELECT count(*) AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [holderPid]))
          .rows[0].n;
        if (Number(queued) >= INSTANCES * 8) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await holder.query('COMMIT');
      outcomes = await racing;
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await Promise.all([holder.end(), watcher.end()]);
    }
    const refused = outcomes.filter((x) => x.status !== 200);
    t.diagnostic(`${outcomes.length} PATCHes on ${targets.length} running operations: ${refused.length} not applied`);
    assert.deepEqual(
      refused.map(describeExchange),
      [],
      'every PATCH of statusDetail on a running operation is applied, however many race',
    );
    for (const id of targets) {
      const mine = outcomes.filter((x) => x.path === `${OPS}/${id}`);
      const versions = mine.map((x) => versionOf(x.etag)).sort((a, b) => a - b);
      assert.deepEqual(versions, Array.from({ length: WRITERS }, (_, i) => i + 2), 'one version per PATCH, after the create');
      const read = await exchange(instance(0).origin, token, 'GET', `${OPS}/${id}`);
      assert.deepEqual(entityOf(read.json), entityOf(mine.find((x) => x.etag === read.etag)?.json), 'the final entity is the last PATCH');
    }
  });

  it('SIGTERM stops every instance cleanly (exit code 0)', async () => {
    assert.equal(servers.length, INSTANCES);
    const codes = await Promise.all(servers.map((s) => s.stop('SIGTERM')));
    assert.deepEqual(codes, Array(INSTANCES).fill(0), servers.map((s) => s.output()).join('\n---\n'));
  });
});
