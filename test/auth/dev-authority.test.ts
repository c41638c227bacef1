import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  base64url,
  decodeJwt,
  decodeProtectedHeader,
  exportSPKI,
  importJWK,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
} from 'jose';
import { GraphError } from '../../src/graph/errors.js';
import {
  ALL_DELEGATED_SCOPES,
  DEV_APP_ID,
  GRAPH_AUDIENCES,
  openDevAuthority,
  type DevAuthority,
} from '../../src/auth/dev-authority.js';
import type { SecretStore } from '../../src/operations/ports/store.js';
import { assertUnauthenticated } from '../support/graph-errors.js';

/** A token of another dev authority's key: the 401 says what usually went wrong. */
const UNKNOWN_KEY =
  'Access token validation failure. The token is signed by a key this server does not hold: dev tokens verify only on the server ' +
  'whose --data folder (or database) holds the key that signed them, and a --memory server accepts only the tokens it printed or minted itself.';

const TENANT = 'a1b2c3d4-0000-4000-8000-000000000001';
const OTHER_TENANT = 'e1b2c3d4-0000-4000-8000-000000000009';
const USER = { id: 'b1b2c3d4-0000-4000-8000-000000000002', userPrincipalName: 'adele@contoso.com' };
const KEY_SECRET = 'dev-signing-key';

/** A secret store in memory, as the engines behave: the first writer of a name wins. */
function memorySecrets(): SecretStore & { values: Map<string, string> } {
  const values = new Map<string, string>();
  return {
    values,
    putIfAbsent: async (name, value) => {
      await Promise.resolve(); // answer later, as a database does, so concurrent openers interleave
      if (!values.has(name)) values.set(name, value);
      return values.get(name)!;
    },
    removeRange: () => assert.fail('the dev authority removes no secret'),
  };
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

describe('dev authority', () => {
  let secrets: ReturnType<typeof memorySecrets>;
  let authority: DevAuthority;
  before(async () => {
    secrets = memorySecrets();
    authority = await openDevAuthority({ secrets });
  });

  /** Signs whatever a test needs with the authority's own private key, read from where the authority keeps it. */
  async function signWithDevKey(claims: JWTPayload, header: Partial<JWTHeaderParameters> = {}): Promise<string> {
    const jwk = JSON.parse(secrets.values.get(KEY_SECRET)!) as JWK;
    return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: jwk.kid, typ: 'JWT', ...header }).sign(await importJWK(jwk, 'ES256'));
  }
  async function delegatedClaims(): Promise<JWTPayload> {
    return decodeJwt(await authority.mint({ tenantId: TENANT, user: USER }));
  }
  async function rejects(token: string, message?: string): Promise<void> {
    await assert.rejects(async () => authority.verifier.verify(token), (error) => assertUnauthenticated(error, message));
  }

  describe('minting', () => {
    it('mints a delegated token that verifies to the user, with every scope by default', async () => {
      const principal = await authority.verifier.verify(await authority.mint({ tenantId: TENANT, user: USER }));
      assert.deepEqual(principal, {
        kind: 'delegated',
        tenantId: TENANT,
        userId: USER.id,
        userPrincipalName: USER.userPrincipalName,
        scopes: new Set(ALL_DELEGATED_SCOPES),
        appId: DEV_APP_ID,
      });
    });

    it('mints the scopes and app asked for', async () => {
      const token = await authority.mint({ tenantId: TENANT, user: USER, scopes: ['UserAuthenticationMethod.Read'], appId: 'my-app' });
      const principal = await authority.verifier.verify(token);
      assert.ok(principal.kind === 'delegated');
      assert.deepEqual(principal.scopes, new Set(['UserAuthenticationMethod.Read']));
      assert.equal(principal.appId, 'my-app');
    });

    it('mints an application token that verifies to the app and its roles', async () => {
      const token = await authority.mint({ tenantId: TENANT, roles: ['UserAuthenticationMethod.Read.All'] });
      assert.deepEqual(await authority.verifier.verify(token), {
        kind: 'application',
        tenantId: TENANT,
        appId: DEV_APP_ID,
        roles: new Set(['UserAuthenticationMethod.Read.All']),
      });
      const claims = decodeJwt(token);
      assert.equal(claims['scp'], undefined);
      assert.match(String(claims['oid']), /^[0-9a-f-]{36}$/);
    });

    it('gives tokens the header and claims of an Entra v1.0 access token for Graph, valid for 24 hours', async () => {
      const now = nowSeconds();
      const token = await authority.mint({ tenantId: TENANT, user: USER, now });
      const header = decodeProtectedHeader(token);
      assert.deepEqual(header, { alg: 'ES256', kid: authority.jwks().keys[0]?.kid, typ: 'JWT' });
      const claims = decodeJwt(token);
      assert.equal(claims.iss, `https://sts.windows.net/${TENANT}/`);
      assert.equal(claims.aud, 'https://graph.microsoft.com');
      assert.equal(claims['tid'], TENANT);
      assert.equal(claims['azp'], undefined, 'v1.0 tokens name the app in appid only');
      assert.equal(claims['appid'], DEV_APP_ID);
      assert.equal(claims['appidacr'], '0');
      assert.equal(claims['ver'], '1.0');
      assert.equal(claims['idtyp'], 'user');
      assert.equal(claims['scp'], ALL_DELEGATED_SCOPES.join(' '));
      assert.equal(claims['upn'], USER.userPrincipalName);
      assert.equal(claims['unique_name'], USER.userPrincipalName);
      assert.equal(claims.iat, now);
      assert.equal(claims.nbf, now);
      assert.equal(claims.exp, now + 24 * 60 * 60);
      assert.notEqual(claims['uti'], decodeJwt(await authority.mint({ tenantId: TENANT, user: USER, now }))['uti']);
    });

    it('refuses to mint tokens that could not verify', async () => {
      await assert.rejects(authority.mint({ tenantId: TENANT }), RangeError);
      await assert.rejects(authority.mint({ tenantId: TENANT, user: USER, scopes: [] }), RangeError);
      await assert.rejects(authority.mint({ tenantId: TENANT, user: USER, lifetimeSeconds: 0 }), RangeError);
    });
  });

  describe('signing key', () => {
    it('publishes only the public key', async () => {
      const { keys } = authority.jwks();
      assert.equal(keys.length, 1);
      const [key] = keys;
      assert.ok(key);
      assert.equal('d' in key, false);
      assert.deepEqual(Object.keys(key).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      assert.equal(key.alg, 'ES256');
      assert.equal(key.use, 'sig');
      const stored = JSON.parse(secrets.values.get(KEY_SECRET)!) as JWK;
      assert.equal(typeof stored.d, 'string', 'the stored key is the private one');
      assert.equal(JSON.stringify(authority.jwks()).includes(stored.d as string), false);
    });

    it('hands out copies of the key set, so a caller cannot change what it verifies with', async () => {
      const first = authority.jwks();
      (first.keys[0] as JWK).x = 'tampered';
      assert.notEqual(authority.jwks().keys[0]?.x, 'tampered');
    });

    it('keeps the key in the store and reuses it: a reopened authority verifies the old tokens', async () => {
      const reopened = await openDevAuthority({ secrets });
      assert.deepEqual(reopened.jwks(), authority.jwks());
      const principal = await reopened.verifier.verify(await authority.mint({ tenantId: TENANT, user: USER }));
      assert.equal(principal.tenantId, TENANT);
    });

    it('ends with one key when several processes start on an empty store at once', async () => {
      const shared = memorySecrets();
      const authorities = await Promise.all([1, 2, 3, 4].map(() => openDevAuthority({ secrets: shared })));
      const stored = JSON.parse(shared.values.get(KEY_SECRET)!) as JWK;
      for (const opened of authorities) assert.equal(opened.jwks().keys[0]?.kid, stored.kid);
      const token = await authorities[3]!.mint({ tenantId: TENANT, user: USER });
      for (const opened of authorities) assert.equal((await opened.verifier.verify(token)).tenantId, TENANT);
    });

    it('makes a fresh key per process without a store', async () => {
      const [first, second] = await Promise.all([openDevAuthority({ secrets: undefined }), openDevAuthority({ secrets: undefined })]);
      assert.notEqual(first.jwks().keys[0]?.kid, second.jwks().keys[0]?.kid);
      const token = await first.mint({ tenantId: TENANT, user: USER });
      assert.equal((await first.verifier.verify(token)).tenantId, TENANT);
      await assert.rejects(async () => second.verifier.verify(token), (error) => assertUnauthenticated(error, UNKNOWN_KEY));
    });

    it('refuses a stored secret that is not a signing key, naming it', async () => {
      const broken = memorySecrets();
      broken.values.set(KEY_SECRET, '{"kty":"EC","crv":"P-256","x":"x"}');
      await assert.rejects(openDevAuthority({ secrets: broken }), (error) => {
        assert.ok(!(error instanceof GraphError));
        assert.match((error as Error).message, /dev-signing-key/);
        return true;
      });
    });
  });

  describe('rejections', () => {
    it('rejects an unsecured token (alg none)', async () => {
      const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
      const payload = base64url.encode(JSON.stringify(await delegatedClaims()));
      await rejects(`${header}.${payload}.`, 'Access token validation failure.');
    });

    it('rejects HS256 signed with the public key as the secret (algorithm confusion)', async () => {
      const publicJwk = authority.jwks().keys[0] as JWK;
      const pem = await exportSPKI((await importJWK(publicJwk, 'ES256', { extractable: true })) as CryptoKey);
      for (const secret of [pem, JSON.stringify(publicJwk)]) {
        const token = await new SignJWT(await delegatedClaims())
          .setProtectedHeader({ alg: 'HS256', kid: publicJwk.kid, typ: 'JWT' })
          .sign(new TextEncoder().encode(secret));
        await rejects(token, 'Access token validation failure.');
      }
    });

    it('rejects an expired token, but allows a minute of clock skew', async () => {
      const longAgo = nowSeconds() - 2 * 24 * 60 * 60;
      await rejects(await authority.mint({ tenantId: TENANT, user: USER, now: longAgo }), 'Lifetime validation failed, the token is expired.');
      const justExpired = await authority.mint({ tenantId: TENANT, user: USER, now: nowSeconds() - 3600 - 30, lifetimeSeconds: 3600 });
      assert.equal((await authority.verifier.verify(justExpired)).tenantId, TENANT);
    });

    it('rejects a token that is not yet valid, but allows a minute of clock skew', async () => {
      const future = nowSeconds() + 3600;
      await rejects(await authority.mint({ tenantId: TENANT, user: USER, now: future }), 'Lifetime validation failed, the token is not yet valid.');
      const almostValid = await authority.mint({ tenantId: TENANT, user: USER, now: nowSeconds() + 30 });
      assert.equal((await authority.verifier.verify(almostValid)).tenantId, TENANT);
    });

    it('accepts both Graph audiences and rejects any other', async () => {
      const claims = await delegatedClaims();
      for (const aud of GRAPH_AUDIENCES) {
        assert.equal((await authority.verifier.verify(await signWithDevKey({ ...claims, aud }))).tenantId, TENANT);
      }
      await rejects(await signWithDevKey({ ...claims, aud: 'api://someone-else' }), 'Access token validation failure. Invalid audience.');
    });

    it('rejects a token of another issuer', async () => {
      const claims = await delegatedClaims();
      await rejects(await signWithDevKey({ ...claims, iss: 'https://evil.example/' }), 'Access token validation failure. Invalid issuer.');
      await rejects(await signWithDevKey({ ...claims, iss: `https://sts.windows.net/${TENANT}` }), 'Access token validation failure. Invalid issuer.');
    });

    it('accepts the v2.0 issuer of the tokens it signed before it spoke v1.0', async () => {
      const claims = await delegatedClaims();
      const earlier = await signWithDevKey({ ...claims, iss: `https://login.microsoftonline.com/${TENANT}/v2.0` });
      assert.equal((await authority.verifier.verify(earlier)).tenantId, TENANT);
    });

    it('an app granted no role: a token the verifier reads as an app with no roles', async () => {
      const principal = await authority.verifier.verify(await authority.mint({ tenantId: TENANT, roles: [] }));
      assert.equal(principal.kind, 'application');
      assert.equal(principal.kind === 'application' && principal.roles.size, 0);
    });

    it('rejects a token whose issuer names another tenant than its tid', async () => {
      const claims = await delegatedClaims();
      const mismatched = { ...claims, iss: `https://sts.windows.net/${OTHER_TENANT}/` };
      await rejects(await signWithDevKey(mismatched), 'Access token validation failure. Invalid issuer.');
    });

    it('rejects a token signed by another dev authority, whatever kid it claims', async () => {
      const stranger = await openDevAuthority({ secrets: undefined });
      await rejects(await stranger.mint({ tenantId: TENANT, user: USER }), UNKNOWN_KEY);
      const strangerToken = await stranger.mint({ tenantId: TENANT, user: USER });
      const [, payload, signature] = strangerToken.split('.');
      const ourKid = authority.jwks().keys[0]?.kid;
      const forgedHeader = base64url.encode(JSON.stringify({ alg: 'ES256', kid: ourKid, typ: 'JWT' }));
      await rejects(`${forgedHeader}.${payload}.${signature}`, 'Access token validation failure.');
    });

    it('rejects a tampered payload that keeps the original signature', async () => {
      const token = await authority.mint({ tenantId: TENANT, user: USER, scopes: ['UserAuthenticationMethod.Read'] });
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload))) as JWTPayload;
      const tampered = base64url.encode(JSON.stringify({ ...claims, scp: 'UserAuthenticationMethod.ReadWrite.All' }));
      await rejects(`${header}.${tampered}.${signature}`, 'Access token validation failure.');
    });

    for (const garbage of ['', 'garbage', 'a.b.c', '..', 'a.b', 'eyJhbGciOiJFUzI1NiJ9.e30.', '%%%.%%%.%%%', 'e30.e30.e30.e30']) {
      it(`rejects the garbage token ${JSON.stringify(garbage)}`, async () => {
        await rejects(garbage, 'Access token validation failure.');
      });
    }

    it('rejects a signed token whose header is not JSON', async () => {
      const token = await authority.mint({ tenantId: TENANT, user: USER });
      const [, payload, signature] = token.split('.');
      await rejects(`${base64url.encode('not json')}.${payload}.${signature}`, 'Access token validation failure.');
    });

    it('rejects well-signed tokens whose claims name no usable caller', async () => {
      const claims = await delegatedClaims();
      const { tid: _tid, ...withoutTid } = claims;
      const { oid: _oid, ...withoutOid } = claims;
      const { scp: _scp, ...withoutScp } = claims;
      await rejects(await signWithDevKey(withoutTid), 'The access token has no tenant (tid) claim.');
      await rejects(await signWithDevKey(withoutOid), 'A delegated access token must name its user (oid).');
      await rejects(
        await signWithDevKey(withoutScp),
        'The access token carries neither delegated scopes (scp) nor application roles (roles).',
      );
    });
  });
});
