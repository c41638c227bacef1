/**
 * The local CA of `--https` (src/tls/): what its certificates say, read back with node:crypto (OpenSSL, what
 * Node's TLS clients check them with); the files it keeps and their modes; reuse, renewal and the files it
 * cannot use. Real connections are test/cli/https.test.ts's and test/tls/in-process.test.ts's.
 */
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeCa, RENEW_WITHIN_DAYS } from '../../src/tls/certificates.js';
import { LocalCaError, openLocalCa } from '../../src/tls/local-ca.js';
import { loadX509 } from '../../src/tls/x509-library.js';
import { tempDirs } from '../support/temp-dirs.js';

const DAY_MS = 86_400_000;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const FILES = ['ca-key.pem', 'ca.pem', 'server-key.pem', 'server.pem'];

const lifetimeDays = (certificate: X509Certificate) => (Date.parse(certificate.validTo) - Date.parse(certificate.validFrom)) / DAY_MS;
const mode = (path: string) => statSync(path).mode & 0o777;

describe('the local CA: its certificates', async () => {
  const now = new Date();
  const ca = await openLocalCa(undefined, now);
  const authority = new X509Certificate(ca.caCertificate);
  const server = new X509Certificate(ca.server.certificate);

  it('the CA is a CA, self-signed, limited to signing certificates of servers (basicConstraints cA, pathLen 0; keyCertSign alone; both critical)', async () => {
    assert.equal(authority.ca, true);
    assert.ok(authority.checkIssued(authority) && authority.verify(authority.publicKey), 'self-signed');
    assert.match(authority.subject, /^CN=graph-lro local development CA [0-9a-f]{8}$/m);
    // node:crypto names no key usage bits: the library reads them back.
    const x509 = await loadX509();
    const parsed = new x509.X509Certificate(ca.caCertificate);
    const constraints = parsed.getExtension(x509.BasicConstraintsExtension)!;
    assert.deepEqual([constraints.ca, constraints.pathLength, constraints.critical], [true, 0, true]);
    const usages = parsed.getExtension(x509.KeyUsagesExtension)!;
    assert.equal(usages.usages, x509.KeyUsageFlags.keyCertSign);
    assert.equal(usages.critical, true);
  });

  it('the server certificate is a leaf for localhost, 127.0.0.1 and ::1 alone, for server authentication, signed by the CA', async () => {
    assert.equal(server.ca, false);
    assert.ok(server.checkIssued(authority) && server.verify(authority.publicKey), 'signed by the CA');
    assert.equal(server.checkHost('localhost'), 'localhost');
    assert.equal(server.checkIP('127.0.0.1'), '127.0.0.1');
    assert.ok(server.checkIP('::1'), '::1');
    assert.equal(server.checkHost('graph.microsoft.com'), undefined);
    assert.equal(server.checkHost('example.localhost'), undefined);
    assert.equal(server.checkIP('127.0.0.2'), undefined);
    assert.equal(server.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    assert.deepEqual(server.keyUsage, [SERVER_AUTH], 'extended key usage: serverAuth only');
    const x509 = await loadX509();
    const parsed = new x509.X509Certificate(ca.server.certificate);
    assert.equal(parsed.getExtension(x509.KeyUsagesExtension)!.usages, x509.KeyUsageFlags.digitalSignature);
    assert.equal(parsed.getExtension(x509.BasicConstraintsExtension)!.critical, true);
  });

  it('both keys are ECDSA P-256, and the server key is the server certificate\'s', () => {
    for (const certificate of [authority, server]) {
      assert.equal(certificate.publicKey.asymmetricKeyType, 'ec');
      assert.equal(certificate.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    }
    assert.ok(server.checkPrivateKey(createPrivateKey(ca.server.key)));
  });

  it('validity: valid now (from an hour back, for a clock a little behind), the server certificate for at most 397 days, the CA for ten years', () => {
    for (const certificate of [authority, server]) {
      assert.ok(Date.parse(certificate.validFrom) <= now.getTime() - 59 * 60_000, certificate.validFrom);
      assert.ok(Date.parse(certificate.validTo) > now.getTime() + 300 * DAY_MS, certificate.validTo);
    }
    assert.ok(lifetimeDays(server) <= 397, `${lifetimeDays(server)} days`);
    assert.ok(lifetimeDays(authority) >= 3650, `${lifetimeDays(authority)} days`);
  });

  it('hands out no CA private key: what a server and its banner get holds the CA certificate alone', () => {
    assert.deepEqual(Object.keys(ca).sort(), ['caCertificate', 'made', 'server']);
    assert.deepEqual(Object.keys(ca.server).sort(), ['certificate', 'key']);
    assert.doesNotMatch(ca.caCertificate + ca.server.certificate, /PRIVATE KEY/);
  });
});

describe('the local CA: its folder', () => {
  const tempDir = tempDirs('graph-lro-tls-');

  it('made at the first open: four files, the keys and the server certificate 0600, ca.pem readable by all; nothing else left', async () => {
    const data = tempDir();
    const folder = join(data, 'tls');
    const ca = await openLocalCa(folder);
    assert.equal(ca.made, true);
    assert.equal(ca.caFile, join(folder, 'ca.pem'));
    assert.deepEqual(readdirSync(data), ['tls'], 'no staging folder left');
    assert.deepEqual(readdirSync(folder).sort(), FILES);
    assert.equal(readFileSync(ca.caFile!, 'utf8'), ca.caCertificate);
    assert.equal(readFileSync(join(folder, 'server.pem'), 'utf8'), ca.server.certificate);
    assert.equal(readFileSync(join(folder, 'server-key.pem'), 'utf8'), ca.server.key);
    assert.equal(mode(join(folder, 'ca.pem')), 0o644);
    for (const file of ['ca-key.pem', 'server.pem', 'server-key.pem']) assert.equal(mode(join(folder, file)), 0o600, file);
    assert.match(readFileSync(join(folder, 'ca-key.pem'), 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/);
  });

  it('reused at the next open: the same CA and the same server certificate, made no more', async () => {
    const folder = join(tempDir(), 'tls');
    const first = await openLocalCa(folder);
    const second = await openLocalCa(folder);
    assert.equal(second.made, false);
    assert.equal(second.caCertificate, first.caCertificate);
    assert.deepEqual(second.server, first.server);
  });

  it('two first opens at once agree on one CA', async () => {
    const folder = join(tempDir(), 'tls');
    const opened = await Promise.all([openLocalCa(folder), openLocalCa(folder), openLocalCa(folder)]);
    assert.equal(new Set(opened.map((ca) => ca.caCertificate)).size, 1);
    assert.equal(opened.filter((ca) => ca.made).length, 1);
    assert.equal(readFileSync(join(folder, 'ca.pem'), 'utf8'), opened[0]!.caCertificate);
  });

  it(`renews the server certificate at a start within ${RENEW_WITHIN_DAYS} days of its end, under the same CA`, async () => {
    const folder = join(tempDir(), 'tls');
    const first = await openLocalCa(folder);
    const validTo = Date.parse(new X509Certificate(first.server.certificate).validTo);
    const early = await openLocalCa(folder, new Date(validTo - (RENEW_WITHIN_DAYS + 1) * DAY_MS));
    assert.deepEqual(early.server, first.server, 'kept while it has more left');
    const late = await openLocalCa(folder, new Date(validTo - (RENEW_WITHIN_DAYS - 1) * DAY_MS));
    assert.notDeepEqual(late.server, first.server);
    assert.equal(late.caCertificate, first.caCertificate, 'the CA stays: clients keep trusting it');
    assert.ok(Date.parse(new X509Certificate(late.server.certificate).validTo) > validTo);
    assert.equal(readFileSync(join(folder, 'server.pem'), 'utf8'), late.server.certificate, 'written in place');
  });

  it('re-issues the server certificate when the CA in the folder is another one', async () => {
    const folder = join(tempDir(), 'tls');
    const first = await openLocalCa(folder);
    const other = await makeCa(new Date());
    writeFileSync(join(folder, 'ca.pem'), other.certificate);
    writeFileSync(join(folder, 'ca-key.pem'), other.key);
    const reopened = await openLocalCa(folder);
    assert.equal(reopened.caCertificate, other.certificate);
    assert.notDeepEqual(reopened.server, first.server);
    assert.ok(new X509Certificate(reopened.server.certificate).verify(new X509Certificate(other.certificate).publicKey));
  });

  it('re-issues a server certificate or key that does not read, or that are not a pair: they are derived, the CA is not', async () => {
    const folder = join(tempDir(), 'tls');
    const first = await openLocalCa(folder);
    writeFileSync(join(folder, 'server.pem'), 'not a certificate');
    const repaired = await openLocalCa(folder);
    assert.equal(repaired.caCertificate, first.caCertificate);
    assert.ok(new X509Certificate(repaired.server.certificate).checkPrivateKey(createPrivateKey(repaired.server.key)));
    writeFileSync(join(folder, 'server-key.pem'), first.server.key); // the old key beside the new certificate
    const paired = await openLocalCa(folder);
    assert.ok(new X509Certificate(paired.server.certificate).checkPrivateKey(createPrivateKey(paired.server.key)));
  });

  it('refuses a CA it cannot use, naming the file and the way out, and writes nothing', async () => {
    const cases: [string, (folder: string) => void, RegExp][] = [
      ['a ca.pem that is no certificate', (folder) => writeFileSync(join(folder, 'ca.pem'), 'garbage'), /ca\.pem and ca-key\.pem cannot be used: it cannot be read as a PEM certificate and key/],
      ['a ca-key.pem that is no key', (folder) => writeFileSync(join(folder, 'ca-key.pem'), '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'), /cannot be used: it cannot be read/],
      ['a ca-key.pem of another CA', (folder) => writeFileSync(join(folder, 'ca-key.pem'), readFileSync(join(folder, 'server-key.pem'))), /cannot be used: its key is not the CA certificate's/],
      ['a ca.pem that is the server certificate', (folder) => writeFileSync(join(folder, 'ca.pem'), readFileSync(join(folder, 'server.pem'))), /cannot be used: it is not a CA certificate/],
    ];
    for (const [name, spoil, message] of cases) {
      const folder = join(tempDir(), 'tls');
      await openLocalCa(folder);
      spoil(folder);
      const before = readdirSync(folder).map((file) => readFileSync(join(folder, file), 'utf8'));
      await assert.rejects(openLocalCa(folder), (error: Error) => {
        assert.ok(error instanceof LocalCaError, name);
        assert.match(error.message, message, name);
        assert.ok(error.message.includes(join(folder, 'ca.pem')), `${name}: names the file`);
        assert.match(error.message, /Delete .* to have a new CA made, and trust the new ca\.pem instead\.$/, name);
        return true;
      });
      assert.deepEqual(readdirSync(folder).map((file) => readFileSync(join(folder, file), 'utf8')), before, `${name}: nothing written`);
    }
  });

  it('refuses a missing or unreadable CA file, naming it', async () => {
    const missing = join(tempDir(), 'tls');
    mkdirSync(missing);
    writeFileSync(join(missing, 'ca.pem'), (await makeCa(new Date())).certificate);
    await assert.rejects(openLocalCa(missing), new LocalCaError(
      `${join(missing, 'ca-key.pem')} is missing: the local CA in ${missing} is incomplete. Delete ${missing} to have a new CA made, and trust the new ca.pem instead.`,
    ));
    const unreadable = join(tempDir(), 'tls');
    await openLocalCa(unreadable);
    const key = join(unreadable, 'ca-key.pem');
    // A folder where the key should be: unreadable even for root, whom file modes do not stop.
    rmSync(key);
    mkdirSync(key);
    await assert.rejects(openLocalCa(unreadable), (error: Error) => error instanceof LocalCaError && error.message.startsWith(`Cannot read ${key}: EISDIR`));
  });

  it(`refuses a CA within ${RENEW_WITHIN_DAYS} days of its end rather than replace what clients trust`, async () => {
    const folder = join(tempDir(), 'tls');
    const ca = await openLocalCa(folder);
    const validTo = Date.parse(new X509Certificate(ca.caCertificate).validTo);
    await assert.rejects(openLocalCa(folder, new Date(validTo - DAY_MS)), /cannot be used: it expires on .* GMT\. Delete /);
  });

  it('an empty folder made beforehand is no CA: one is made in it', async () => {
    const folder = join(tempDir(), 'tls');
    mkdirSync(folder);
    const ca = await openLocalCa(folder);
    assert.equal(ca.made, true);
    assert.deepEqual(readdirSync(folder).sort(), FILES);
  });
});
