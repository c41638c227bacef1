import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startIdentityProvider, type FakeIdentityProvider } from '../support/identity-provider.js';
import { describePostgres, dropSchema, freshSchemaName, POSTGRES_TEST_URL } from '../support/postgres.js';

const DOC = readFileSync(new URL('../../docs/production.md', import.meta.url), 'utf8');
const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** The page's first shell example: the production command line a reader copies. */
function productionExample(): string {
  const block = /```sh\n([\s\S]*?)```/.exec(DOC)?.[1];
  assert.ok(block, 'docs/production.md has a shell example');
  return block;
}

await describePostgres('docs/production.md: the production command line, as written', () => {
  let idp: FakeIdentityProvider;
  const schema = freshSchemaName();
  before(async () => {
    idp = await startIdentityProvider();
  });
  after(async () => {
    await idp.close();
    await dropSchema(schema);
  });

  it('starts under the provider with no emulator feature, bound to every interface, and serves its tokens', async () => {
    // `graph-lro` is the built CLI (exec: a signal reaches it, not a shell); only the port (a free one) and the
    // schema (a throwaway one) are changed.
    const script = `graph-lro() { exec node ${JSON.stringify(CLI)} "$@" --port 0 --db-schema ${schema}; }\n${productionExample()}`;
    const child = spawn('bash', ['-c', script], {
      env: {
        ...process.env,
        GRAPH_LRO_DATABASE_URL: POSTGRES_TEST_URL,
        OIDC_DISCOVERY_URL: `${idp.origin}/${idp.tenantId}/v2.0/.well-known/openid-configuration`,
        AUDIENCE: idp.audience,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const origin = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`did not start:\n${out}`)), 30_000);
        const check = () => {
          const serving = /serving (http:\/\/[\d.:]+)\/v1\.0/.exec(out)?.[1];
          if (serving && /^Emulator features on: .*$/m.test(out)) {
            clearTimeout(timer);
            resolve(serving);
          } else if (child.exitCode !== null) {
            clearTimeout(timer);
            reject(new Error(`exited ${child.exitCode}:\n${out}`));
          } else setTimeout(check, 50);
        };
        check();
      });
      assert.match(out, /^Listening on 0\.0\.0\.0:\d+ \(every IPv4 interface\)$/m);
      assert.match(out, /^Identity: tokens verified against http:\/\/127\.0\.0\.1:\d+\/.+\/openid-configuration /m);
      assert.match(out, /^Emulator features on: none$/m);
      assert.doesNotMatch(out, /eyJ[\w-]+\.[\w-]+\.[\w-]+/, 'no token printed');
      const token = await idp.sign();
      const created = await fetch(`${origin}/v1.0/me/authentication/operations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(created.status, 201);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
