import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Client secrets and user passwords are kept only as a salted scrypt hash, in one self-describing text
 * (`scrypt$N$r$p$salt$hash`, base64url), so what an export writes can be imported again without the plain
 * value, and a cost raised later still verifies the hashes made before.
 */
const PREFIX = 'scrypt';
/** N = 2^14, r = 8, p = 1: the parameters RFC 7914 and OWASP name for interactive logins (16 MiB, tens of ms). */
const COST = { N: 16_384, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Hashes are read from files and imports: bounds stop a crafted one from costing gigabytes of memory. */
const MAX_COST = { N: 1 << 17, r: 16, p: 4 } as const;
const HASH_SHAPE = /^scrypt\$(\d{1,7})\$(\d{1,2})\$(\d{1,2})\$([\w-]{16,64})\$([\w-]{32,128})$/;

interface ParsedHash {
  readonly cost: Required<Pick<ScryptOptions, 'N' | 'r' | 'p'>>;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

/** A new salted hash of `secret`. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(secret, salt, COST, HASH_BYTES);
  return [PREFIX, COST.N, COST.r, COST.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** Whether `secret` is the one `stored` was made from; compared in constant time. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (parsed === undefined) return false;
  const candidate = await derive(secret, parsed.salt, parsed.cost, parsed.hash.length);
  return timingSafeEqual(candidate, parsed.hash);
}

/** Whether `text` is a hash {@link hashSecret} could have made (and {@link verifySecret} can check). */
export function isSecretHash(text: string): boolean {
  return parseHash(text) !== undefined;
}

function parseHash(text: string): ParsedHash | undefined {
  const match = HASH_SHAPE.exec(text);
  if (match === null) return undefined;
  const [N, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const powerOfTwo = N > 1 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N > MAX_COST.N || r < 1 || r > MAX_COST.r || p < 1 || p > MAX_COST.p) return undefined;
  return { cost: { N, r, p }, salt: Buffer.from(match[4]!, 'base64url'), hash: Buffer.from(match[5]!, 'base64url') };
}

function derive(secret: string, salt: Buffer, cost: ScryptOptions, length: number): Promise<Buffer> {
  // maxmem: scrypt needs 128·N·r bytes; Node's default cap (32 MiB) would refuse the largest cost allowed.
  const options = { ...cost, maxmem: 256 * MAX_COST.N * MAX_COST.r };
  return new Promise((resolve, reject) => scrypt(secret.normalize('NFC'), salt, length, options, (error, key) => (error ? reject(error) : resolve(key))));
}
