import type { Principal } from './principal.js';

/**
 * Tokens already verified, so a client that sends the same token on every request pays for the signature
 * check once. A hit needs the whole token text to be equal: any change to a token (a tampered claim or
 * signature) is verified in full. An entry serves for at most a minute, and never past the token's
 * own expiry (with the skew the verifier allowed): a retired signing key or a changed verifier setting takes
 * effect within that minute. The cache is bounded: the oldest entry goes first.
 */
export class VerifiedTokenCache {
  /**
   * By the token's signature (its last segment, tens of characters): a map hashes a new key string on every
   * lookup, and a whole token is a kilobyte or more. The entry keeps the whole token, which must be equal,
   * so a forged header or payload under a valid signature is never a hit.
   */
  private readonly entries = new Map<string, { token: string; principal: Principal; expiresAt: number }>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly now: () => number = () => Date.now() / 1000,
    private readonly ttlSeconds = 60,
  ) {}

  get(token: string): Principal | undefined {
    const key = signatureOf(token);
    const entry = this.entries.get(key);
    if (entry === undefined || entry.token !== token) return undefined;
    if (this.now() < entry.expiresAt) return entry.principal;
    this.entries.delete(key);
    return undefined;
  }

  /** `expiresAt` in seconds since the epoch, tolerance included. */
  set(token: string, principal: Principal, expiresAt: number): void {
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(signatureOf(token), { token, principal, expiresAt: Math.min(expiresAt, this.now() + this.ttlSeconds) });
  }
}

function signatureOf(token: string): string {
  return token.slice(token.lastIndexOf('.') + 1);
}
