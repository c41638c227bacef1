import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, exportSPKI, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { GraphError } from '../../src/graph/errors.js';
import { createRemoteVerifier } from '../../src/auth/remote-verifier.js';
import type { TokenVerifier } from '../../src/auth/token-verifier.js';
import { assertUnauthenticated } from '../support/graph-errors.js';

const TENANT = 'a1b2c3d4-0000-4000-8000-000000000001';
const OTHER_TENANT = 'e1b2c3d4-0000-4000-8000-000000000009';
const AUDIENCE = 'api://graph-lro';
const KID = 'test-key-1';
const entraIssuer = (tenant: string): string => `https://login.microsoftonline.com/${tenant}/v2.0`;

describe('remote verifier', () => {
  let server: Server;
  let base: string;
  let privateKey: CryptoKey;
  let privateJwk: JWK;
  let publicJwk: JWK;
  let jwksRequests = 0;

  before(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKey = pair.privateKey;
    privateJwk = await exportJWK(pair.privateKey);
    // No `alg` member, as many providers publish them: then only the verifier's allow-list limits the algorithm.
    publicJwk = { ...(await exportJWK(pair.publicKey)), kid: KID, use: 'sig' };
    server = createServer((request, response) => {
      const json = (status: number, body: unknown): void => {
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      switch (request.url) {
        case '/keys':
          jwksRequests += 1;
          return json(200, { keys: [publicJwk] });
        case `/${TENANT}/v2.0/.well-known/openid-configuration`:
          return json(200, { issuer: `${base}/${TENANT}/v2.0`, jwks_uri: `${base}/keys` });
        case '/broken/.well-known/openid-configuration':
          return json(200, { issuer: `${base}/broken` });
        case '/broken-keys':
          return json(500, { error: 'down' });
        default:
          return json(404, { error: 'not found' });
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function claims(overrides: JWTPayload = {}): JWTPayload {
    const now = Math.floor(Date.now() / 1000);
    return { iss: entraIssuer(TENANT), aud: AUDIENCE, tid: TENANT, oid: 'user-1', scp: 'UserAuthenticationMethod.Read', iat: now, nbf: now, exp: now + 3600, ...overrides };
  }
  async function sign(payload: JWTPayload, alg = 'RS256'): Promise<string> {
    // WebCrypto binds an RSA key to one padding, so the same key material is imported for whichever is asked for.
    const key = alg === 'RS256' ? privateKey : await importJWK(privateJwk, alg);
    return new SignJWT(payload).setProtectedHeader({ alg, kid: KID, typ: 'JWT' }).sign(key);
  }
  function verifierFor(issuers: string[], extra: Partial<Parameters<typeof createRemoteVerifier>[0]> = {}): Promise<TokenVerifier> {
    return createRemoteVerifier({ issuers, audiences: [AUDIENCE], jwksUrl: `${base}/keys`, ...extra });
  }

  it('verifies a good token with keys from a JWKS URL, fetching the keys once', async () => {
    const verifier = await verifierFor([entraIssuer(TENANT)]);
    const before = jwksRequests;
    const principal = await verifier.verify(await sign(claims()));
    assert.deepEqual(principal, {
      kind: 'delegated',
      tenantId: TENANT,
      userId: 'user-1',
      userPrincipalName: undefined,
      scopes: new Set(['UserAuthenticationMethod.Read']),
      appId: undefined,
    });
    await verifier.verify(await sign(claims()));
    assert.equal(jwksRequests - before, 1);
  });

  it('takes the UPN from upn only: preferred_username, unique_name and email name nobody', async () => {
    const verifier = await verifierFor([entraIssuer(TENANT)]);
    const upnOf = async (overrides: JWTPayload) => {
      const principal = await verifier.verify(await sign(claims(overrides)));
      return principal.kind === 'delegated' ? principal.userPrincipalName : assert.fail('a delegated token');
    };
    const others = { preferred_username: 'adele@contoso.com', unique_name: 'adele@contoso.com', email: 'adele@contoso.com' };
    assert.equal(await upnOf(others), undefined);
    assert.equal(await upnOf({ ...others, upn: 'megan@contoso.com' }), 'megan@contoso.com');
  });

  it('takes the UPN from the claim named by upnClaim', async () => {
    const verifier = await verifierFor([entraIssuer(TENANT)], { upnClaim: 'signin_name' });
    const principal = await verifier.verify(await sign(claims({ upn: 'megan@contoso.com', signin_name: 'adele@contoso.com' })));
    assert.ok(principal.kind === 'delegated');
    assert.equal(principal.userPrincipalName, 'adele@contoso.com');
  });

  it('finds the keys and the issuer through OpenID discovery', async () => {
    const issuer = `${base}/${TENANT}/v2.0`;
    const verifier = await createRemoteVerifier({
      issuers: [],
      audiences: [AUDIENCE],
      discoveryUrl: `${base}/${TENANT}/v2.0/.well-known/openid-configuration`,
    });
    assert.equal((await verifier.verify(await sign(claims({ iss: issuer })))).tenantId, TENANT);
    await assert.rejects(async () => verifier.verify(await sign(claims())), (error) =>
      assertUnauthenticated(error, 'Access token validation failure. Invalid issuer.'),
    );
  });

  it('uses the fetch it is given', async () => {
    const fetched: string[] = [];
    const countingFetch: typeof fetch = (input, init) => {
      fetched.push(String(input instanceof Request ? input.url : input));
      return fetch(input, init);
    };
    const verifier = await createRemoteVerifier({
      issuers: [],
      audiences: [AUDIENCE],
      discoveryUrl: `${base}/${TENANT}/v2.0/.well-known/openid-configuration`,
      fetch: countingFetch,
    });
    await verifier.verify(await sign(claims({ iss: `${base}/${TENANT}/v2.0` })));
    assert.deepEqual(fetched, [`${base}/${TENANT}/v2.0/.well-known/openid-configuration`, `${base}/keys`]);
  });

  it("rejects a token of another tenant's issuer", async () => {
    const verifier = await verifierFor([entraIssuer(TENANT)]);
    const token = await sign(claims({ iss: entraIssuer(OTHER_TENANT), tid: OTHER_TENANT }));
    await assert.rejects(async () => verifier.verify(token), (error) => assertUnauthenticated(error, 'Access token validation failure. Invalid issuer.'));
  });

  it('rejects a token for another audience', async () => {
    const verifier = await verifierFor([entraIssuer(TENANT)]);
    await assert.rejects(async () => verifier.verify(await sign(claims({ aud: 'api://someone-else' }))), (error) =>
      assertUnauthenticated(error, 'Access token validation failure. Invalid audience.'),
    );
  });

  it('rejects HS256 signed with the public key as the secret', async () => {
    const verifier = await verifierFor([entraIssuer(TENANT)]);
    const pem = await exportSPKI((await importJWK(publicJwk, 'RS256', { extractable: true })) as CryptoKey);
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: KID }).sign(new TextEncoder().encode(pem));
    await assert.rejects(async () => verifier.verify(token), (error) => assertUnauthenticated(error, 'Access token validation failure.'));
  });

  it('rejects an expired token', async () => {
    const verifier = await verifierFor([entraIssuer(TENANT)]);
    const longAgo = Math.floor(Date.now() / 1000) - 7200;
    await assert.rejects(async () => verifier.verify(await sign(claims({ iat: longAgo, nbf: longAgo, exp: longAgo + 3600 }))), (error) =>
      assertUnauthenticated(error, 'Lifetime validation failed, the token is expired.'),
    );
  });

  it('accepts only the configured algorithms', async () => {
    const token = await sign(claims(), 'PS256');
    const byDefault = await verifierFor([entraIssuer(TENANT)]);
    assert.equal((await byDefault.verify(token)).tenantId, TENANT);
    const rs256Only = await verifierFor([entraIssuer(TENANT)], { algorithms: ['RS256'] });
    await assert.rejects(async () => rs256Only.verify(token), (error) => assertUnauthenticated(error, 'Access token validation failure.'));
  });

  it('matches a {tenantid} issuer against the token tid', async () => {
    const verifier = await verifierFor(['https://login.microsoftonline.com/{tenantid}/v2.0']);
    assert.equal((await verifier.verify(await sign(claims({ iss: entraIssuer(OTHER_TENANT), tid: OTHER_TENANT })))).tenantId, OTHER_TENANT);
    await assert.rejects(async () => verifier.verify(await sign(claims({ iss: entraIssuer(OTHER_TENANT), tid: TENANT }))), (error) =>
      assertUnauthenticated(error, 'Access token validation failure. Invalid issuer.'),
    );
  });

  it('rejects a token whose kid the provider does not publish', async () => {
    const verifier = await verifierFor([entraIssuer(TENANT)]);
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', kid: 'unknown' }).sign(privateKey);
    await assert.rejects(async () => verifier.verify(token), (error) => assertUnauthenticated(error, 'Access token validation failure.'));
  });

  it('answers 503, not 401, when the provider keys cannot be fetched', async () => {
    const verifier = await verifierFor([entraIssuer(TENANT)], { jwksUrl: `${base}/broken-keys` });
    await assert.rejects(async () => verifier.verify(await sign(claims())), (error) => {
      assert.ok(error instanceof GraphError);
      assert.equal(error.kind, 'serviceUnavailable');
      assert.equal(error.status, 503);
      return true;
    });
  });

  it('fails at start-up, with a plain error naming the URL, when discovery fails', async () => {
    for (const discoveryUrl of [`${base}/missing/.well-known/openid-configuration`, `${base}/broken/.well-known/openid-configuration`]) {
      await assert.rejects(createRemoteVerifier({ issuers: [], audiences: [AUDIENCE], discoveryUrl }), (error) => {
        assert.ok(error instanceof Error && !(error instanceof GraphError));
        assert.ok(error.message.includes(discoveryUrl), error.message);
        return true;
      });
    }
  });

  it('refuses configurations that could never verify a token safely', async () => {
    await assert.rejects(createRemoteVerifier({ issuers: [entraIssuer(TENANT)], audiences: [AUDIENCE] }), /JWKS URL/);
    await assert.rejects(verifierFor([]), /issuer/);
    await assert.rejects(verifierFor([entraIssuer(TENANT)], { audiences: [] }), /audience/);
    await assert.rejects(verifierFor([entraIssuer(TENANT)], { algorithms: ['RS256', 'HS256'] }), /HS256/);
    await assert.rejects(verifierFor([entraIssuer(TENANT)], { algorithms: ['none'] }), /none/);
    for (const upnClaim of ['', ' upn']) await assert.rejects(verifierFor([entraIssuer(TENANT)], { upnClaim }), /UPN claim/);
  });
});
