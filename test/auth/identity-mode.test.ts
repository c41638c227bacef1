import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseIdentityMode, IdentityModeRefused, isLoopbackHost } from '../../src/auth/identity-mode.js';

describe('identity mode', () => {
  it('loopback is 127.0.0.0/8, ::1 (also IPv4-mapped and bracketed) and localhost; nothing else', () => {
    for (const host of ['127.0.0.1', '127.255.0.9', '::1', '[::1]', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST']) assert.equal(isLoopbackHost(host), true, host);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', '::2', 'localhost.example', 'my-host', '']) assert.equal(isLoopbackHost(host), false, host);
  });

  it('a provider wins; dev identity on loopback by itself, on the network only when asked for', () => {
    assert.deepEqual(chooseIdentityMode({ host: '0.0.0.0', provider: true, devIdentity: false }), { kind: 'provider' });
    assert.deepEqual(chooseIdentityMode({ host: '127.0.0.1', provider: false, devIdentity: false }), { kind: 'dev', onNetwork: false });
    assert.deepEqual(chooseIdentityMode({ host: '127.0.0.1', provider: false, devIdentity: true }), { kind: 'dev', onNetwork: false });
    assert.deepEqual(chooseIdentityMode({ host: '0.0.0.0', provider: false, devIdentity: true }), { kind: 'dev', onNetwork: true });
  });

  it('refuses a network address without a provider, and a provider with --dev-identity', () => {
    assert.throws(() => chooseIdentityMode({ host: '0.0.0.0', provider: false, devIdentity: false }), IdentityModeRefused);
    assert.throws(() => chooseIdentityMode({ host: '127.0.0.1', provider: true, devIdentity: true }), /cannot be combined/);
  });
});
