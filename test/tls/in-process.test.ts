/**
 * `startGraphLro({ https: true })`: an https:// URL and `caCertificate`, the CA a client passes as its `ca`;
 * in memory unless `data` is given, and then the same CA as `serve --https` on that folder; servers side by
 * side trust nothing of each other; and the refusals of `serve`.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config.js';
import { startGraphLro } from '../../src/index.js';
import { httpsGet } from '../support/https-client.js';
import { tempDirs } from '../support/temp-dirs.js';

const OPS = '/v1.0/me/authentication/operations';

describe('startGraphLro({ https: true })', () => {
  const tempDir = tempDirs('graph-lro-https-api-');

  it('serves https:// with a certificate of caCertificate, a CA a client trusts as its ca; in memory, nothing written', async () => {
    const data = tempDir();
    const lro = await startGraphLro({ https: true, memory: true, data });
    try {
      assert.match(lro.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.match(lro.caCertificate!, /^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/);
      assert.equal(new X509Certificate(lro.caCertificate!).ca, true);
      const token = await lro.token({ user: 'adele@contoso.com' });
      assert.equal((await httpsGet(`${lro.url}${OPS}`, { ca: lro.caCertificate, token })).status, 200);
      await assert.rejects(httpsGet(`${lro.url}${OPS}`, { token }), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
      assert.deepEqual(readdirSync(data), [], 'nothing written');
    } finally {
      await lro.close();
    }
  });

  it('without https: http://, and no caCertificate', async () => {
    const lro = await startGraphLro();
    try {
      assert.match(lro.url, /^http:\/\//);
      assert.equal(lro.caCertificate, undefined);
    } finally {
      await lro.close();
    }
  });

  it('with data: the CA kept in <data>/tls/ca.pem and reused by the next server on that folder', async () => {
    const data = tempDir();
    const first = await startGraphLro({ https: true, data });
    await first.close();
    assert.equal(readFileSync(join(data, 'tls', 'ca.pem'), 'utf8'), first.caCertificate);
    const second = await startGraphLro({ https: true, data });
    try {
      assert.equal(second.caCertificate, first.caCertificate);
      const token = await second.token({ user: 'adele@contoso.com' });
      assert.equal((await httpsGet(`${second.url}${OPS}`, { ca: first.caCertificate, token })).status, 200);
    } finally {
      await second.close();
    }
  });

  it('servers side by side share nothing: each has its own CA, and a client trusting one is refused by the other', async () => {
    const [a, b] = await Promise.all([startGraphLro({ https: true }), startGraphLro({ https: true })]);
    try {
      assert.notEqual(a.caCertificate, b.caCertificate);
      await assert.rejects(httpsGet(`${b.url}${OPS}`, { ca: a.caCertificate }), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
      await assert.rejects(httpsGet(`${a.url}${OPS}`, { ca: b.caCertificate }), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
      assert.equal((await httpsGet(`${b.url}${OPS}`, { ca: b.caCertificate, token: await b.token({ user: 'adele@contoso.com' }) })).status, 200);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('refuses what serve refuses, with its message: a certificate of its own, or an identity provider', async () => {
    await assert.rejects(
      startGraphLro({ https: true, tlsCert: 'cert.pem', tlsKey: 'key.pem' }),
      new ConfigError('--https makes its own certificate and --tls-cert/--tls-key bring one: choose one.'),
    );
    await assert.rejects(startGraphLro({ https: true, jwksUrl: 'http://127.0.0.1:9/keys', issuer: 'https://issuer.example', audience: 'api://x' }), (error: Error) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /^--https \(GRAPH_LRO_HTTPS\) is for dev identity only; /);
      return true;
    });
    await assert.rejects(startGraphLro({ https: 'yes' as unknown as boolean }), /Option 'https' \(--https\) must be true or false, not 'yes'\./);
  });
});
