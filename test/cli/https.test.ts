/**
 * `graph-lro serve --https` as a real process over real sockets: a client that trusts the local CA, and only
 * it, reaches the server by every name the certificate is for; one that does not is refused; the
 * `NODE_EXTRA_CA_CERTS` line the banner prints, pasted into a shell, is what makes plain `fetch` work; a
 * restart keeps the CA; and what cannot work is refused at start with one line (exit 2).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { httpsGet } from '../support/https-client.js';
import { assertUsageError, runCli, runToEnd, startServer, type ServerProcess } from '../support/process.js';
import { tempDirs } from '../support/temp-dirs.js';

const OPS = '/v1.0/me/authentication/operations';

/** The line the banner says to paste: `export NODE_EXTRA_CA_CERTS=…`. */
function exportLine(server: ServerProcess): string {
  const line = /^ {2}(export NODE_EXTRA_CA_CERTS=.*)$/m.exec(server.output())?.[1];
  assert.ok(line, `the banner prints the NODE_EXTRA_CA_CERTS line:\n${server.output()}`);
  return line;
}

/** `node` with plain `fetch` in a shell whose first line is `prelude`: the status it got, or the error's cause. */
async function fetchInShell(prelude: string, url: string, token: string): Promise<string> {
  const script = `${prelude}
exec "${process.execPath}" -e 'fetch(process.argv[1], { headers: { authorization: "Bearer " + process.argv[2] } }).then((r) => console.log(r.status), (e) => console.log(e.cause?.code ?? e.message))' "$0" "$1"`;
  const env = { ...process.env, NODE_EXTRA_CA_CERTS: undefined };
  const result = await runToEnd('bash', ['-c', script, url, token], { cwd: process.cwd(), env, timeoutMs: 30_000 });
  assert.equal(result.code, 0, result.stderr);
  return result.stdout.trim();
}

describe('serve --https', () => {
  const tempDir = tempDirs('graph-lro-https-');

  it('serves https:// from a CA made at the first start and kept in <data>/tls, and says how to trust it', async () => {
    const data = join(tempDir(), 'my data'); // a space: the printed line must quote it
    const caFile = join(data, 'tls', 'ca.pem');
    const server = await startServer(['--https', '--host', 'localhost', '--data', data]);
    try {
      const out = server.output();
      assert.match(server.origin, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.match(out, /^graph-lro is serving https:\/\/127\.0\.0\.1:\d+\/v1\.0 and https:\/\/127\.0\.0\.1:\d+\/beta /m);
      assert.match(out, /^Identity: dev: this server signs its own tokens \(public key at https:\/\//m);
      assert.ok(
        out.includes(`HTTPS: a certificate for localhost, 127.0.0.1 and ::1, signed by the local CA ${caFile}, made now: no client trusts it yet. Node.js clients trust it with:\n`),
        out,
      );
      assert.equal(exportLine(server), `export NODE_EXTRA_CA_CERTS='${caFile}'`);
      assert.match(out, new RegExp(`^  curl -s --cacert '${caFile}' -X POST https://127\\.0\\.0\\.1:\\d+${OPS} `, 'm'));
      assert.match(out, /^ {2}https:\/\/127\.0\.0\.1:\d+\/admin\/dashboard#token=/m);
      assert.doesNotMatch(out, /PRIVATE KEY/);
      assert.deepEqual(readdirSync(join(data, 'tls')).sort(), ['ca-key.pem', 'ca.pem', 'server-key.pem', 'server.pem']);

      const ca = readFileSync(caFile, 'utf8');
      const port = new URL(server.origin).port;
      for (const host of ['localhost', '127.0.0.1']) {
        const answer = await httpsGet(`https://${host}:${port}${OPS}`, { ca, token: server.token });
        assert.equal(answer.status, 200, host);
      }
    } finally {
      assert.equal(await server.stop(), 0);
    }
    // `localhost` may resolve to 127.0.0.1 alone (it does here): ::1 gets a server of its own, on the same CA.
    const ipv6 = await startServer(['--https', '--host', '::1', '--data', data]);
    try {
      assert.match(ipv6.origin, /^https:\/\/\[::1\]:\d+$/);
      assert.equal((await httpsGet(`${ipv6.origin}${OPS}`, { ca: readFileSync(caFile, 'utf8'), token: ipv6.token })).status, 200, '::1');
    } finally {
      assert.equal(await ipv6.stop(), 0);
    }
  });

  it('is refused by a client that does not trust the CA, and by one that dials a name the certificate is not for', async () => {
    const server = await startServer(['--https', '--data', tempDir()]);
    try {
      await assert.rejects(httpsGet(`${server.origin}${OPS}`, { token: server.token }), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
      const ca = readFileSync(/NODE_EXTRA_CA_CERTS=(\S+)$/.exec(exportLine(server))![1]!, 'utf8');
      await assert.rejects(httpsGet(`${server.origin}${OPS}`, { ca, servername: 'graph.microsoft.com' }), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
      const other = await startServer(['--https', '--memory']);
      try {
        await assert.rejects(httpsGet(`${other.origin}${OPS}`, { ca }), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, "another server's CA");
      } finally {
        await other.stop();
      }
    } finally {
      await server.stop();
    }
  });

  it('the printed NODE_EXTRA_CA_CERTS line, pasted into a shell, is what lets plain fetch in a new node process through', async () => {
    const server = await startServer(['--https', '--data', join(tempDir(), "it's here")]);
    try {
      const url = `${server.origin}${OPS}`;
      assert.equal(await fetchInShell(exportLine(server), url, server.token), '200');
      assert.equal(await fetchInShell('', url, server.token), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'without it, fetch is refused');
    } finally {
      await server.stop();
    }
  });

  it('a restart keeps the CA, and the server certificate while it is good: a client that trusted it still does', async () => {
    const data = tempDir();
    const caFile = join(data, 'tls', 'ca.pem');
    const first = await startServer(['--https', '--data', data]);
    await first.stop();
    const ca = readFileSync(caFile, 'utf8');
    const certificate = readFileSync(join(data, 'tls', 'server.pem'), 'utf8');
    const second = await startServer(['--https', '--data', data]);
    try {
      assert.ok(second.output().includes(`signed by the local CA ${caFile}. Node.js clients trust it with:`), 'not made now');
      assert.equal(readFileSync(caFile, 'utf8'), ca);
      assert.equal(readFileSync(join(data, 'tls', 'server.pem'), 'utf8'), certificate);
      assert.equal((await httpsGet(`${second.origin}${OPS}`, { ca, token: second.token })).status, 200);
    } finally {
      await second.stop();
    }
  });

  it('GRAPH_LRO_HTTPS=true is the same switch', async () => {
    const server = await startServer(['--data', tempDir()], { GRAPH_LRO_HTTPS: 'true' });
    try {
      assert.match(server.origin, /^https:/);
    } finally {
      await server.stop();
    }
  });

  it('--memory keeps the CA in memory, writes nothing, and prints the CA certificate to trust', async () => {
    const data = join(tempDir(), 'data');
    const server = await startServer(['--https', '--memory', '--data', data]);
    try {
      const out = server.output();
      assert.ok(out.includes('signed by a local CA kept in memory (--memory). To trust it, save this as ca.pem and set NODE_EXTRA_CA_CERTS=ca.pem:\n-----BEGIN CERTIFICATE-----\n'));
      assert.match(out, /^ {2}curl -s --cacert ca\.pem -X POST https:/m);
      const ca = /-----BEGIN CERTIFICATE-----\n[\s\S]+?\n-----END CERTIFICATE-----\n/.exec(out)![0];
      assert.equal((await httpsGet(`${server.origin}${OPS}`, { ca, token: server.token })).status, 200);
      assert.doesNotMatch(out, /PRIVATE KEY/);
      assert.equal(existsSync(data), false, 'nothing written');
    } finally {
      await server.stop();
    }
  });

  it('is refused with --tls-cert/--tls-key: one certificate is served', () => {
    for (const args of [['--tls-cert', 'cert.pem', '--tls-key', 'key.pem'], ['--tls-cert', 'cert.pem'], ['--tls-key', 'key.pem']]) {
      assertUsageError(['serve', '--memory', '--https', ...args], {}, /^graph-lro: --https makes its own certificate and --tls-cert\/--tls-key bring one: choose one\.\n$/);
    }
  });

  it('is refused under a real identity provider, flag or environment: production brings its own certificate', () => {
    const provider = ['--jwks-url', 'http://127.0.0.1:9/keys', '--issuer', 'https://issuer.example', '--audience', 'api://graph-lro'];
    const refused = /^graph-lro: --https \(GRAPH_LRO_HTTPS\) is for dev identity only; under an identity provider \(--jwks-url, --oidc-discovery-url\) serve your own certificate with --tls-cert and --tls-key\.\n$/;
    const data = join(tempDir(), 'data');
    assertUsageError(['serve', '--https', '--data', data, ...provider], {}, refused);
    assertUsageError(['serve', '--data', data, '--oidc-discovery-url', 'http://127.0.0.1:9/.well-known/openid-configuration', '--audience', 'x'], { GRAPH_LRO_HTTPS: '1' }, refused);
    assert.equal(existsSync(data), false, 'no CA made');
  });

  it('a CA file it cannot use ends the start with one line naming the file (exit 2), and nothing is served', async () => {
    const data = tempDir();
    const first = await startServer(['--https', '--data', data]);
    await first.stop();
    const caFile = join(data, 'tls', 'ca.pem');
    const good = readFileSync(caFile);
    writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n');
    const spoiled = runCli(['serve', '--https', '--port', '0', '--data', data]);
    assert.equal(spoiled.status, 2, spoiled.stderr);
    assert.ok(spoiled.stderr.startsWith(`graph-lro: The local CA in ${caFile} and ca-key.pem cannot be used: `), spoiled.stderr);
    assert.ok(spoiled.stderr.endsWith(`Delete ${join(data, 'tls')} to have a new CA made, and trust the new ca.pem instead.\n`), spoiled.stderr);
    assert.doesNotMatch(spoiled.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(spoiled.stdout, '', 'no banner, no token');

    const incomplete = join(tempDir(), 'tls');
    mkdirSync(incomplete);
    writeFileSync(join(incomplete, 'ca.pem'), good); // a CA certificate without its key
    const missing = runCli(['serve', '--https', '--port', '0', '--data', join(incomplete, '..')]);
    assert.equal(missing.status, 2, missing.stderr);
    assert.match(missing.stderr, new RegExp(`^graph-lro: ${join(incomplete, 'ca-key.pem').replace(/[.]/g, '\\.')} is missing: `));
  });
});
