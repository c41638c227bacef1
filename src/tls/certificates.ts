/**
 * The local CA's certificates, made with `@peculiar/x509` (which node:crypto cannot do: it parses and checks
 * certificates but does not issue them) and checked with node:crypto, which is OpenSSL: what Node's TLS
 * clients will check them with.
 */
import { createPrivateKey, KeyObject, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { loadX509 } from './x509-library.js';

/** A certificate and its private key, both PEM (the key PKCS #8). */
export interface CertifiedKey {
  readonly certificate: string;
  readonly key: string;
}

/** What a client on this machine dials: the names and addresses the server certificate is for. */
export const SERVER_HOSTS: readonly string[] = ['localhost'];
export const SERVER_IPS: readonly string[] = ['127.0.0.1', '::1'];

// ECDSA P-256: small keys, made in milliseconds at a first start, and taken by every TLS client graph-lro is tested with.
const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
/** A CA a developer trusts once should stay trusted for as long as anyone keeps a data folder. */
const CA_LIFETIME_DAYS = 10 * 365;
/** Under the 398 days browsers and Apple's platforms accept for a TLS server certificate. */
const SERVER_LIFETIME_DAYS = 365;
/** A server certificate with less left than this is re-issued at start, so a server restarted now and then never serves an expired one. */
export const RENEW_WITHIN_DAYS = 30;
/** A clock a little behind ours still accepts a certificate made just now. */
const BACKDATE_MS = 60 * 60 * 1000;

/** A new certificate authority, which may sign certificates of servers (pathLen 0: of no other CA) and nothing else. */
export async function makeCa(now: Date): Promise<CertifiedKey> {
  const x509 = await loadX509();
  const keys = await generateKeys();
  // A name of its own, so a developer who trusts several can tell them apart in a trust store.
  const name = `CN=graph-lro local development CA ${randomBytes(4).toString('hex')}, O=graph-lro`;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name,
      keys,
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter: new Date(now.getTime() + CA_LIFETIME_DAYS * DAY_MS),
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
      ],
    },
    webcrypto,
  );
  return { certificate: pem(certificate), key: exportKey(keys.privateKey) };
}

/** A server certificate for {@link SERVER_HOSTS} and {@link SERVER_IPS}, signed by `ca`, never outliving it. */
export async function issueServerCertificate(ca: CertifiedKey, now: Date): Promise<CertifiedKey> {
  const x509 = await loadX509();
  const issuer = new x509.X509Certificate(ca.certificate);
  const keys = await generateKeys();
  const names = [...SERVER_HOSTS.map((value) => ({ type: 'dns' as const, value })), ...SERVER_IPS.map((value) => ({ type: 'ip' as const, value }))];
  const certificate = await x509.X509CertificateGenerator.create(
    {
      subject: `CN=${SERVER_HOSTS[0]}`,
      issuer: issuer.subject,
      publicKey: keys.publicKey,
      signingKey: await importKey(ca.key),
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter: new Date(Math.min(now.getTime() + SERVER_LIFETIME_DAYS * DAY_MS, issuer.notAfter.getTime())),
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(names),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
        await x509.AuthorityKeyIdentifierExtension.create(issuer.publicKey, false, webcrypto),
      ],
    },
    webcrypto,
  );
  return { certificate: pem(certificate), key: exportKey(keys.privateKey) };
}

/**
 * Why `ca` cannot sign server certificates now, or `undefined` when it can. Thrown by node:crypto when the
 * PEM is not a certificate or a key at all.
 */
export function caProblem(ca: CertifiedKey, now: Date): string | undefined {
  const certificate = new X509Certificate(ca.certificate);
  if (!certificate.ca) return 'it is not a CA certificate';
  if (!certificate.checkPrivateKey(createPrivateKey(ca.key))) return 'its key is not the CA certificate\'s';
  if (endsWithin(certificate, now, RENEW_WITHIN_DAYS)) return `it expires on ${certificate.validTo}`;
  return undefined;
}

/**
 * Why `server` should not be served any longer, or `undefined` when it may: it must be `ca`'s, for every
 * name and address, with its own key, and valid for {@link RENEW_WITHIN_DAYS} more days.
 */
export function serverCertificateProblem(server: CertifiedKey, ca: CertifiedKey, now: Date): string | undefined {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(server.certificate);
    if (!certificate.checkPrivateKey(createPrivateKey(server.key))) return 'its key is not its certificate\'s';
  } catch (error) {
    return `it cannot be read (${(error as Error).message})`;
  }
  const issuer = new X509Certificate(ca.certificate);
  if (!certificate.checkIssued(issuer) || !certificate.verify(issuer.publicKey)) return 'another CA issued it';
  if (SERVER_HOSTS.some((host) => certificate.checkHost(host) === undefined) || SERVER_IPS.some((ip) => certificate.checkIP(ip) === undefined)) {
    return `it is not for ${[...SERVER_HOSTS, ...SERVER_IPS].join(', ')}`;
  }
  if (Date.parse(certificate.validFrom) > now.getTime()) return `it is valid only from ${certificate.validFrom}`;
  if (endsWithin(certificate, now, RENEW_WITHIN_DAYS)) return `it expires on ${certificate.validTo}`;
  return undefined;
}

/** `validTo` is OpenSSL's text (`Dec  6 08:00:00 2027 GMT`), which `Date.parse` reads. */
function endsWithin(certificate: X509Certificate, now: Date, days: number): boolean {
  return Date.parse(certificate.validTo) - now.getTime() < days * DAY_MS;
}

function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']) as Promise<webcrypto.CryptoKeyPair>;
}

/** As files end: with a line break, which the library leaves out. */
function pem(certificate: { toString(format: 'pem'): string }): string {
  return `${certificate.toString('pem')}\n`;
}

function exportKey(key: webcrypto.CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }) as string;
}

/** A PEM key (any encoding OpenSSL reads) as a WebCrypto signing key, not extractable. */
function importKey(text: string): Promise<webcrypto.CryptoKey> {
  const der = createPrivateKey(text).export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', der, KEY_ALGORITHM, false, ['sign']);
}
