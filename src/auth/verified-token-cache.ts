import type { Principal } from './principal.js';

/**
 * Tokens already verified, so a client that sends the same token on every request pays for the signature
 * check once. Keyed by the whole token text: any change to a token (a tampered claim or signature) is a
 * different key and is verified in full. An entry serves for at most a minute, and never past the token's
 * own expiry (with the skew the verifier allowed): a retired signing key or a changed verifier setting takes
 * effect within that minute. The cache is bounded: the oldest entry goes first.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly now: () => number = () => Date.now() / 1000,
    private readonly ttlSeconds = 60,
  ) {}

  get(token: string): Principal | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (this.now() < entry.expiresAt) return entry.principal;
    this.entries.delete(token);
    return undefined;
  }

  /** `expiresAt` in seconds since the epoch, tolerance included. */
  set(token: string, principal: Principal, expiresAt: number): void {
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, { principal, expiresAt: Math.min(expiresAt, this.now() + this.ttlSeconds) });
  }
}
