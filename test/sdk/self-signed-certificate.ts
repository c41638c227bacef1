/**
 * A self-signed certificate made per run with node:crypto (a P-256 key and a minimal X.509 v3 DER
 * encoding), so no key material lives in the repository and no `openssl` binary is needed. The SDK tests
 * serve graph-lro over HTTPS with it (`tls` in the app options, as `--tls-cert`/`--tls-key` do).
 */
import { generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';

/** A self-signed certificate for `ip` (subjectAltName IP and `localhost`), valid from an hour ago for a day. */
export function selfSignedCertificate(ip: string): { key: string; certificate: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecdsaWithSha256 = seq(oid([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]));
  const name = seq(set(seq(oid([0x55, 0x04, 0x03]), tlv(0x0c, Buffer.from('graph-lro test', 'utf8')))));
  const now = Date.now();
  const serial = randomBytes(8);
  serial[0]! &= 0x7f; // a positive INTEGER
  const subjectAltName = seq(
    oid([0x55, 0x1d, 0x11]),
    tlv(0x04, seq(tlv(0x87, Buffer.from(ip.split('.').map(Number))), tlv(0x82, Buffer.from('localhost', 'ascii')))),
  );
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))), // version: v3
    tlv(0x02, serial),
    ecdsaWithSha256,
    name, // issuer
    seq(utcTime(new Date(now - 3_600_000)), utcTime(new Date(now + 86_400_000))),
    name, // subject
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, seq(subjectAltName)),
  );
  const signature = sign('sha256', tbs, privateKey); // DER ECDSA-Sig-Value
  const der = seq(tbs, ecdsaWithSha256, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  const certificate = `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
  if (!new X509Certificate(certificate).verify(publicKey)) throw new Error('the self-signed certificate does not verify');
  return { key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, certificate };
}

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

function seq(...items: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(items));
}

function set(...items: Buffer[]): Buffer {
  return tlv(0x31, Buffer.concat(items));
}

function oid(encoded: number[]): Buffer {
  return tlv(0x06, Buffer.from(encoded));
}

/** UTCTime, `YYMMDDHHMMSSZ`. */
function utcTime(date: Date): Buffer {
  const text = date.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  return tlv(0x17, Buffer.from(text, 'ascii'));
}
