import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { PASSWORD_METHOD_ID } from '../../src/operations/password-reset.js';
import { describeExchange, entityOf, exchange, LOAD_TEST_ENV, startServers, versionOf } from '../support/cluster.js';
import { connectPostgres, describePostgres, dropSchema, freshSchemaName, POSTGRES_TEST_URL } from '../support/postgres.js';
import { runCli, type ServerProcess } from '../support/process.js';

/**
 * Password resets on several instances of one PostgreSQL schema: the schedule is evaluated lazily by
 * whichever instance reads the operation, so reads racing through every instance at once must write each
 * step once and tell the same story.
 */

const INSTANCES = 3;
const RESETS = 12;
const TARGET_ID = '6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0';

await describePostgres('password resets on several instances', () => {
  const schema = freshSchemaName();
  const dbArgs = ['--database', POSTGRES_TEST_URL, '--db-schema', schema];
  const dir = mkdtempSync(join(tmpdir(), 'graph-lro-cluster-reset-'));
  let servers: ServerProcess[] = [];

  after(async () => {
    await Promise.all(servers.map((s) => s.stop('SIGKILL')));
    await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads racing through every instance after the finish write each reset’s step once and agree', async () => {
    const users = join(dir, 'users.json');
    writeFileSync(users, JSON.stringify([{ id: TARGET_ID, userPrincipalName: 'cameron@contoso.com' }]));
    servers = await startServers(INSTANCES, [...dbArgs, '--users', users, '--reset-duration', '1s'], LOAD_TEST_ENV);
    const minted = runCli(['token', '--user', 'helpdesk@contoso.com', ...dbArgs]);
    assert.equal(minted.status, 0, minted.stderr);
    const token = minted.stdout.trim();

    const paths: string[] = [];
    for (let i = 0; i < RESETS; i++) {
      const res = await fetch(`${servers[i % INSTANCES]!.origin}/v1.0/users/cameron@contoso.com/authentication/methods/${PASSWORD_METHOD_ID}/resetPassword`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{"newPassword": "Correct-Horse-9"}',
      });
      assert.equal(res.status, 202, await res.text());
      const location = new URL(res.headers.get('location')!);
      assert.ok(location.pathname.startsWith(`/v1.0/users/${TARGET_ID}/authentication/operations/`));
      paths.push(`${location.pathname}${location.search}`);
    }
    // Past every reset's finish (1 s after its POST, on this machine's clock) before the first read, with 200 ms
    // to spare: a late wake-up only leaves them further past it. Not a poll: a read at the finish writes the step,
    // and the point is that the reads race to write it.
    await new Promise((resolve) => setTimeout(resolve, 1_200));

    const reads = await Promise.all(
      paths.flatMap((path) => servers.flatMap((server) => [exchange(server.origin, token, 'GET', path), exchange(server.origin, token, 'GET', path)])),
    );
    for (const [i, path] of paths.entries()) {
      const answers = reads.slice(i * INSTANCES * 2, (i + 1) * INSTANCES * 2);
      for (const answer of answers) {
        assert.equal(answer.status, 200, describeExchange(answer));
        assert.equal(versionOf(answer.etag), 2, `one write, notStarted → succeeded: ${describeExchange(answer)}`);
        assert.deepEqual(entityOf(answer.json), entityOf(answers[0]!.json), `every instance answers ${path} alike`);
      }
      assert.equal(answers[0]!.json.status, 'succeeded');
      assert.equal(answers[0]!.json.statusDetail, 'ResetSuccess');
    }

    const client = await connectPostgres(schema);
    try {
      const rows = await client.query<{ version: number; n: string }>('SELECT version, count(*) AS n FROM operations GROUP BY version');
      assert.deepEqual(rows.rows.map((r) => [r.version, Number(r.n)]), [[2, RESETS]], 'each reset was written once after its insert');
    } finally {
      await client.end();
    }
  });
});
