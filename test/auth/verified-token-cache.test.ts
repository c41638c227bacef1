import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Principal } from '../../src/auth/principal.js';
import { VerifiedTokenCache } from '../../src/auth/verified-token-cache.js';

const principal = (appId: string): Principal => ({ kind: 'application', tenantId: 't', appId, roles: new Set() });

describe('verified token cache', () => {
  it('serves a token until its expiry, then forgets it', () => {
    let now = 1000;
    const cache = new VerifiedTokenCache(10, () => now);
    cache.set('a', principal('a'), 1010);
    assert.equal(cache.get('a')?.kind, 'application');
    now = 1009.9;
    assert.ok(cache.get('a'));
    now = 1010;
    assert.equal(cache.get('a'), undefined);
    now = 1000;
    assert.equal(cache.get('a'), undefined, 'an expired entry is gone, not revived');
  });

  it('trusts an entry for at most a minute, even when the token lives longer', () => {
    let now = 0;
    const cache = new VerifiedTokenCache(10, () => now);
    cache.set('long', principal('a'), 3600);
    now = 59;
    assert.ok(cache.get('long'));
    now = 60;
    assert.equal(cache.get('long'), undefined);
  });

  it('is keyed by the whole token text and bounded, oldest out first', () => {
    const cache = new VerifiedTokenCache(2, () => 0);
    cache.set('a.b.c', principal('1'), 10);
    assert.equal(cache.get('a.b.d'), undefined);
    cache.set('x', principal('2'), 10);
    cache.set('y', principal('3'), 10);
    assert.equal(cache.get('a.b.c'), undefined);
    assert.ok(cache.get('x'));
    assert.ok(cache.get('y'));
  });
});

describe('verified token cache: a valid signature under another header or payload', () => {
  it('is not a hit, and does not evict the genuine entry', () => {
    const cache = new VerifiedTokenCache(10, () => 0);
    cache.set('header.payload.signature', principal('genuine'), 10);
    assert.equal(cache.get('header.forged-payload.signature'), undefined);
    assert.equal(cache.get('forged-header.payload.signature'), undefined);
    assert.equal(cache.get('header.payload.signature')?.kind, 'application');
  });
});
