import { randomUUID } from 'node:crypto';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  errors,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import type { SecretStore } from '../operations/ports/store.js';
import type { IdTokenRequest, SealPurpose, TokenIssuer, Unsealed } from '../sign-in/ports.js';
import { ALL_DELEGATED_SCOPES } from '../sign-in/registrations.js';
import { createJwtVerifier, issuerForTenant, TENANT_PLACEHOLDER, type TokenVerifier } from './token-verifier.js';

/** The app a minted token names when the request does not (the id of Microsoft Graph Command Line Tools). */
export const DEV_APP_ID = '14d82eec-204b-4c2f-b7e8-296a70dab67e';

/** The delegated scopes a minted token gets by default, so a dev token can call every route. */
export { ALL_DELEGATED_SCOPES };

const GRAPH_AUDIENCE = 'https://graph.microsoft.com';
/** Graph's audience as an app id URI and as an app id; Entra issues tokens with either. */
export const GRAPH_AUDIENCES: readonly string[] = [GRAPH_AUDIENCE, '00000003-0000-0000-c000-000000000000'];

const ALGORITHM = 'ES256';
const KEY_SECRET = 'dev-signing-key';
/**
 * The issuer of Entra's access tokens for Graph, which are v1.0 tokens whatever endpoint issued them; what
 * this authority signs. Tokens it signed before it spoke v1.0 name the v2.0 issuer, still accepted so that
 * a dev token already pasted somewhere keeps working until it expires.
 */
const ISSUER = `https://sts.windows.net/${TENANT_PLACEHOLDER}/`;
const EARLIER_ISSUER = `https://login.microsoftonline.com/${TENANT_PLACEHOLDER}/v2.0`;
/** What a sealed grant's `aud` says: never Graph's, so the API refuses one presented as an access token. */
const SEALED_AUDIENCE = 'urn:graph-lro:';
const DEFAULT_LIFETIME_SECONDS = 24 * 60 * 60;
/** How far past its `exp` a token or sealed grant is still taken: clocks of instances and clients drift. */
export const CLOCK_TOLERANCE_SECONDS = 60;

/** The usual reason a developer's token is refused: it was minted against another server's key. */
const UNKNOWN_KEY_HINT =
  "The token is signed by a key this server does not hold: dev tokens verify only on the server whose --data folder (or database) " +
  'holds the key that signed them, and a --memory server accepts only the tokens it printed or minted itself.';

type SigningJwk = JWK & { kid: string };

export interface MintRequest {
  tenantId: string;
  /** Present: a delegated token for this user. Absent: an application token. */
  user?: { id: string; userPrincipalName: string };
  /** Delegated only; defaults to {@link ALL_DELEGATED_SCOPES}. */
  scopes?: string[];
  /** Required for an application token; a delegated token carries them when given, as Entra's do. */
  roles?: string[];
  appId?: string;
  /** The app's name, as Entra's `app_displayname`. */
  appDisplayName?: string;
  /** Entra's `appidacr`: 0 a public client, 1 a client secret; default 0 for a user's token, 1 for an app's. */
  clientAuthentication?: 0 | 1;
  lifetimeSeconds?: number;
  /** Seconds since the epoch; lets tests mint tokens of the past or the future. */
  now?: number;
}

/**
 * The emulator's own identity provider: it mints Entra-shaped tokens and verifies only its own. As the
 * sign-in endpoints' {@link TokenIssuer} it signs their access tokens with {@link DevAuthority.mint}, the
 * one code path of every access token it makes, `graph-lro token`'s included.
 */
export interface DevAuthority extends TokenIssuer {
  readonly verifier: TokenVerifier;
  /** The public verification key, for clients that want to verify tokens themselves. */
  jwks(): { keys: JWK[] };
  mint(request: MintRequest): Promise<string>;
}

/**
 * Opens the authority whose key is kept in `secrets` (the store's), so tokens outlive restarts and every
 * instance on one database signs and verifies with the same key; without a secret store the key lives in
 * memory, for this process only.
 */
export async function openDevAuthority(options: { secrets: SecretStore | undefined }): Promise<DevAuthority> {
  const privateJwk = options.secrets === undefined ? await generateSigningJwk() : await sharedSigningJwk(options.secrets);
  const publicJwk = publicPart(privateJwk);
  const signingKey = await importJWK(privateJwk, ALGORITHM);
  const keys = createLocalJWKSet({ keys: [publicJwk] });
  const verifier = createJwtVerifier({
    keys,
    algorithms: [ALGORITHM],
    audiences: GRAPH_AUDIENCES,
    issuers: [ISSUER, EARLIER_ISSUER],
    clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS,
    unknownKeyHint: UNKNOWN_KEY_HINT,
  });
  const signer = { key: signingKey, kid: publicJwk.kid };
  const mint = (request: MintRequest) => mintToken(request, signer);
  return {
    verifier,
    jwks: () => ({ keys: [structuredClone(publicJwk)] }),
    mint,
    accessToken: ({ user, ...request }) => mint({ ...request, ...(user && { user }), scopes: request.scopes && [...request.scopes], roles: request.roles && [...request.roles] }),
    idToken: (request) => mintIdToken(request, signer),
    seal: (purpose, claims, lifetimeSeconds) => seal(purpose, claims, lifetimeSeconds, signer),
    unseal: (purpose, token) => unseal(purpose, token, keys),
  };
}

interface Signer {
  readonly key: CryptoKey | Uint8Array;
  readonly kid: string;
}

function signed(claims: JWTPayload, signer: Signer, now: number, lifetimeSeconds: number): SignJWT {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: ALGORITHM, kid: signer.kid, typ: 'JWT' })
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + lifetimeSeconds);
}

/** An OpenID Connect ID token, shaped like Entra's v2.0 ones; the app reads who signed in, nothing here reads it back. */
function mintIdToken(request: IdTokenRequest, signer: Signer): Promise<string> {
  const { user } = request;
  return signed(
    {
      tid: request.tenantId,
      oid: user.id,
      sub: user.id,
      name: user.userPrincipalName,
      preferred_username: user.userPrincipalName,
      ver: '2.0',
      ...(request.nonce !== undefined && { nonce: request.nonce }),
    },
    signer,
    nowSeconds(),
    request.lifetimeSeconds,
  )
    .setIssuer(request.issuer)
    .setAudience(request.clientId)
    .sign(signer.key);
}

/** A refresh token or an authorization code: claims signed for one purpose, which the API (audience Graph) never takes. */
function seal(purpose: SealPurpose, claims: Readonly<Record<string, unknown>>, lifetimeSeconds: number, signer: Signer): Promise<string> {
  return signed({ ...claims }, signer, nowSeconds(), lifetimeSeconds).setAudience(`${SEALED_AUDIENCE}${purpose}`).sign(signer.key);
}

async function unseal(purpose: SealPurpose, token: string, keys: JWTVerifyGetKey): Promise<Unsealed> {
  try {
    const { payload } = await jwtVerify(token, keys, {
      algorithms: [ALGORITHM],
      audience: `${SEALED_AUDIENCE}${purpose}`,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['exp'],
    });
    return { status: 'valid', claims: payload };
  } catch (error) {
    if (error instanceof errors.JWTExpired) return { status: 'expired' };
    if (error instanceof errors.JOSEError) return { status: 'invalid' };
    throw error;
  }
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

async function generateSigningJwk(): Promise<SigningJwk> {
  const { privateKey } = await generateKeyPair(ALGORITHM, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: ALGORITHM, use: 'sig' };
}

/** Copies the public members by name, so a private member can never slip into what is published. */
function publicPart(jwk: SigningJwk): SigningJwk {
  const { kty, crv, x, y, kid, alg, use } = jwk;
  return { kty, crv, x, y, kid, alg, use };
}

/** The key every process on this store uses: the first one to start makes it, the others take it. */
async function sharedSigningJwk(secrets: SecretStore): Promise<SigningJwk> {
  const candidate = await generateSigningJwk();
  const stored = parseJson(await secrets.putIfAbsent(KEY_SECRET, JSON.stringify(candidate)));
  if (!isSigningJwk(stored)) {
    throw new Error(`The stored secret '${KEY_SECRET}' is not an ES256 private JWK with a kid; delete it to have a new key made.`);
  }
  return stored;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isSigningJwk(value: unknown): value is SigningJwk {
  if (typeof value !== 'object' || value === null) return false;
  const jwk = value as Record<string, unknown>;
  const stringMembers = ['x', 'y', 'd', 'kid'].every((member) => typeof jwk[member] === 'string' && jwk[member] !== '');
  return stringMembers && jwk['kty'] === 'EC' && jwk['crv'] === 'P-256' && jwk['alg'] === ALGORITHM;
}

/**
 * An access token for Graph as Entra issues them, a v1.0 token whichever endpoint was asked: `iss`
 * `https://sts.windows.net/{tid}/`, `appid` and `appidacr` (no `azp`), `uti` for its id, `idtyp`, and the
 * caller's `scp` or `roles`.
 */
async function mintToken(request: MintRequest, signer: Signer): Promise<string> {
  if (request.tenantId === '') throw new RangeError('A token needs a tenant id.');
  const now = request.now ?? nowSeconds();
  const lifetime = request.lifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS;
  if (!Number.isInteger(lifetime) || lifetime <= 0) throw new RangeError('lifetimeSeconds must be a positive whole number.');
  const appId = request.appId ?? DEV_APP_ID;
  const claims: JWTPayload = {
    tid: request.tenantId,
    appid: appId,
    appidacr: String(request.clientAuthentication ?? (request.user === undefined ? 1 : 0)),
    ...(request.appDisplayName !== undefined && { app_displayname: request.appDisplayName }),
    ver: '1.0',
    uti: randomUUID(),
    ...callerClaims(request),
  };
  return signed(claims, signer, now, lifetime)
    .setIssuer(issuerForTenant(ISSUER, request.tenantId))
    .setAudience(GRAPH_AUDIENCE)
    .sign(signer.key);
}

function callerClaims(request: MintRequest): JWTPayload {
  const roles = request.roles ?? [];
  if (request.user === undefined) return applicationClaims(request, roles);
  const scopes = request.scopes ?? ALL_DELEGATED_SCOPES;
  if (scopes.length === 0) throw new RangeError('A delegated token needs at least one scope.');
  const { id, userPrincipalName } = request.user;
  return {
    scp: scopes.join(' '),
    oid: id,
    sub: id,
    upn: userPrincipalName,
    unique_name: userPrincipalName,
    name: userPrincipalName,
    amr: ['pwd'],
    idtyp: 'user',
    ...(roles.length > 0 ? { roles } : {}),
  };
}

function applicationClaims(request: MintRequest, roles: string[]): JWTPayload {
  if (request.scopes !== undefined) throw new RangeError('Scopes need a user; an application token carries roles.');
  // An app granted nothing still gets a token, as from Entra, and the API answers it 403; but a token that
  // names neither a user nor roles is a mistake of the caller's.
  if (request.roles === undefined) throw new RangeError('An application token needs its roles (an empty list: an app granted nothing).');
  // The app's service principal; a fresh id is fine because nothing in the service reads it.
  const servicePrincipalId = randomUUID();
  return { roles, oid: servicePrincipalId, sub: servicePrincipalId, idtyp: 'app' };
}
