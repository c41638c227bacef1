/**
 * A tiny fake OpenID identity provider for tests, shaped like Entra ID's v2.0 endpoints:
 *
 * - `GET /{tenant}/v2.0/.well-known/openid-configuration`: `issuer` `http://127.0.0.1:{port}/{tenant}/v2.0`
 *   and `jwks_uri` (any tenant id is served, each with its own issuer and the one shared key set, as Entra
 *   serves every tenant's tokens with the same keys);
 * - `GET /discovery/v2.0/keys`: the published RS256 public keys.
 *
 * It signs Entra-shaped access tokens with the current signing key; keys can be added (published or kept
 * private, for forgeries), rotated and retired, and the key endpoint can be made to fail, to test how a
 * verifier lives through key rotation and outages. It listens on 127.0.0.1, port 0; `close()` it in `after`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTHeaderParameters, type JWTPayload } from 'jose';

export const DEFAULT_AUDIENCE = 'api://graph-lro';

/** The delegated scopes a token of {@link FakeIdentityProvider.sign} carries unless told otherwise. */
export const DEFAULT_SCOPES = 'UserAuthenticationMethod.Read UserAuthenticationMethod.ReadWrite';

export interface SigningKey {
  readonly kid: string;
  readonly alg: 'RS256';
  readonly privateKey: CryptoKey;
  /** The public JWK exactly as the key endpoint publishes it (`kty`, `n`, `e`, `kid`, `use`, `alg`). */
  readonly publicJwk: JWK;
}

/** How the key endpoint answers: normally, with HTTP 500, or with a body that is not a key set. */
export type JwksMode = 'ok' | 'error' | 'garbage';

/** Claims to merge over the Entra-shaped defaults; a claim given as `undefined` is left out of the token. */
export type ClaimOverrides = { [claim: string]: unknown };

export interface FakeIdentityProvider {
  /** `http://127.0.0.1:{port}` */
  readonly origin: string;
  /** The tenant this provider is set up for (its discovery URL and default `tid`). */
  readonly tenantId: string;
  /** The issuer of this tenant's tokens: `http://127.0.0.1:{port}/{tenant}/v2.0`. */
  readonly issuer: string;
  readonly discoveryUrl: string;
  readonly jwksUrl: string;
  readonly audience: string;
  /** The key new tokens are signed with. */
  readonly currentKey: SigningKey;
  /** The keys the key endpoint publishes now, in the order it lists them. */
  publishedKeys(): SigningKey[];
  /** How many times the key endpoint has been asked for the keys. */
  readonly jwksRequests: number;
  /** The issuer of another tenant's tokens on this provider. */
  issuerFor(tenantId: string): string;
  /**
   * Entra-shaped claims of a delegated token of this tenant (`iss`, `aud`, `tid`, `oid`, `sub`, `scp`,
   * `preferred_username`, `upn`, `azp`, `ver`, `iat`/`nbf`/`exp`, …), with `overrides` merged over them.
   * Giving `tid` without `iss` makes the issuer follow the tenant, as Entra's does.
   */
  claims(overrides?: ClaimOverrides): JWTPayload;
  /** Signs {@link claims}`(overrides)` with the current key (or `key`), with its `kid`; `header` is merged over `{alg, kid, typ}`. */
  sign(overrides?: ClaimOverrides, header?: Partial<JWTHeaderParameters>, key?: SigningKey): Promise<string>;
  /** Signs exactly `payload`, nothing added. */
  signPayload(payload: JWTPayload, header?: Partial<JWTHeaderParameters>, key?: SigningKey): Promise<string>;
  /** A new key: published unless `publish` is false (a key an attacker holds), never made current. */
  addKey(options?: { publish?: boolean }): Promise<SigningKey>;
  /**
   * Key rotation: a new key is published and signs from now on; the old one stays published (the overlap
   * every real provider keeps) unless `retireOld`.
   */
  rotate(options?: { retireOld?: boolean }): Promise<SigningKey>;
  /** Stops publishing a key (tokens it signed can no longer be verified once a verifier refetches). */
  retire(kid: string): void;
  setJwksMode(mode: JwksMode): void;
  /** Stops listening and drops every connection: the provider is down. */
  close(): Promise<void>;
}

export interface IdentityProviderOptions {
  tenantId?: string;
  audience?: string;
}

const JWKS_PATH = '/discovery/v2.0/keys';
const DISCOVERY = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/;

export async function startIdentityProvider(options: IdentityProviderOptions = {}): Promise<FakeIdentityProvider> {
  const tenantId = options.tenantId ?? randomUUID();
  const audience = options.audience ?? DEFAULT_AUDIENCE;
  let published: SigningKey[] = [];
  let current = await newKey();
  published.push(current);
  let jwksRequests = 0;
  let jwksMode: JwksMode = 'ok';

  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const json = (status: number, body: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const path = (request.url ?? '/').split('?')[0]!;
    if (request.method !== 'GET') return json(405, { error: 'method not allowed' });
    if (path === JWKS_PATH) {
      jwksRequests += 1;
      if (jwksMode === 'error') return json(500, { error: 'server_error' });
      if (jwksMode === 'garbage') {
        response.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
        return;
      }
      return json(200, { keys: published.map((key) => key.publicJwk) });
    }
    const discovery = DISCOVERY.exec(path);
    if (discovery) {
      const tenant = discovery[1]!;
      return json(200, {
        issuer: issuerFor(tenant),
        jwks_uri: `${origin}${JWKS_PATH}`,
        authorization_endpoint: `${origin}/${tenant}/oauth2/v2.0/authorize`,
        token_endpoint: `${origin}/${tenant}/oauth2/v2.0/token`,
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        subject_types_supported: ['pairwise'],
      });
    }
    return json(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  function issuerFor(tenant: string): string {
    return `${origin}/${tenant}/v2.0`;
  }

  function claims(overrides: ClaimOverrides = {}): JWTPayload {
    const now = Math.floor(Date.now() / 1000);
    const tid = typeof overrides['tid'] === 'string' ? overrides['tid'] : tenantId;
    const oid = typeof overrides['oid'] === 'string' ? overrides['oid'] : '5f7c2a1e-3b4d-4e6f-8a9b-0c1d2e3f4a5b';
    const upn = 'megan@contoso.example';
    const appId = 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c';
    const merged: Record<string, unknown> = {
      aud: audience,
      iss: issuerFor(tid),
      iat: now,
      nbf: now,
      exp: now + 3600,
      aio: 'AWQAm/8TAAAA',
      azp: appId,
      azpacr: '0',
      name: 'Megan Bowen',
      oid,
      preferred_username: upn,
      upn,
      rh: '0.AAAA.',
      scp: DEFAULT_SCOPES,
      sub: oid,
      tid,
      uti: randomUUID().replaceAll('-', ''),
      ver: '2.0',
      ...overrides,
    };
    for (const [claim, value] of Object.entries(merged)) if (value === undefined) delete merged[claim];
    return merged as JWTPayload;
  }

  function signPayload(payload: JWTPayload, header: Partial<JWTHeaderParameters> = {}, key: SigningKey = current): Promise<string> {
    return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header }).sign(key.privateKey);
  }

  return {
    origin,
    tenantId,
    issuer: issuerFor(tenantId),
    discoveryUrl: `${issuerFor(tenantId)}/.well-known/openid-configuration`,
    jwksUrl: `${origin}${JWKS_PATH}`,
    audience,
    get currentKey() {
      return current;
    },
    publishedKeys: () => [...published],
    get jwksRequests() {
      return jwksRequests;
    },
    issuerFor,
    claims,
    sign: (overrides, header, key) => signPayload(claims(overrides), header, key),
    signPayload,
    async addKey({ publish = true } = {}) {
      const key = await newKey();
      if (publish) published.push(key);
      return key;
    },
    async rotate({ retireOld = false } = {}) {
      const old = current;
      current = await newKey();
      published.push(current);
      if (retireOld) published = published.filter((key) => key.kid !== old.kid);
      return current;
    },
    retire(kid) {
      published = published.filter((key) => key.kid !== kid);
    },
    setJwksMode(mode) {
      jwksMode = mode;
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        if (!server.listening) return resolve();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID();
  // Entra publishes kty, use, kid, n, e (and x5t, x5c); `alg` is set here, as many providers do.
  const { kty, n, e } = await exportJWK(publicKey);
  return { kid, alg: 'RS256', privateKey, publicJwk: { kty, use: 'sig', kid, n, e, alg: 'RS256' } };
}
