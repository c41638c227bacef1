import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { GraphError } from '../../src/graph/errors.js';
import { bearerToken, createJwtVerifier, principalFromClaims, type TokenVerifier } from '../../src/auth/token-verifier.js';
import { assertUnauthenticated } from '../support/graph-errors.js';

const TENANT = 'a1b2c3d4-0000-4000-8000-000000000001';
const USER = 'b1b2c3d4-0000-4000-8000-000000000002';
const APP = 'c1b2c3d4-0000-4000-8000-000000000003';

describe('principalFromClaims', () => {
  it('reads a delegated principal from a token with scp', () => {
    const principal = principalFromClaims({
      tid: TENANT,
      oid: USER,
      upn: 'adele@contoso.com',
      preferred_username: 'other@contoso.com',
      scp: 'UserAuthenticationMethod.Read  UserAuthenticationMethod.ReadWrite.All',
      azp: APP,
      appid: 'ignored-because-azp-wins',
      roles: ['Ignored.Role'],
    });
    assert.deepEqual(principal, {
      kind: 'delegated',
      tenantId: TENANT,
      userId: USER,
      userPrincipalName: 'adele@contoso.com',
      scopes: new Set(['UserAuthenticationMethod.Read', 'UserAuthenticationMethod.ReadWrite.All']),
      appId: APP,
    });
  });

  it('falls back to appid, and leaves the app and the UPN undefined when absent', () => {
    const withAppId = principalFromClaims({ tid: TENANT, oid: USER, scp: 'a', appid: APP });
    assert.ok(withAppId.kind === 'delegated');
    assert.equal(withAppId.appId, APP);

    const bare = principalFromClaims({ tid: TENANT, oid: USER, scp: 'a' });
    assert.ok(bare.kind === 'delegated');
    assert.equal(bare.userPrincipalName, undefined);
    assert.equal(bare.appId, undefined);
  });

  // Claims the user or another tenant can set to anyone's name: Microsoft says never to authorize on them.
  for (const claim of ['preferred_username', 'unique_name', 'email']) {
    it(`takes no UPN from ${claim} without upn`, () => {
      const principal = principalFromClaims({ tid: TENANT, oid: USER, scp: 'a', [claim]: 'adele@contoso.com' });
      assert.ok(principal.kind === 'delegated');
      assert.equal(principal.userPrincipalName, undefined);
    });
  }

  it('reads the UPN from the claim the operator names, and from that claim only', () => {
    const claims = { tid: TENANT, oid: USER, scp: 'a', upn: 'upn@contoso.com', signin_name: 'adele@contoso.com' };
    const custom = principalFromClaims(claims, 'signin_name');
    assert.ok(custom.kind === 'delegated');
    assert.equal(custom.userPrincipalName, 'adele@contoso.com');
    const missing = principalFromClaims({ ...claims, signin_name: undefined }, 'signin_name');
    assert.ok(missing.kind === 'delegated');
    assert.equal(missing.userPrincipalName, undefined, 'no fallback to upn');
    const empty = principalFromClaims({ ...claims, upn: '' });
    assert.ok(empty.kind === 'delegated');
    assert.equal(empty.userPrincipalName, undefined);
  });

  it('reads an application principal from a token with roles and no scp, ignoring its service principal oid', () => {
    const principal = principalFromClaims({ tid: TENANT, oid: 'service-principal', roles: ['A.Read', 'B.Write'], appid: APP });
    assert.deepEqual(principal, { kind: 'application', tenantId: TENANT, appId: APP, roles: new Set(['A.Read', 'B.Write']) });
  });

  const unusable: [string, JWTPayload][] = [
    ['no tid', { oid: USER, scp: 'a' }],
    ['an empty tid', { tid: '', oid: USER, scp: 'a' }],
    ['a tid that is not a string', { tid: 42, oid: USER, scp: 'a' }],
    ['a delegated token without oid', { tid: TENANT, scp: 'a' }],
    ['an empty scp', { tid: TENANT, oid: USER, scp: '  ', roles: ['A'], azp: APP }],
    ['a scp that is not a string', { tid: TENANT, oid: USER, scp: ['a'] }],
    ['neither scp nor roles', { tid: TENANT, oid: USER, azp: APP }],
    ['roles that are not strings', { tid: TENANT, roles: [1, 2], azp: APP }],
    ['roles that are not an array', { tid: TENANT, roles: 'A.Read', azp: APP }],
    ['an application token without azp or appid', { tid: TENANT, roles: ['A.Read'] }],
  ];
  for (const [what, claims] of unusable) {
    it(`rejects ${what}`, () => {
      assert.throws(() => principalFromClaims(claims), (error) => assertUnauthenticated(error));
    });
  }
});

describe('bearerToken', () => {
  it('takes the token of a Bearer header, whatever the case of the scheme', () => {
    assert.equal(bearerToken('Bearer abc.def.ghi'), 'abc.def.ghi');
    assert.equal(bearerToken('bearer abc'), 'abc');
    assert.equal(bearerToken('BEARER   abc'), 'abc');
  });

  for (const header of [undefined, '', '   ', 'Bearer', 'bearer ']) {
    it(`calls ${JSON.stringify(header)} an empty token`, () => {
      assert.throws(() => bearerToken(header), (error) => assertUnauthenticated(error, 'Access token is empty.'));
    });
  }

  for (const header of ['Basic dXNlcjpwYXNz', 'Bearer a b', 'abc.def.ghi', 'Bearerabc', 'Token abc']) {
    it(`rejects the header ${JSON.stringify(header)}`, () => {
      assert.throws(
        () => bearerToken(header),
        (error) => assertUnauthenticated(error, 'The Authorization header must be "Bearer {token}".'),
      );
    });
  }
});

describe('createJwtVerifier', async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const issuerA = 'https://idp.example/a';
  const template = 'https://login.example/{tenantid}/v2.0';
  const now = Math.floor(Date.now() / 1000);

  function verifier(issuers: string[], upnClaim?: string): TokenVerifier {
    return createJwtVerifier({ keys: async () => publicKey, algorithms: ['ES256'], audiences: ['api://graph-lro'], issuers, clockToleranceSeconds: 0, upnClaim });
  }
  function sign(claims: JWTPayload): Promise<string> {
    return new SignJWT({ tid: TENANT, oid: USER, scp: 'a', aud: 'api://graph-lro', iat: now, exp: now + 600, ...claims })
      .setProtectedHeader({ alg: 'ES256' })
      .sign(privateKey);
  }

  it('accepts an exact issuer and a template issuer filled with the token tid', async () => {
    const both = verifier([issuerA, template]);
    assert.equal((await both.verify(await sign({ iss: issuerA }))).tenantId, TENANT);
    assert.equal((await both.verify(await sign({ iss: `https://login.example/${TENANT}/v2.0` }))).tenantId, TENANT);
  });

  it('recalls a token only once it is verified, never a rejected or altered one, and checks nothing itself', async () => {
    const v = verifier([issuerA]);
    const token = await sign({ iss: issuerA });
    assert.equal(v.recall(token), undefined, 'not before it is verified');
    const principal = await v.verify(token);
    assert.deepEqual(v.recall(token), principal);
    assert.equal(v.verify(token), v.recall(token), 'and verify answers it synchronously');
    const [header, payload, signature] = token.split('.') as [string, string, string];
    assert.equal(v.recall(`${header}.${payload}x.${signature}`), undefined, 'a changed payload under the same signature');
    assert.equal(v.recall(` ${token}`), undefined, 'text around the token');
    const rejected = await sign({ iss: 'https://idp.example/unlisted' });
    await assert.rejects(async () => v.verify(rejected));
    assert.equal(v.recall(rejected), undefined);
    assert.equal(v.recall(''), undefined);
  });

  it('reads the UPN from upn, or from the claim it is given, never from preferred_username', async () => {
    const upnOf = async (v: TokenVerifier, claims: JWTPayload) => {
      const principal = await v.verify(await sign({ iss: issuerA, ...claims }));
      return principal.kind === 'delegated' ? principal.userPrincipalName : assert.fail('a delegated token');
    };
    assert.equal(await upnOf(verifier([issuerA]), { upn: 'adele@contoso.com', preferred_username: 'other@contoso.com' }), 'adele@contoso.com');
    assert.equal(await upnOf(verifier([issuerA]), { preferred_username: 'adele@contoso.com' }), undefined);
    assert.equal(await upnOf(verifier([issuerA], 'signin_name'), { upn: 'other@contoso.com', signin_name: 'adele@contoso.com' }), 'adele@contoso.com');
  });

  it('rejects an issuer that matches the template only for another tenant', async () => {
    const token = await sign({ iss: 'https://login.example/other-tenant/v2.0' });
    await assert.rejects(async () => verifier([issuerA, template]).verify(token), (error) =>
      assertUnauthenticated(error, 'Access token validation failure. Invalid issuer.'),
    );
  });

  it('rejects an unlisted issuer when only exact issuers are configured', async () => {
    await assert.rejects(async () => verifier([issuerA]).verify(await sign({ iss: 'https://idp.example/b' })), (error) =>
      assertUnauthenticated(error, 'Access token validation failure. Invalid issuer.'),
    );
  });

  it('rejects a token without exp, which would never expire', async () => {
    const token = await new SignJWT({ tid: TENANT, oid: USER, scp: 'a', aud: 'api://graph-lro', iss: issuerA })
      .setProtectedHeader({ alg: 'ES256' })
      .sign(privateKey);
    await assert.rejects(async () => verifier([issuerA]).verify(token), (error) =>
      assertUnauthenticated(error, 'Access token validation failure.'),
    );
  });

  it('maps expiry, not-before and audience failures to their messages', async () => {
    const v = verifier([issuerA]);
    await assert.rejects(async () => v.verify(await sign({ iss: issuerA, exp: now - 10 })), (error) =>
      assertUnauthenticated(error, 'Lifetime validation failed, the token is expired.'),
    );
    await assert.rejects(async () => v.verify(await sign({ iss: issuerA, nbf: now + 600 })), (error) =>
      assertUnauthenticated(error, 'Lifetime validation failed, the token is not yet valid.'),
    );
    await assert.rejects(async () => v.verify(await sign({ iss: issuerA, aud: 'api://other' })), (error) =>
      assertUnauthenticated(error, 'Access token validation failure. Invalid audience.'),
    );
  });

  it('lets errors that are not about the token through unchanged', async () => {
    const outage = new GraphError('serviceUnavailable');
    const bug = new Error('a bug in the key source');
    const token = await sign({ iss: issuerA });
    const failingWith = (error: Error): TokenVerifier =>
      createJwtVerifier({
        keys: async () => {
          throw error;
        },
        algorithms: ['ES256'],
        audiences: ['api://graph-lro'],
        issuers: [issuerA],
        clockToleranceSeconds: 0,
      });
    await assert.rejects(async () => failingWith(outage).verify(token), (error) => error === outage);
    await assert.rejects(async () => failingWith(bug).verify(token), (error) => error === bug);
  });
});
