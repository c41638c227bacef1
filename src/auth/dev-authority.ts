import { randomUUID } from 'node:crypto';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';
import type { SecretStore } from '../operations/ports/store.js';
import { createJwtVerifier, issuerForTenant, TENANT_PLACEHOLDER, type TokenVerifier } from './token-verifier.js';

/** The app a minted token names when the request does not (the id of Microsoft Graph Command Line Tools). */
export const DEV_APP_ID = '14d82eec-204b-4c2f-b7e8-296a70dab67e';

/** The delegated scopes a minted token gets by default, so a dev token can call every route. */
export const ALL_DELEGATED_SCOPES: readonly string[] = [
  'UserAuthenticationMethod.Read',
  'UserAuthenticationMethod.Read.All',
  'UserAuthenticationMethod.ReadWrite',
  'UserAuthenticationMethod.ReadWrite.All',
];

const GRAPH_AUDIENCE = 'https://graph.microsoft.com';
/** Graph's audience as an app id URI and as an app id; Entra issues tokens with either. */
export const GRAPH_AUDIENCES: readonly string[] = [GRAPH_AUDIENCE, '00000003-0000-0000-c000-000000000000'];

const ALGORITHM = 'ES256';
const KEY_SECRET = 'dev-signing-key';
const ISSUER = `https://login.microsoftonline.com/${TENANT_PLACEHOLDER}/v2.0`;
const DEFAULT_LIFETIME_SECONDS = 24 * 60 * 60;
const CLOCK_TOLERANCE_SECONDS = 60;

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
  lifetimeSeconds?: number;
  /** Seconds since the epoch; lets tests mint tokens of the past or the future. */
  now?: number;
}

/** The emulator's own identity provider: it mints Entra-shaped tokens and verifies only its own. */
export interface DevAuthority {
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
  const verifier = createJwtVerifier({
    keys: createLocalJWKSet({ keys: [publicJwk] }),
    algorithms: [ALGORITHM],
    audiences: GRAPH_AUDIENCES,
    issuers: [ISSUER],
    clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS,
    unknownKeyHint: UNKNOWN_KEY_HINT,
  });
  return {
    verifier,
    jwks: () => ({ keys: [structuredClone(publicJwk)] }),
    mint: (request) => mintToken(request, signingKey, publicJwk.kid),
  };
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

async function mintToken(request: MintRequest, key: CryptoKey | Uint8Array, kid: string): Promise<string> {
  if (request.tenantId === '') throw new RangeError('A token needs a tenant id.');
  const now = request.now ?? Math.floor(Date.now() / 1000);
  const lifetime = request.lifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS;
  if (!Number.isInteger(lifetime) || lifetime <= 0) throw new RangeError('lifetimeSeconds must be a positive whole number.');
  const appId = request.appId ?? DEV_APP_ID;
  return new SignJWT({ tid: request.tenantId, azp: appId, appid: appId, ver: '2.0', ...callerClaims(request) })
    .setProtectedHeader({ alg: ALGORITHM, kid, typ: 'JWT' })
    .setIssuer(issuerForTenant(ISSUER, request.tenantId))
    .setAudience(GRAPH_AUDIENCE)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + lifetime)
    .setJti(randomUUID())
    .sign(key);
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
    preferred_username: userPrincipalName,
    name: userPrincipalName,
    ...(roles.length > 0 ? { roles } : {}),
  };
}

function applicationClaims(request: MintRequest, roles: string[]): JWTPayload {
  if (request.scopes !== undefined) throw new RangeError('Scopes need a user; an application token carries roles.');
  if (roles.length === 0) throw new RangeError('An application token needs at least one role.');
  // The app's service principal; a fresh id is fine because nothing in the service reads it.
  const servicePrincipalId = randomUUID();
  return { roles, oid: servicePrincipalId, sub: servicePrincipalId, idtyp: 'app' };
}
