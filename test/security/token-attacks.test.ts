/**
 * Token attacks, end to end: real HTTP over a real socket, against a dev-mode server (its own ES256 dev
 * authority) and a production-mode server (`createRemoteVerifier` reading a fake OpenID provider's
 * discovery document and JWKS). Every forged, altered, misdirected or stale token must be answered
 * `401 InvalidAuthenticationToken` with `WWW-Authenticate` and Graph's error envelope, and the answer must
 * never carry the token back. An identity provider that cannot hand out its keys is `503`, not `401`.
 *
 * The unit tests in test/auth/ cover the verifiers alone; these cover the whole pipeline a client meets.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  base64url,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  importJWK,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
} from 'jose';
import { ALL_DELEGATED_SCOPES, DEV_APP_ID } from '../../src/auth/dev-authority.js';
import { createRemoteVerifier } from '../../src/auth/remote-verifier.js';
import { WWW_AUTHENTICATE } from '../../src/auth/token-verifier.js';
import { assertEnvelope, assertNoLeak, assertUnauthenticated, type HttpAnswer as Answer } from '../support/graph-errors.js';
import { DEV_TENANT_ID, OPERATIONS, startHarness, type Harness } from '../support/harness.js';
import { startIdentityProvider, type ClaimOverrides, type FakeIdentityProvider } from '../support/identity-provider.js';

const AUDIENCE = 'api://graph-lro';
const TENANT_A = '7a1f0c2e-1111-4a5b-8c6d-00000000000a';
const TENANT_B = '7a1f0c2e-2222-4a5b-8c6d-00000000000b';
const USER_ID = '3c5e7f90-aaaa-4bcd-9ef0-123456789abc';
const VICTIM_ID = '3c5e7f90-bbbb-4bcd-9ef0-123456789abc';
const DEV_KEY_SECRET = 'dev-signing-key';

const VALIDATION_FAILURE = 'Access token validation failure.';
const INVALID_ISSUER = 'Access token validation failure. Invalid issuer.';
const INVALID_AUDIENCE = 'Access token validation failure. Invalid audience.';
const EXPIRED = 'Lifetime validation failed, the token is expired.';
const NOT_YET_VALID = 'Lifetime validation failed, the token is not yet valid.';
const NO_OID = 'A delegated access token must name its user (oid).';

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

// ---------------------------------------------------------------------------------------------- HTTP

async function call(base: string, token: string | undefined, path = OPERATIONS, init: { method?: string; body?: unknown } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  const json = /json/.test(response.headers.get('content-type') ?? '') && text !== '' ? JSON.parse(text) : undefined;
  return { status: response.status, headers: response.headers, text, json };
}

/** Serves the harness's app on 127.0.0.1, on a port of its own; answers its base URL. */
async function listen(h: Harness): Promise<string> {
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
}

function assertServiceUnavailable(answer: Answer, token: string): void {
  assertEnvelope(answer, 503, 'serviceNotAvailable');
  assert.equal(answer.headers.get('www-authenticate'), null, 'a 503 must not tell the client its token is bad');
  assertNoLeak(answer, token);
}

// ------------------------------------------------------------------------------------- token surgery

const encodeJson = (value: unknown): string => base64url.encode(JSON.stringify(value));
const decodeJson = (segment: string): Record<string, unknown> => JSON.parse(new TextDecoder().decode(base64url.decode(segment)));

function segments(token: string): [string, string, string] {
  const [header, payload, signature] = token.split('.');
  return [header!, payload!, signature!];
}

/** An unsecured JWT (RFC 7519 §6), built by hand: no signing library will make one. */
function unsecured(payload: JWTPayload, header: Record<string, unknown> = {}): string {
  return `${encodeJson({ alg: 'none', typ: 'JWT', ...header })}.${encodeJson(payload)}.`;
}

/** The same token with its payload changed and the original signature kept. */
function withPayload(token: string, change: (claims: Record<string, unknown>) => Record<string, unknown>): string {
  const [header, payload, signature] = segments(token);
  return `${header}.${encodeJson(change(decodeJson(payload)))}.${signature}`;
}

function withHeader(token: string, change: (header: Record<string, unknown>) => Record<string, unknown>): string {
  const [header, payload, signature] = segments(token);
  return `${encodeJson(change(decodeJson(header)))}.${payload}.${signature}`;
}

function withSignature(token: string, change: (signature: string) => string): string {
  const [header, payload, signature] = segments(token);
  return `${header}.${payload}.${change(signature)}`;
}

/** Flips one character of a base64url string, keeping it base64url. */
function flipCharacter(text: string, index: number): string {
  const c = text[index]!;
  return `${text.slice(0, index)}${c === 'A' ? 'B' : 'A'}${text.slice(index + 1)}`;
}

function hmac(payload: JWTPayload, header: Partial<JWTHeaderParameters> & { alg: string }, secret: Uint8Array): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ typ: 'JWT', ...header }).sign(secret);
}

/** Claims merged over `base`; a claim given as `undefined` is removed. */
function mergeClaims(base: JWTPayload, overrides: ClaimOverrides): JWTPayload {
  const merged: Record<string, unknown> = { ...base, ...overrides };
  for (const [claim, value] of Object.entries(merged)) if (value === undefined) delete merged[claim];
  return merged as JWTPayload;
}

// -------------------------------------------------------------------------------------- the two modes

/** What an attack needs to know about a server: its URL, a good token's claims, and how it signs. */
interface Mode {
  readonly name: string;
  readonly base: string;
  readonly algorithm: 'ES256' | 'RS256';
  readonly trustedKid: string;
  /** The issuer a token of `tenantId` carries in this mode. */
  issuerFor(tenantId: string): string;
  /** Claims of a good delegated token, with overrides. */
  claims(overrides?: ClaimOverrides): JWTPayload;
  /** Signs with the key the server trusts (its `kid` in the header unless `header` says otherwise). */
  sign(payload: JWTPayload, header?: Partial<JWTHeaderParameters>): Promise<string>;
  /** Signs with a key of the same type the server does not know. */
  signAsAttacker(payload: JWTPayload, header?: Partial<JWTHeaderParameters>): Promise<string>;
  /** The public key, as anybody can fetch it from the published key set: the raw JWK text and its PEM. */
  publishedKey(): Promise<{ jwkText: string; jwksText: string; pem: string }>;
  /** An audience another service's tokens carry (valid everywhere except here). */
  readonly foreignAudience: string;
  /** The 401's message for a token of a key this server does not hold: dev identity says what usually went wrong. */
  readonly unknownKeyMessage: string;
}

async function fetchPublishedKey(jwksUrl: string, kid: string, alg: string): Promise<{ jwkText: string; jwksText: string; pem: string }> {
  const jwksText = await (await fetch(jwksUrl)).text();
  const jwk = (JSON.parse(jwksText) as { keys: JWK[] }).keys.find((key) => key.kid === kid);
  assert.ok(jwk, `the key set at ${jwksUrl} publishes ${kid}`);
  const pem = await exportSPKI((await importJWK(jwk, alg, { extractable: true })) as CryptoKey);
  return { jwkText: JSON.stringify(jwk), jwksText, pem };
}

async function devMode(h: Harness, base: string): Promise<Mode> {
  // The authority keeps its private key in the store's secrets; putIfAbsent answers the stored one.
  const privateJwk = JSON.parse(await h.store.secrets.putIfAbsent(DEV_KEY_SECRET, 'unused')) as JWK & { kid: string };
  const signingKey = await importJWK(privateJwk, 'ES256');
  const attacker = (await generateKeyPair('ES256')).privateKey;
  const issuerFor = (tenantId: string): string => `https://login.microsoftonline.com/${tenantId}/v2.0`;
  const sign = (key: CryptoKey | Uint8Array) => (payload: JWTPayload, header: Partial<JWTHeaderParameters> = {}) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: privateJwk.kid, typ: 'JWT', ...header }).sign(key);
  return {
    name: 'dev mode',
    base,
    algorithm: 'ES256',
    trustedKid: privateJwk.kid,
    issuerFor,
    claims(overrides = {}) {
      const now = nowSeconds();
      const tid = typeof overrides['tid'] === 'string' ? overrides['tid'] : DEV_TENANT_ID;
      return mergeClaims(
        {
          iss: issuerFor(tid),
          aud: 'https://graph.microsoft.com',
          tid,
          oid: USER_ID,
          sub: USER_ID,
          upn: 'adele@contoso.com',
          preferred_username: 'adele@contoso.com',
          scp: ALL_DELEGATED_SCOPES.join(' '),
          azp: DEV_APP_ID,
          appid: DEV_APP_ID,
          ver: '2.0',
          iat: now,
          nbf: now,
          exp: now + 3600,
        },
        overrides,
      );
    },
    sign: sign(signingKey),
    signAsAttacker: sign(attacker),
    publishedKey: () => fetchPublishedKey(`${base}/.well-known/jwks.json`, privateJwk.kid, 'ES256'),
    foreignAudience: AUDIENCE,
    unknownKeyMessage: `${VALIDATION_FAILURE} The token is signed by a key this server does not hold: dev tokens verify only on the server whose --data folder (or database) holds the key that signed them, and a --memory server accepts only the tokens it printed or minted itself.`,
  };
}

async function productionMode(idp: FakeIdentityProvider, base: string): Promise<Mode> {
  const attackerKey = await idp.addKey({ publish: false });
  return {
    name: 'production mode',
    base,
    algorithm: 'RS256',
    trustedKid: idp.currentKey.kid,
    issuerFor: (tenantId) => idp.issuerFor(tenantId),
    claims: (overrides = {}) => idp.claims({ oid: USER_ID, ...overrides }),
    sign: (payload, header) => idp.signPayload(payload, header),
    // The attacker's RSA key; the header still names the trusted key's kid unless told otherwise.
    signAsAttacker: (payload, header = {}) => idp.signPayload(payload, { kid: idp.currentKey.kid, ...header }, attackerKey),
    publishedKey: () => fetchPublishedKey(idp.jwksUrl, idp.currentKey.kid, 'RS256'),
    foreignAudience: 'https://graph.microsoft.com',
    unknownKeyMessage: VALIDATION_FAILURE,
  };
}

// -------------------------------------------------------------------------------------- the attacks

interface Attack {
  readonly name: string;
  /** The message the 401 must carry, when the check that fails is certain (it may depend on the mode). */
  readonly message?: string | ((mode: Mode) => string);
  token(mode: Mode): Promise<string> | string;
}

const ATTACKS: Attack[] = [
  // alg: none, in the spellings a case-insensitive check might let through
  ...['none', 'None', 'NONE', 'nOnE'].map<Attack>((alg) => ({
    name: `an unsecured token (alg "${alg}")`,
    message: VALIDATION_FAILURE,
    token: (mode) => unsecured(mode.claims(), { alg, kid: mode.trustedKid }),
  })),
  {
    name: 'an unsecured token that keeps the real signature',
    message: VALIDATION_FAILURE,
    token: async (mode) => withHeader(await mode.sign(mode.claims()), (header) => ({ ...header, alg: 'none' })),
  },
  {
    name: 'an unsecured token without a kid',
    message: VALIDATION_FAILURE,
    token: (mode) => unsecured(mode.claims()),
  },

  // algorithm confusion: HMAC keyed with the public key, as fetched from the published key set
  ...(['HS256', 'HS384', 'HS512'] as const).flatMap<Attack>((alg) => [
    {
      name: `${alg} keyed with the public key's PEM`,
      message: VALIDATION_FAILURE,
      token: async (mode) => hmac(mode.claims(), { alg, kid: mode.trustedKid }, new TextEncoder().encode((await mode.publishedKey()).pem)),
    },
    {
      name: `${alg} keyed with the public key's PEM, without its final newline`,
      message: VALIDATION_FAILURE,
      token: async (mode) => hmac(mode.claims(), { alg, kid: mode.trustedKid }, new TextEncoder().encode((await mode.publishedKey()).pem.trimEnd())),
    },
    {
      name: `${alg} keyed with the public JWK's bytes`,
      message: VALIDATION_FAILURE,
      token: async (mode) => hmac(mode.claims(), { alg, kid: mode.trustedKid }, new TextEncoder().encode((await mode.publishedKey()).jwkText)),
    },
  ]),
  {
    name: 'HS256 keyed with the whole JWKS document as served',
    message: VALIDATION_FAILURE,
    token: async (mode) => hmac(mode.claims(), { alg: 'HS256', kid: mode.trustedKid }, new TextEncoder().encode((await mode.publishedKey()).jwksText)),
  },
  {
    name: 'HS256 keyed with the public key and no kid',
    message: VALIDATION_FAILURE,
    token: async (mode) => hmac(mode.claims(), { alg: 'HS256' }, new TextEncoder().encode((await mode.publishedKey()).pem)),
  },

  // lifetime, beyond the 60 s of clock skew
  {
    name: 'an expired token (two minutes ago)',
    message: EXPIRED,
    token: (mode) => {
      const now = nowSeconds();
      return mode.sign(mode.claims({ iat: now - 3720, nbf: now - 3720, exp: now - 120 }));
    },
  },
  {
    name: 'a token expired long ago',
    message: EXPIRED,
    token: (mode) => mode.sign(mode.claims({ iat: 1_600_000_000, nbf: 1_600_000_000, exp: 1_600_003_600 })),
  },
  {
    name: 'a token not valid for two more minutes (nbf)',
    message: NOT_YET_VALID,
    token: (mode) => {
      const now = nowSeconds();
      return mode.sign(mode.claims({ iat: now, nbf: now + 120, exp: now + 3600 }));
    },
  },
  {
    name: 'a token without exp, which would never expire',
    message: VALIDATION_FAILURE,
    token: (mode) => mode.sign(mode.claims({ exp: undefined })),
  },

  // audience and issuer
  { name: 'a token for another audience', message: INVALID_AUDIENCE, token: (mode) => mode.sign(mode.claims({ aud: 'api://someone-else' })) },
  {
    name: "a token for the other mode's audience",
    message: INVALID_AUDIENCE,
    token: (mode) => mode.sign(mode.claims({ aud: mode.foreignAudience })),
  },
  { name: 'a token without aud', message: INVALID_AUDIENCE, token: (mode) => mode.sign(mode.claims({ aud: undefined })) },
  { name: 'a token of an unknown issuer', message: INVALID_ISSUER, token: (mode) => mode.sign(mode.claims({ iss: 'https://evil.example/v2.0' })) },
  {
    name: 'a token whose issuer differs from the right one by a trailing slash',
    message: INVALID_ISSUER,
    token: (mode) => mode.sign(mode.claims({ iss: `${String(mode.claims().iss)}/` })),
  },
  {
    name: 'a token whose issuer differs from the right one by case',
    message: INVALID_ISSUER,
    token: (mode) => mode.sign(mode.claims({ iss: String(mode.claims().iss).toUpperCase() })),
  },
  { name: 'a token without iss', message: INVALID_ISSUER, token: (mode) => mode.sign(mode.claims({ iss: undefined })) },

  // keys
  { name: 'a token naming a kid nobody publishes', message: (mode) => mode.unknownKeyMessage, token: (mode) => mode.sign(mode.claims(), { kid: 'unknown-kid' }) },
  {
    name: "a token signed by a key not in the key set, claiming a published key's kid",
    message: VALIDATION_FAILURE,
    token: (mode) => mode.signAsAttacker(mode.claims()),
  },
  {
    name: 'a token signed by an unpublished key, naming no kid',
    message: VALIDATION_FAILURE,
    token: (mode) => mode.signAsAttacker(mode.claims(), { kid: undefined }),
  },
  {
    name: "a token carrying its own key in the header (jwk), claiming a published key's kid",
    message: VALIDATION_FAILURE,
    token: async (mode) => {
      const pair = await generateKeyPair(mode.algorithm, { extractable: true });
      const jwk = await exportJWK(pair.publicKey);
      return new SignJWT(mode.claims()).setProtectedHeader({ alg: mode.algorithm, kid: mode.trustedKid, jwk }).sign(pair.privateKey);
    },
  },
  {
    name: 'a token of another key type (ES384) claiming the published kid',
    message: VALIDATION_FAILURE,
    token: async (mode) => {
      const pair = await generateKeyPair('ES384');
      return new SignJWT(mode.claims()).setProtectedHeader({ alg: 'ES384', kid: mode.trustedKid }).sign(pair.privateKey);
    },
  },

  // a good token, altered
  ...(
    [
      ['oid flipped to another user', (c: Record<string, unknown>) => ({ ...c, oid: VICTIM_ID, sub: VICTIM_ID })],
      ['scp raised to ReadWrite.All', (c: Record<string, unknown>) => ({ ...c, scp: 'UserAuthenticationMethod.ReadWrite.All' })],
      ['tid moved to another tenant', (c: Record<string, unknown>) => ({ ...c, tid: TENANT_B })],
      ['exp pushed a year out', (c: Record<string, unknown>) => ({ ...c, exp: Number(c['exp']) + 365 * 86400 })],
      ['roles added', (c: Record<string, unknown>) => ({ ...c, roles: ['UserAuthenticationMethod.ReadWrite.All'] })],
    ] as const
  ).map<Attack>(([what, change]) => ({
    name: `a tampered payload (${what}), signature kept`,
    message: VALIDATION_FAILURE,
    token: async (mode) => withPayload(await mode.sign(mode.claims()), change),
  })),
  {
    name: 'a tampered header (typ changed), signature kept',
    message: VALIDATION_FAILURE,
    token: async (mode) => withHeader(await mode.sign(mode.claims()), (header) => ({ ...header, typ: 'at+jwt' })),
  },
  {
    name: 'a signature one character short',
    message: VALIDATION_FAILURE,
    token: async (mode) => withSignature(await mode.sign(mode.claims()), (signature) => signature.slice(0, -1)),
  },
  {
    name: 'a signature cut in half',
    message: VALIDATION_FAILURE,
    token: async (mode) => withSignature(await mode.sign(mode.claims()), (signature) => signature.slice(0, Math.floor(signature.length / 2))),
  },
  {
    name: 'an empty signature',
    message: VALIDATION_FAILURE,
    token: async (mode) => withSignature(await mode.sign(mode.claims()), () => ''),
  },
  {
    name: 'a signature with one character changed',
    message: VALIDATION_FAILURE,
    token: async (mode) => withSignature(await mode.sign(mode.claims()), (signature) => flipCharacter(signature, 10)),
  },
  {
    name: 'a token without its signature segment',
    message: VALIDATION_FAILURE,
    token: async (mode) => segments(await mode.sign(mode.claims())).slice(0, 2).join('.'),
  },

  // other tenants
  {
    name: "a token of the right key, with another tenant's issuer but this tenant's tid",
    message: INVALID_ISSUER,
    token: (mode) => mode.sign(mode.claims({ iss: mode.issuerFor(TENANT_B) })),
  },
  {
    name: "a token of another tenant's issuer, signed by a key this server does not trust",
    message: (mode) => mode.unknownKeyMessage,
    token: (mode) => mode.signAsAttacker(mode.claims({ tid: TENANT_B, iss: mode.issuerFor(TENANT_B) }), { kid: 'tenant-b-key' }),
  },

  // claims the principal rules refuse
  { name: 'a token with scp but no oid', message: NO_OID, token: (mode) => mode.sign(mode.claims({ oid: undefined, sub: undefined })) },
  {
    name: 'a token with neither scp nor roles',
    message: 'The access token carries neither delegated scopes (scp) nor application roles (roles).',
    token: (mode) => mode.sign(mode.claims({ scp: undefined })),
  },
  {
    name: 'a token without tid',
    message: 'The access token has no tenant (tid) claim.',
    // The issuer of the token's own tenant still names it, so only the missing tid can fail.
    token: (mode) => mode.sign({ ...mode.claims(), tid: undefined }),
  },
];

// ------------------------------------------------------------------------------------------- the tests

describe('token attacks over HTTP', () => {
  let idp: FakeIdentityProvider;
  let otherIdp: FakeIdentityProvider;
  let dev: Harness;
  let prod: Harness;
  let devBase: string;
  let prodBase: string;
  const modes: Mode[] = [];

  before(async () => {
    idp = await startIdentityProvider({ tenantId: TENANT_A, audience: AUDIENCE });
    otherIdp = await startIdentityProvider({ tenantId: TENANT_B, audience: AUDIENCE });
    dev = await startHarness();
    devBase = await listen(dev);
    prod = await startHarness({
      verifier: await createRemoteVerifier({ discoveryUrl: idp.discoveryUrl, audiences: [AUDIENCE], issuers: [] }),
    });
    prodBase = await listen(prod);
    modes.push(await devMode(dev, devBase), await productionMode(idp, prodBase));
  });

  after(async () => {
    await dev?.close();
    await prod?.close();
    await idp?.close();
    await otherIdp?.close();
  });

  describe('the positive paths', () => {
    it('dev mode: a token the dev authority mints is accepted (list, create, read)', async () => {
      const { token, user } = await dev.user('adele@contoso.com');
      const list = await call(devBase, token);
      assert.equal(list.status, 200, list.text);
      assert.deepEqual(list.json.value, []);
      const created = await call(devBase, token, OPERATIONS, { method: 'POST', body: { statusDetail: 'queued' } });
      assert.equal(created.status, 201, created.text);
      const read = await call(devBase, token, `/v1.0/users/${user.id}/authentication/operations/${created.json.id}`);
      assert.equal(read.status, 200, read.text);
      assert.equal(read.json.statusDetail, 'queued');
    });

    it('production mode: a token of the configured provider is accepted (list, create, read by UPN)', async () => {
      const token = await idp.sign({ oid: '0e1d2c3b-4a59-4687-a5b4-c3d2e1f00001', upn: 'megan@contoso.example' });
      const list = await call(prodBase, token);
      assert.equal(list.status, 200, list.text);
      assert.deepEqual(list.json.value, []);
      const created = await call(prodBase, token, OPERATIONS, { method: 'POST', body: { statusDetail: 'queued' } });
      assert.equal(created.status, 201, created.text);
      const read = await call(prodBase, token, `/v1.0/users/megan@contoso.example/authentication/operations/${created.json.id}`);
      assert.equal(read.status, 200, read.text);
      assert.equal(read.json.statusDetail, 'queued');
    });

    it("production mode: the provider's application token reaches /users/{id}", async () => {
      const userId = '0e1d2c3b-4a59-4687-a5b4-c3d2e1f00001';
      const token = await idp.sign({
        scp: undefined,
        upn: undefined,
        preferred_username: undefined,
        name: undefined,
        oid: '9d8c7b6a-0000-4000-8000-00000000a990',
        roles: ['UserAuthenticationMethod.Read.All'],
        idtyp: 'app',
      });
      const list = await call(prodBase, token, `/v1.0/users/${userId}/authentication/operations`);
      assert.equal(list.status, 200, list.text);
    });

    for (const index of [0, 1]) {
      it(`${['dev', 'production'][index]} mode: the attack helpers' own untampered token is accepted (the control)`, async () => {
        const mode = modes[index]!;
        const answer = await call(mode.base, await mode.sign(mode.claims()));
        assert.equal(answer.status, 200, answer.text);
      });

      it(`${['dev', 'production'][index]} mode: 60 s of clock skew are allowed, both ways`, async () => {
        const mode = modes[index]!;
        const now = nowSeconds();
        const justExpired = await mode.sign(mode.claims({ iat: now - 3630, nbf: now - 3630, exp: now - 30 }));
        assert.equal((await call(mode.base, justExpired)).status, 200, 'expired 30 s ago: within the skew');
        const almostValid = await mode.sign(mode.claims({ iat: now, nbf: now + 30, exp: now + 3600 }));
        assert.equal((await call(mode.base, almostValid)).status, 200, 'valid in 30 s: within the skew');
      });
    }
  });

  for (const [index, modeName] of ['dev mode', 'production mode'].entries()) {
    describe(`${modeName}: every bad token is 401 InvalidAuthenticationToken, with WWW-Authenticate, and no echo`, () => {
      it('no token at all', async () => {
        const answer = await call(modes[index]!.base, undefined);
        assertEnvelope(answer, 401, 'InvalidAuthenticationToken', 'Access token is empty.');
        assert.equal(answer.headers.get('www-authenticate'), WWW_AUTHENTICATE);
      });

      for (const attack of ATTACKS) {
        it(attack.name, async () => {
          const mode = modes[index]!;
          const token = await attack.token(mode);
          for (const [method, path, body] of [
            ['GET', OPERATIONS, undefined],
            ['POST', OPERATIONS, { statusDetail: 'forged' }],
            ['GET', `/beta/users/${USER_ID}/authentication/operations/$count`, undefined],
          ] as const) {
            const answer = await call(mode.base, token, path, { method, body });
            assertUnauthenticated(answer, token, typeof attack.message === 'function' ? attack.message(mode) : attack.message);
          }
        });
      }
    });
  }

  describe('production mode: tokens of other tenants and other providers', () => {
    it("a token the same provider signs for another tenant (Entra's shared keys) is 401: wrong issuer", async () => {
      const token = await idp.sign({ tid: TENANT_B }); // iss follows: http://127.0.0.1:{port}/{TENANT_B}/v2.0
      assertUnauthenticated(await call(prodBase, token), token, INVALID_ISSUER);
    });

    it("a token of another tenant's issuer on this provider, claiming this tenant's tid, is 401", async () => {
      const token = await idp.sign({ tid: TENANT_A, iss: idp.issuerFor(TENANT_B) });
      assertUnauthenticated(await call(prodBase, token), token, INVALID_ISSUER);
    });

    it("a good token of a second provider (its own keys, its own tenant's issuer) is 401", async () => {
      const token = await otherIdp.sign({ oid: USER_ID });
      assertUnauthenticated(await call(prodBase, token), token, VALIDATION_FAILURE);
    });

    it("a second provider's token that claims this provider's issuer and tenant is 401", async () => {
      const token = await otherIdp.sign({ oid: USER_ID, tid: TENANT_A, iss: idp.issuer });
      assertUnauthenticated(await call(prodBase, token), token, VALIDATION_FAILURE);
    });

    it("a second provider's token that names this provider's kid is 401", async () => {
      const token = await otherIdp.sign({ oid: USER_ID, tid: TENANT_A, iss: idp.issuer }, { kid: idp.currentKey.kid });
      assertUnauthenticated(await call(prodBase, token), token, VALIDATION_FAILURE);
    });

    it('a jku header pointing at an attacker key set is ignored: 401, and that key set is never fetched', async () => {
      const before = otherIdp.jwksRequests;
      const token = await otherIdp.sign({ oid: USER_ID, tid: TENANT_A, iss: idp.issuer }, { jku: otherIdp.jwksUrl });
      assertUnauthenticated(await call(prodBase, token), token, VALIDATION_FAILURE);
      const withTrustedKid = await otherIdp.sign({ oid: USER_ID, tid: TENANT_A, iss: idp.issuer }, { jku: otherIdp.jwksUrl, kid: idp.currentKey.kid });
      assertUnauthenticated(await call(prodBase, withTrustedKid), withTrustedKid, VALIDATION_FAILURE);
      assert.equal(otherIdp.jwksRequests, before);
    });

    it('a dev-mode token (the emulator’s key, Graph’s audience) is 401 in production mode', async () => {
      const { token } = await dev.user('adele@contoso.com');
      assertUnauthenticated(await call(prodBase, token), token);
    });

    it('a production token is 401 in dev mode', async () => {
      const token = await idp.sign({ oid: USER_ID, aud: 'https://graph.microsoft.com' });
      assertUnauthenticated(await call(devBase, token), token);
    });
  });

  describe('production mode: key rotation', () => {
    /*
     * docs/configuration.md ("Identity modes"): "Keys are cached and refetched when an unknown `kid` appears." jose's remote
     * key set refetches on an unknown kid at most once per cooldown, which createRemoteVerifier sets to 1 s
     * (KEY_REFETCH_COOLDOWN_MS; jose's own default is 30 s). A token whose kid is unknown while the cooldown
     * runs waits it out and is checked once more, so a good token of a key published just after the last
     * fetch is accepted on its first request (at most a second later), never answered 401.
     */
    it('a key published and used just after the keys were fetched is accepted at once (refetched on an unknown kid)', async () => {
      const rotating = await startIdentityProvider({ tenantId: TENANT_A, audience: AUDIENCE });
      const h = await startHarness({
        verifier: await createRemoteVerifier({ discoveryUrl: rotating.discoveryUrl, audiences: [AUDIENCE], issuers: [] }),
      });
      try {
        const base = await listen(h);
        const before = await call(base, await rotating.sign());
        assert.equal(before.status, 200, before.text);
        await rotating.rotate();
        const token = await rotating.sign();
        const answer = await call(base, token);
        assert.equal(
          answer.status,
          200,
          `a token of the newly published key, ${rotating.jwksRequests - 1} refetch(es) later: ${answer.status} ${answer.text}`,
        );
      } finally {
        await h.close();
        await rotating.close();
      }
    });

    it('a rotated-in key is accepted once the provider publishes it; a retired key only until the keys are refetched', async (t) => {
      const rotating = await startIdentityProvider({ tenantId: TENANT_A, audience: AUDIENCE });
      const h = await startHarness({
        verifier: await createRemoteVerifier({ discoveryUrl: rotating.discoveryUrl, audiences: [AUDIENCE], issuers: [] }),
      });
      try {
        const base = await listen(h);
        // jose's remote key set refetches on an unknown kid at most once per cooldown (1 s here), and keeps keys
        // for 10 minutes; both are read from Date.now(), which this test moves forward. Token lifetimes
        // are checked against `new Date()`, which is not moved, so tokens are dated with the real clock.
        const realNow = Date.now.bind(Date);
        let offset = 0;
        t.mock.method(Date, 'now', () => realNow() + offset);
        const lifetime = (): ClaimOverrides => {
          const now = Math.floor(realNow() / 1000);
          return { iat: now, nbf: now, exp: now + 7200 };
        };
        const ok = async (token: string, what: string): Promise<void> => {
          const answer = await call(base, token);
          assert.equal(answer.status, 200, `${what}: ${answer.text}`);
        };

        const key1 = rotating.currentKey;
        const token1 = await rotating.sign(lifetime());
        await ok(token1, 'key 1, the only key');
        assert.equal(rotating.jwksRequests, 1);

        // The provider rotates: key 2 is published next to key 1 and signs new tokens.
        const key2 = await rotating.rotate();
        const token2 = await rotating.sign(lifetime());
        offset += 31_000;
        await ok(token2, 'key 2, unknown to the cache: refetched');
        assert.equal(rotating.jwksRequests, 2, 'the unknown kid made the verifier fetch the keys again');
        await ok(token1, 'key 1, still published');
        await ok(token2, 'key 2 again');
        assert.equal(rotating.jwksRequests, 2, 'known keys are served from the cache');

        // Key 1 is retired and key 3 rotated in: the first key-3 token refetches the set, and key 1 is gone.
        rotating.retire(key1.kid);
        await rotating.rotate();
        const token3 = await rotating.sign(lifetime());
        offset += 31_000;
        await ok(token3, 'key 3, unknown: refetched');
        assert.equal(rotating.jwksRequests, 3);
        assertUnauthenticated(await call(base, token1), token1, VALIDATION_FAILURE);
        assert.equal(rotating.jwksRequests, 4, 'a kid unknown to the keys fetched before it came waits out the cooldown and is looked up once more');
        await ok(token2, 'key 2, still published');

        // Key 2 is retired too; the cached set still has it until the cache ages out (10 minutes).
        rotating.retire(key2.kid);
        offset += 601_000;
        assertUnauthenticated(await call(base, token2), token2, VALIDATION_FAILURE);
        assert.equal(rotating.jwksRequests, 5, 'a stale cache is refreshed before a token is checked');
        await ok(token3, 'key 3, the one published key');
        assertUnauthenticated(await call(base, token1), token1, VALIDATION_FAILURE);
      } finally {
        await h.close();
        await rotating.close();
      }
    });
  });

  describe('production mode: an identity provider that cannot hand out its keys', () => {
    async function serverFor(provider: FakeIdentityProvider): Promise<{ h: Harness; base: string }> {
      const h = await startHarness({
        verifier: await createRemoteVerifier({ discoveryUrl: provider.discoveryUrl, audiences: [AUDIENCE], issuers: [] }),
      });
      return { h, base: await listen(h) };
    }

    it('a provider that is down is 503 serviceNotAvailable, not 401 and not 500', async () => {
      const provider = await startIdentityProvider({ tenantId: TENANT_A, audience: AUDIENCE });
      const { h, base } = await serverFor(provider); // discovery was read; the keys have not been fetched yet
      try {
        const token = await provider.sign({ oid: USER_ID });
        await provider.close();
        assertServiceUnavailable(await call(base, token), token);
        assertServiceUnavailable(await call(base, token, OPERATIONS, { method: 'POST', body: {} }), token);
        const unknownKid = await provider.sign({ oid: USER_ID }, { kid: 'unknown-kid' });
        assertServiceUnavailable(await call(base, unknownKid), unknownKid);
        // What can be refused without the keys is still refused as the token's fault.
        const none = unsecured(provider.claims({ oid: USER_ID }));
        assertUnauthenticated(await call(base, none), none, VALIDATION_FAILURE);
        const hs256 = await hmac(provider.claims({ oid: USER_ID }), { alg: 'HS256' }, new TextEncoder().encode('secret'));
        assertUnauthenticated(await call(base, hs256), hs256, VALIDATION_FAILURE);
      } finally {
        await h.close();
      }
    });

    it('a key endpoint that answers 500, or something that is not a key set, is 503; the service recovers with the provider', async () => {
      const provider = await startIdentityProvider({ tenantId: TENANT_A, audience: AUDIENCE });
      const { h, base } = await serverFor(provider);
      try {
        const token = await provider.sign({ oid: USER_ID });
        provider.setJwksMode('error');
        assertServiceUnavailable(await call(base, token), token);
        provider.setJwksMode('garbage');
        assertServiceUnavailable(await call(base, token), token);
        provider.setJwksMode('ok');
        const answer = await call(base, token);
        assert.equal(answer.status, 200, answer.text);
      } finally {
        await h.close();
        await provider.close();
      }
    });

    it('while the provider is down, cached keys still verify and forgeries are still 401; once the cache is stale it is 503', async (t) => {
      const provider = await startIdentityProvider({ tenantId: TENANT_A, audience: AUDIENCE });
      const { h, base } = await serverFor(provider);
      try {
        const realNow = Date.now.bind(Date);
        let offset = 0;
        t.mock.method(Date, 'now', () => realNow() + offset);
        const token = await provider.sign({ oid: USER_ID, exp: Math.floor(realNow() / 1000) + 7200 });
        assert.equal((await call(base, token)).status, 200);
        await provider.close();
        assert.equal((await call(base, token)).status, 200, 'the cached key still verifies');
        const attacker = await provider.addKey({ publish: false });
        const forged = await provider.sign({ oid: USER_ID }, { kid: provider.currentKey.kid }, attacker);
        assertUnauthenticated(await call(base, forged), forged, VALIDATION_FAILURE);

        offset += 31_000; // past the refetch cooldown: an unknown kid now sends the verifier to the provider
        const unknownKid = await provider.sign({ oid: USER_ID, exp: Math.floor(realNow() / 1000) + 7200 }, { kid: 'rotated-in-key' });
        assertServiceUnavailable(await call(base, unknownKid), unknownKid);
        assert.equal((await call(base, token)).status, 200, 'a known key still verifies');

        offset += 601_000; // the cache is stale: nothing can be verified until the provider is back
        assertServiceUnavailable(await call(base, token), token);
      } finally {
        await h.close();
      }
    });
  });
});
