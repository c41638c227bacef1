import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { GraphError } from '../graph/errors.js';
import type { ApplicationPrincipal, DelegatedPrincipal, Principal } from './principal.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

/** Turns an access token into the caller it names, or rejects it with an `unauthenticated` GraphError. */
export interface TokenVerifier {
  /** The token's principal; synchronously when this token was verified a moment ago (every request checks one). */
  verify(token: string): Principal | Promise<Principal>;
  /**
   * The principal of `token` if it was verified a moment ago, else `undefined`; checks nothing and never
   * throws. A hit stands for a token already parsed and verified, so a caller may look up the text it was
   * sent before parsing it (see `authenticate.ts`).
   */
  recall(token: string): Principal | undefined;
}

/** The challenge Graph itself sends with every 401, so clients that read it are sent to the same authority. */
export const WWW_AUTHENTICATE =
  'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"';

/** Entra's multi-tenant issuers name the tenant with this placeholder; it stands for the token's own `tid`. */
export const TENANT_PLACEHOLDER = '{tenantid}';

const EMPTY_TOKEN = 'Access token is empty.';
const VALIDATION_FAILURE = 'Access token validation failure.';
const INVALID_ISSUER = 'Access token validation failure. Invalid issuer.';

/** The one way this module rejects a caller, so every 401 carries the challenge. */
export function unauthenticated(message: string): GraphError {
  return new GraphError('unauthenticated', message, { 'WWW-Authenticate': WWW_AUTHENTICATE });
}

/** The token of an `Authorization: Bearer {token}` header. */
export function bearerToken(header: string | undefined): string {
  const value = header?.trim() ?? '';
  if (value === '') throw unauthenticated(EMPTY_TOKEN);
  const match = /^Bearer(?: +(\S+))?$/i.exec(value);
  if (match === null) throw unauthenticated('The Authorization header must be "Bearer {token}".');
  const token = match[1];
  if (token === undefined) throw unauthenticated(EMPTY_TOKEN);
  return token;
}

/** The claim a user's principal name is read from unless the operator names another (see {@link JwtVerifierOptions.upnClaim}). */
export const DEFAULT_UPN_CLAIM = 'upn';

/**
 * The caller a verified token's claims describe: a user through an app (`scp`), or an app as itself
 * (`roles`). A user's principal name is read from `upnClaim` only, never from a fallback.
 */
export function principalFromClaims(claims: JWTPayload, upnClaim: string = DEFAULT_UPN_CLAIM): Principal {
  const tenantId = nonEmptyString(claims['tid']);
  if (tenantId === undefined) throw unauthenticated('The access token has no tenant (tid) claim.');
  if (claims['scp'] !== undefined) return delegatedPrincipal(claims, tenantId, upnClaim);
  const roles = claims['roles'];
  if (isStringArray(roles)) return applicationPrincipal(claims, tenantId, roles);
  throw unauthenticated('The access token carries neither delegated scopes (scp) nor application roles (roles).');
}

function delegatedPrincipal(claims: JWTPayload, tenantId: string, upnClaim: string): DelegatedPrincipal {
  const scp = claims['scp'];
  const scopes = typeof scp === 'string' ? scp.split(' ').filter((scope) => scope !== '') : [];
  if (scopes.length === 0) throw unauthenticated('The scp claim of the access token must list at least one scope.');
  const userId = nonEmptyString(claims['oid']);
  if (userId === undefined) throw unauthenticated('A delegated access token must name its user (oid).');
  return {
    kind: 'delegated',
    tenantId,
    userId,
    userPrincipalName: nonEmptyString(claims[upnClaim]),
    scopes: new Set(scopes),
    appId: callingAppId(claims),
  };
}

function applicationPrincipal(claims: JWTPayload, tenantId: string, roles: readonly string[]): ApplicationPrincipal {
  // An app token's `oid` is its service principal, not a user, so it is deliberately not read.
  const appId = callingAppId(claims);
  if (appId === undefined) throw unauthenticated('An application access token must name its app (azp or appid).');
  return { kind: 'application', tenantId, appId, roles: new Set(roles) };
}

/** v2.0 tokens name the calling app in `azp`, v1.0 tokens in `appid`. */
function callingAppId(claims: JWTPayload): string | undefined {
  return nonEmptyString(claims['azp']) ?? nonEmptyString(claims['appid']);
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** An issuer as a given tenant's tokens carry it. */
export function issuerForTenant(issuer: string, tenantId: string): string {
  return issuer.replaceAll(TENANT_PLACEHOLDER, tenantId);
}

export interface JwtVerifierOptions {
  /** Where the verification key of a token comes from (chosen by its `kid` and `alg`). */
  readonly keys: JWTVerifyGetKey;
  /** The only `alg` values accepted; whatever the token's header asks for, nothing else is tried. */
  readonly algorithms: readonly string[];
  readonly audiences: readonly string[];
  /** Exact issuers, or issuers with {@link TENANT_PLACEHOLDER} standing for the token's own verified `tid`. */
  readonly issuers: readonly string[];
  readonly clockToleranceSeconds: number;
  /**
   * The claim holding the user's principal name (default {@link DEFAULT_UPN_CLAIM}). `upn` because the
   * tenant's directory sets it and it is unique there: a name read from a token moves that name to the
   * token's user, and `/users/{userPrincipalName}` then addresses that user's operations. Microsoft says
   * never to authorize on `preferred_username` (and `unique_name`, `email` are no better): the user or
   * another tenant's admin can set them to anyone's name. Name another claim only for a provider that
   * puts its verified, unique sign-in name there.
   */
  readonly upnClaim?: string;
  /** Said after the usual message when no key this verifier holds matches the token's (a dev token of another server). */
  readonly unknownKeyHint?: string;
}

/** A verifier of signed JWT access tokens; the dev authority and a remote identity provider differ only in options. */
export function createJwtVerifier(options: JwtVerifierOptions): TokenVerifier {
  const exactIssuers = options.issuers.filter((issuer) => !issuer.includes(TENANT_PLACEHOLDER));
  const issuerTemplates = options.issuers.filter((issuer) => issuer.includes(TENANT_PLACEHOLDER));
  const verifyOptions: JWTVerifyOptions = {
    algorithms: [...options.algorithms],
    audience: [...options.audiences],
    clockTolerance: options.clockToleranceSeconds,
    // A token without `exp` would never expire.
    requiredClaims: ['iss', 'exp'],
    // jose only compares issuers exactly, so it checks them when no template needs the token's tid.
    ...(issuerTemplates.length === 0 ? { issuer: exactIssuers } : {}),
  };
  const acceptsIssuer = (issuer: string | undefined, tenantId: string): boolean =>
    issuer !== undefined &&
    (exactIssuers.includes(issuer) || issuerTemplates.some((template) => issuerForTenant(template, tenantId) === issuer));

  const upnClaim = options.upnClaim ?? DEFAULT_UPN_CLAIM;
  const verified = new VerifiedTokenCache();
  async function verifyInFull(token: string): Promise<Principal> {
      const claims = await verifiedClaims(token, options.keys, verifyOptions, options.unknownKeyHint);
      const principal = principalFromClaims(claims, upnClaim);
      // Only now is `tid` known to be signed, so only now can it choose the issuer the token must have.
      if (!acceptsIssuer(claims.iss, principal.tenantId)) throw unauthenticated(INVALID_ISSUER);
      verified.set(token, principal, claims.exp! + options.clockToleranceSeconds);
      return principal;
  }
  return { verify: (token) => verified.get(token) ?? verifyInFull(token), recall: (token) => verified.get(token) };
}

async function verifiedClaims(token: string, keys: JWTVerifyGetKey, options: JWTVerifyOptions, unknownKeyHint?: string): Promise<JWTPayload> {
  try {
    return (await jwtVerify(token, keys, options)).payload;
  } catch (error) {
    if (unknownKeyHint !== undefined && isUnknownKey(error)) throw unauthenticated(`${VALIDATION_FAILURE} ${unknownKeyHint}`);
    throw rejectionFor(error);
  }
}

/**
 * No key matches the token's `kid`: a key this verifier does not hold. (A `kid` of ours over a signature
 * that does not verify is a forgery or a tampered token, which gets no hint.)
 */
function isUnknownKey(error: unknown): boolean {
  return error instanceof errors.JWKSNoMatchingKey;
}

/** What a jose failure tells the caller: which check failed, never the token or what jose saw in it. */
function rejectionFor(error: unknown): unknown {
  if (error instanceof GraphError) return error;
  if (error instanceof errors.JWTExpired) return unauthenticated('Lifetime validation failed, the token is expired.');
  if (error instanceof errors.JWTClaimValidationFailed) return unauthenticated(claimFailureMessage(error));
  if (error instanceof errors.JOSEError) return unauthenticated(VALIDATION_FAILURE);
  return error;
}

function claimFailureMessage(error: errors.JWTClaimValidationFailed): string {
  switch (error.claim) {
    case 'nbf':
      return error.reason === 'check_failed' ? 'Lifetime validation failed, the token is not yet valid.' : VALIDATION_FAILURE;
    case 'aud':
      return 'Access token validation failure. Invalid audience.';
    case 'iss':
      return INVALID_ISSUER;
    default:
      return VALIDATION_FAILURE;
  }
}
