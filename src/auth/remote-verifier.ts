import { createRemoteJWKSet, customFetch, errors, type JWTVerifyGetKey } from 'jose';
import { GraphError } from '../graph/errors.js';
import { createJwtVerifier, DEFAULT_UPN_CLAIM, type TokenVerifier } from './token-verifier.js';

export interface RemoteVerifierOptions {
  /** Accepted `iss` values; `{tenantid}` stands for the token's own `tid`. Empty: the discovery document's issuer. */
  issuers: string[];
  audiences: string[];
  /** Overrides the discovery document's `jwks_uri`. */
  jwksUrl?: string;
  /** An OIDC `/.well-known/openid-configuration` URL, read once at creation. */
  discoveryUrl?: string;
  algorithms?: string[];
  clockToleranceSeconds?: number;
  /**
   * The claim holding the user's principal name; default `upn`, the one the tenant's directory sets and
   * keeps unique. Not `preferred_username`, `unique_name` or `email`, which users or other tenants can set
   * to anyone's name: the name read here addresses that user's operations (`/users/{userPrincipalName}`).
   */
  upnClaim?: string;
  fetch?: typeof fetch;
}

/** Every asymmetric JWS algorithm: a JWKS publishes public keys, so `none` and HS* can never be right. */
const DEFAULT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];
const DEFAULT_CLOCK_TOLERANCE_SECONDS = 60;
const DISCOVERY_TIMEOUT_MS = 10_000;

/** Verifies tokens of a real identity provider. Fails (a plain Error, for the CLI to print) when misconfigured. */
export async function createRemoteVerifier(options: RemoteVerifierOptions): Promise<TokenVerifier> {
  const fetchImplementation = options.fetch ?? fetch;
  const discovery = options.discoveryUrl === undefined ? undefined : await discover(options.discoveryUrl, fetchImplementation);
  const jwksUrl = options.jwksUrl ?? discovery?.jwksUri;
  if (jwksUrl === undefined) throw new Error('The token verifier needs a JWKS URL or an OpenID discovery URL.');
  const issuers = options.issuers.length > 0 ? options.issuers : discovery?.issuer === undefined ? [] : [discovery.issuer];
  if (issuers.length === 0) throw new Error('The token verifier needs at least one accepted issuer.');
  if (options.audiences.length === 0) throw new Error('The token verifier needs at least one accepted audience.');
  const clockToleranceSeconds = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  if (!(clockToleranceSeconds >= 0 && Number.isFinite(clockToleranceSeconds))) {
    throw new Error('The clock tolerance must be a non-negative number of seconds.');
  }
  return createJwtVerifier({
    keys: remoteKeys(parseUrl(jwksUrl, 'JWKS URL'), options.fetch),
    algorithms: checkedAlgorithms(options.algorithms ?? DEFAULT_ALGORITHMS),
    audiences: options.audiences,
    issuers,
    clockToleranceSeconds,
    upnClaim: checkedUpnClaim(options.upnClaim ?? DEFAULT_UPN_CLAIM),
  });
}

/** A blank name, or one with spaces around it, would match no claim: every user would go without a UPN, silently. */
function checkedUpnClaim(claim: string): string {
  if (claim === '' || claim.trim() !== claim) throw new Error(`The UPN claim must be a claim name, such as upn: ${JSON.stringify(claim)}.`);
  return claim;
}

function checkedAlgorithms(algorithms: string[]): string[] {
  const unsafe = algorithms.filter((algorithm) => algorithm.toLowerCase() === 'none' || /^HS/i.test(algorithm));
  if (unsafe.length > 0) throw new Error(`These token algorithms cannot be verified with public keys: ${unsafe.join(', ')}.`);
  if (algorithms.length === 0) throw new Error('The token verifier needs at least one accepted algorithm.');
  return algorithms;
}

/**
 * jose's remote key set caches the keys and refetches them when a token names an unknown kid, which is how a
 * provider's key rotation reaches us, but at most once per cooldown, so forged kids cannot make us hammer the
 * provider. Within a cooldown an unknown kid may be a key published a moment ago: such a token waits out the
 * (short) cooldown and is checked once more, so a good token is never answered 401 just for being early.
 */
const KEY_REFETCH_COOLDOWN_MS = 1_000;

function remoteKeys(url: URL, fetchImplementation: typeof fetch | undefined): JWTVerifyGetKey {
  let fetches = 0; // how often the key set was fetched: tells whether a failed lookup already saw fresh keys
  const keySet = createRemoteJWKSet(url, {
    cooldownDuration: KEY_REFETCH_COOLDOWN_MS,
    [customFetch]: (input: string, init: RequestInit) => {
      fetches++;
      return (fetchImplementation ?? fetch)(input, init);
    },
  });
  const keyFor: JWTVerifyGetKey = async (header, token) => {
    const seen = fetches;
    try {
      return await keySet(header, token);
    } catch (error) {
      // Unknown to keys fetched before this token arrived, and refetching is cooling down: wait it out once.
      if (error instanceof errors.JWKSNoMatchingKey && keySet.coolingDown && fetches === seen) {
        await new Promise((resolve) => setTimeout(resolve, KEY_REFETCH_COOLDOWN_MS));
        return keySet(header, token);
      }
      throw error;
    }
  };
  return async (header, token) => {
    try {
      return await keyFor(header, token);
    } catch (error) {
      if (isAboutTheToken(error)) throw error;
      // The keys could not be had, so the token may well be good: a 401 would tell its client to drop it.
      throw unavailable("The identity provider's signing keys could not be retrieved.", error);
    }
  };
}

function unavailable(message: string, cause: unknown): GraphError {
  const error = new GraphError('serviceUnavailable', message, { 'Retry-After': '5' });
  error.cause = cause;
  return error;
}

function isAboutTheToken(error: unknown): boolean {
  return (
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWKSMultipleMatchingKeys ||
    error instanceof errors.JOSENotSupported
  );
}

interface Discovery {
  readonly jwksUri: string;
  readonly issuer: string | undefined;
}

async function discover(discoveryUrl: string, fetchImplementation: typeof fetch): Promise<Discovery> {
  const url = parseUrl(discoveryUrl, 'OpenID discovery URL');
  const document = await fetchJson(url, fetchImplementation);
  const jwksUri = document['jwks_uri'];
  if (typeof jwksUri !== 'string' || jwksUri === '') {
    throw new Error(`The OpenID configuration at ${url.href} has no jwks_uri.`);
  }
  const issuer = document['issuer'];
  return { jwksUri, issuer: typeof issuer === 'string' && issuer !== '' ? issuer : undefined };
}

async function fetchJson(url: URL, fetchImplementation: typeof fetch): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await fetchImplementation(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
    });
  } catch (error) {
    throw new Error(`Could not fetch the OpenID configuration at ${url.href}: ${failureReason(error)}`, { cause: error });
  }
  if (!response.ok) throw new Error(`Could not fetch the OpenID configuration at ${url.href}: HTTP ${response.status}.`);
  const document: unknown = await response.json().catch(() => undefined);
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new Error(`The OpenID configuration at ${url.href} is not a JSON object.`);
  }
  return document as Record<string, unknown>;
}

/** fetch() says only "fetch failed"; the reason (refused, DNS, TLS) is in its cause. */
function failureReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? error.cause.message : error.message;
}

function parseUrl(value: string, what: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new Error(`The ${what} is not a valid URL: ${value}`);
  }
}
