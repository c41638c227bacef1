import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
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
const KEY_FILE = 'dev-signing-key.json';
const ISSUER = `https://login.microsoftonline.com/${TENANT_PLACEHOLDER}/v2.0`;
const DEFAULT_LIFETIME_SECONDS = 24 * 60 * 60;
const CLOCK_TOLERANCE_SECONDS = 60;

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

/** Opens the authority whose key lives in `dataDir`, so tokens outlive restarts; without a dir the key lives in memory. */
export async function openDevAuthority(options: { dataDir: string | undefined }): Promise<DevAuthority> {
  const privateJwk = options.dataDir === undefined ? await generateSigningJwk() : await loadOrCreateSigningJwk(options.dataDir);
  const publicJwk = publicPart(privateJwk);
  const signingKey = await importJWK(privateJwk, ALGORITHM);
  const verifier = createJwtVerifier({
    keys: createLocalJWKSet({ keys: [publicJwk] }),
    algorithms: [ALGORITHM],
    audiences: GRAPH_AUDIENCES,
    issuers: [ISSUER],
    clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS,
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

async function loadOrCreateSigningJwk(dataDir: string): Promise<SigningJwk> {
  const file = path.join(dataDir, KEY_FILE);
  const existing = await readSigningJwk(file);
  if (existing !== undefined) return existing;
  await mkdir(dataDir, { recursive: true });
  const created = await generateSigningJwk();
  if (await publishExclusively(file, `${JSON.stringify(created, null, 2)}\n`)) return created;
  // Another process published its key first; everyone must sign with that one.
  const winner = await readSigningJwk(file);
  if (winner === undefined) throw new Error(`${file} vanished while the dev signing key was being created.`);
  return winner;
}

/**
 * Writes `text` to `file` only if no file is there, and atomically: the content is complete in a private
 * temporary file before a hard link gives it its name, so a concurrent reader never sees half a key.
 * Returns false when another writer got there first.
 */
async function publishExclusively(file: string, text: string): Promise<boolean> {
  const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(temporary, text, { flag: 'wx', mode: 0o600 });
  try {
    await link(temporary, file);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temporary);
  }
}

async function readSigningJwk(file: string): Promise<SigningJwk | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  const jwk = parseJson(text);
  if (!isSigningJwk(jwk)) throw new Error(`${file} is not an ES256 private JWK with a kid; delete it to have a new key made.`);
  return jwk;
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

function errorCode(error: unknown): unknown {
  return (error as NodeJS.ErrnoException | undefined)?.code;
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
