import { createHash, randomUUID } from 'node:crypto';
import type { NamedUser, UserDirectory } from '../operations/ports/user-directory.js';
import { isGuid } from '../users/object-id.js';
import type { SingleUse, TokenIssuer, Unsealed } from './ports.js';
import { isLoopbackHostname, type Application, type Registrations } from './registrations.js';
import { checkClientCredentialsScope, grantDelegated, grantedScopeText, readScopes, type RequestedScopes } from './scopes.js';
import { verifySecret } from './secret-hash.js';
import { SignInError } from './sign-in-error.js';

/** The parameters of a request, as a form or a query string gives them (the first of a repeated name). */
export type FormParameters = Readonly<Record<string, string | undefined>>;

/** Where a request was sent: the `{tenant}` of its path, and the origin the client used (for the ID token's issuer). */
export interface Endpoint {
  readonly tenant: string;
  readonly origin: string;
}

/** What the token endpoint hands out; `entra/token-response.ts` writes it as Entra does. */
export interface TokenGrant {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly refreshToken?: string;
  readonly idToken?: string;
  readonly clientInfo?: string;
  readonly scope?: string;
}

/** A checked authorization request: everything the sign-in page carries and the code remembers. */
export interface AuthorizationRequest {
  readonly application: Application;
  readonly redirectUri: string;
  readonly responseMode: 'query' | 'fragment' | 'form_post';
  readonly state: string | undefined;
  readonly scope: string;
  readonly codeChallenge: string | undefined;
  readonly nonce: string | undefined;
}

/** Entra's access tokens live 60 to 90 minutes; one fixed hour keeps tests' expectations simple. */
export const ACCESS_TOKEN_SECONDS = 3600;
/** As long as Entra's refresh tokens of single-page apps; every other client of an emulator can sign in again. */
export const REFRESH_TOKEN_SECONDS = 24 * 3600;
/** Entra's authorization codes are good for about ten minutes. */
export const AUTHORIZATION_CODE_SECONDS = 600;
const ID_TOKEN_SECONDS = 3600;
/** `common` and `organizations` stand for the app's own tenant here: one sign-in, one tenant. */
const ANY_TENANT = new Set(['common', 'organizations']);
/** RFC 7636: a verifier and a challenge are 43 to 128 unreserved characters. */
const PKCE_VALUE = /^[A-Za-z0-9._~-]{43,128}$/;

/**
 * The rules of the emulator's identity endpoints (docs/sign-in.md): which app and user a request names,
 * whether their secrets match, which permissions a token carries, and the grants that follow. HTTP is not
 * its business (`routes/sign-in/`), nor Entra's wire format (`entra/`).
 */
export class SignInService {
  constructor(
    private readonly registrations: Registrations,
    private readonly directory: Pick<UserDirectory, 'findById' | 'findByUserPrincipalName'>,
    private readonly issuer: TokenIssuer,
    private readonly usedCodes: SingleUse,
  ) {}

  /** `POST /{tenant}/oauth2/v2.0/token`; `client` is what an `Authorization: Basic` header said, if anything. */
  async token(endpoint: Endpoint, form: FormParameters, client?: { id: string; secret: string }): Promise<TokenGrant> {
    const grantType = required(form, 'grant_type');
    const clientId = client?.id ?? required(form, 'client_id');
    const application = this.application(endpoint.tenant, clientId);
    // An empty parameter is an absent one, as every parameter here.
    const secret = client?.secret ?? (form.client_secret === '' ? undefined : form.client_secret);
    switch (grantType) {
      case 'client_credentials':
        return this.clientCredentials(endpoint, application, form, secret);
      case 'password':
        return this.password(endpoint, application, form, secret);
      case 'refresh_token':
        return this.refresh(endpoint, application, form, secret);
      case 'authorization_code':
        return this.redeemCode(endpoint, application, form, secret);
      default:
        throw new SignInError('unsupportedGrantType', { grantType });
    }
  }

  /** `GET /{tenant}/oauth2/v2.0/authorize`: an error before the app and its redirect URI are known is never redirected. */
  authorizationRequest(endpoint: Endpoint, query: FormParameters): AuthorizationRequest {
    const application = this.application(endpoint.tenant, required(query, 'client_id'));
    const redirectUri = required(query, 'redirect_uri');
    if (!redirectMatches(application, redirectUri)) throw new SignInError('redirectUriMismatch', { redirectUri, clientId: application.clientId });
    return {
      application,
      redirectUri,
      responseMode: responseMode(query.response_mode),
      state: query.state,
      scope: query.scope ?? '',
      codeChallenge: query.code_challenge,
      nonce: query.nonce,
    };
  }

  /**
   * What the authorization request asks, checked now that its answer can go to the redirect URI: a code
   * (`response_type=code`), permissions the app may have, and PKCE (S256; a public client must use it).
   */
  checkAuthorization(endpoint: Endpoint, request: AuthorizationRequest, query: FormParameters): void {
    const responseType = required(query, 'response_type');
    if (responseType !== 'code') throw new SignInError('unsupportedResponseType', { value: responseType });
    // No cookie, no session: every sign-in is the page's, so a silent one (MSAL's ssoSilent) cannot succeed.
    if (query.prompt === 'none') throw new SignInError('loginRequired');
    grantDelegated(request.application, readScopes(request.scope, endpoint.tenant));
    if (request.codeChallenge === undefined) {
      if (request.application.secretHash === null) throw new SignInError('pkceRequired');
      return;
    }
    // `plain` would send the verifier itself through the browser; S256 costs a client nothing.
    const method = query.code_challenge_method ?? 'plain';
    if (method !== 'S256') throw new SignInError('invalidChallengeMethod', { value: method });
    if (!PKCE_VALUE.test(request.codeChallenge)) throw new SignInError('invalidParameter', { parameter: 'code_challenge', value: request.codeChallenge });
  }

  /** The sign-in page's answer: the user's name and password checked, an authorization code for the redirect. */
  async signIn(endpoint: Endpoint, request: AuthorizationRequest, username: string, password: string): Promise<string> {
    const { application } = request;
    const user = await this.authenticateUser(application, username, password);
    const scopes = grantDelegated(application, readScopes(request.scope, endpoint.tenant));
    return this.issuer.seal(
      'authorization-code',
      {
        jti: randomUUID(),
        tid: application.tenantId,
        oid: user.id,
        client_id: application.clientId,
        redirect_uri: request.redirectUri,
        scp: scopes,
        requested: request.scope,
        ...(request.codeChallenge !== undefined && { code_challenge: request.codeChallenge }),
        ...(request.nonce !== undefined && { nonce: request.nonce }),
      },
      AUTHORIZATION_CODE_SECONDS,
    );
  }

  private application(tenant: string, clientId: string): Application {
    const tenantId = tenantOf(tenant);
    const application = this.registrations.application(clientId);
    if (application === undefined || (tenantId !== undefined && application.tenantId !== tenantId)) {
      throw new SignInError('unknownClient', { clientId, tenant });
    }
    return application;
  }

  private async clientCredentials(endpoint: Endpoint, application: Application, form: FormParameters, secret: string | undefined): Promise<TokenGrant> {
    checkClientCredentialsScope(required(form, 'scope'), endpoint.tenant);
    if (secret === undefined) throw new SignInError('clientSecretRequired');
    await authenticateClient(application, secret);
    const accessToken = await this.issuer.accessToken({
      tenantId: application.tenantId,
      appId: application.clientId,
      appDisplayName: application.displayName,
      roles: application.roles,
      lifetimeSeconds: ACCESS_TOKEN_SECONDS,
      clientAuthentication: 1,
    });
    return { accessToken, expiresIn: ACCESS_TOKEN_SECONDS };
  }

  private async password(endpoint: Endpoint, application: Application, form: FormParameters, secret: string | undefined): Promise<TokenGrant> {
    const requested = readScopes(required(form, 'scope'), endpoint.tenant);
    const username = required(form, 'username');
    const password = required(form, 'password');
    await authenticateClient(application, secret);
    const user = await this.authenticateUser(application, username, password);
    const scopes = grantDelegated(application, requested);
    return this.delegated(endpoint, application, user, scopes, requested, { form, secret });
  }

  private async refresh(endpoint: Endpoint, application: Application, form: FormParameters, secret: string | undefined): Promise<TokenGrant> {
    const token = required(form, 'refresh_token');
    await authenticateClient(application, secret);
    const claims = valid(await this.issuer.unseal('refresh-token', token), 'invalidGrant');
    if (claims['client_id'] !== application.clientId || claims['tid'] !== application.tenantId) throw new SignInError('invalidGrant');
    // A token a client got with its secret is redeemed with it too: whoever merely holds it is not that client.
    if (claims['confidential'] === true && secret === undefined) throw new SignInError('clientSecretRequired');
    const user = await this.user(application.tenantId, claims['oid']);
    // Asked again, against the app's registration now: a permission taken away is not refreshed.
    const requested = readScopes(form.scope ?? String(claims['requested'] ?? ''), endpoint.tenant);
    const scopes = grantDelegated(application, requested);
    return this.delegated(endpoint, application, user, scopes, requested, { form, secret, refresh: true });
  }

  private async redeemCode(endpoint: Endpoint, application: Application, form: FormParameters, secret: string | undefined): Promise<TokenGrant> {
    const code = required(form, 'code');
    await authenticateClient(application, secret);
    const claims = valid(await this.issuer.unseal('authorization-code', code), 'invalidCode');
    if (claims['client_id'] !== application.clientId || claims['tid'] !== application.tenantId) throw new SignInError('invalidCode');
    const redirectUri = required(form, 'redirect_uri');
    if (claims['redirect_uri'] !== redirectUri) throw new SignInError('redirectUriMismatch', { redirectUri, clientId: application.clientId });
    checkVerifier(claims['code_challenge'], form.code_verifier, secret !== undefined);
    // Last, so that a request refused above leaves the code usable; a code is good for one token response.
    if (!(await this.usedCodes.claim(String(claims['jti']), Number(claims['exp'])))) throw new SignInError('codeRedeemed');
    const user = await this.user(application.tenantId, claims['oid']);
    const requested = readScopes(String(claims['requested'] ?? ''), endpoint.tenant);
    const scopes = (claims['scp'] as string[] | undefined) ?? [];
    const nonce = typeof claims['nonce'] === 'string' ? claims['nonce'] : undefined;
    return this.delegated(endpoint, application, user, scopes, requested, { form, secret, nonce });
  }

  private async delegated(
    endpoint: Endpoint,
    application: Application,
    user: NamedUser,
    scopes: readonly string[],
    requested: RequestedScopes,
    options: { form: FormParameters; secret: string | undefined; nonce?: string | undefined; refresh?: boolean },
  ): Promise<TokenGrant> {
    const { tenantId, clientId } = application;
    const signedIn = { id: user.id, userPrincipalName: user.userPrincipalName };
    const accessToken = await this.issuer.accessToken({
      tenantId,
      appId: clientId,
      appDisplayName: application.displayName,
      user: signedIn,
      scopes,
      lifetimeSeconds: ACCESS_TOKEN_SECONDS,
      clientAuthentication: options.secret === undefined ? 0 : 1,
    });
    const wantsRefresh = options.refresh === true || requested.oidc.includes('offline_access');
    const refreshClaims = { tid: tenantId, oid: user.id, client_id: clientId, confidential: options.secret !== undefined, requested: scopeRequestText(requested) };
    return {
      accessToken,
      expiresIn: ACCESS_TOKEN_SECONDS,
      scope: grantedScopeText(scopes, requested),
      ...(wantsRefresh && { refreshToken: await this.issuer.seal('refresh-token', { ...refreshClaims, jti: randomUUID() }, REFRESH_TOKEN_SECONDS) }),
      ...(requested.oidc.includes('openid') && {
        idToken: await this.issuer.idToken({
          issuer: `${endpoint.origin}/${tenantId}/v2.0`,
          clientId,
          tenantId,
          user: signedIn,
          ...(options.nonce !== undefined && { nonce: options.nonce }),
          lifetimeSeconds: ID_TOKEN_SECONDS,
        }),
      }),
      // MSAL asks for it (`client_info=1`) to name the account in its cache: the user's object id and tenant.
      ...(options.form.client_info === '1' && { clientInfo: Buffer.from(JSON.stringify({ uid: user.id, utid: tenantId })).toString('base64url') }),
    };
  }

  /** The user of the app's tenant with this name and this password; unknown names and wrong passwords are told apart, as Entra does. */
  private async authenticateUser(application: Application, username: string, password: string): Promise<NamedUser> {
    const user = await this.directory.findByUserPrincipalName(application.tenantId, username);
    if (user === undefined) throw new SignInError('unknownUser', { tenant: application.tenantId });
    const hash = this.registrations.passwordHash(user.tenantId, user.id);
    if (hash === undefined || !(await verifySecret(password, hash))) throw new SignInError('invalidCredentials');
    return user;
  }

  /** The user a grant names, who must still be known and still hold a name to sign in with. */
  private async user(tenantId: string, id: unknown): Promise<NamedUser> {
    const user = typeof id === 'string' && isGuid(id) ? await this.directory.findById(tenantId, id) : undefined;
    if (user === undefined || user.userPrincipalName === null) throw new SignInError('invalidGrant');
    return user as NamedUser;
  }
}

/** A GUID, or `common` / `organizations`; `undefined` for the latter (the app's tenant). */
function tenantOf(tenant: string): string | undefined {
  if (isGuid(tenant)) return tenant.toLowerCase();
  if (ANY_TENANT.has(tenant.toLowerCase())) return undefined;
  throw new SignInError('tenantNotFound', { tenant });
}

function required(parameters: FormParameters, name: string): string {
  const value = parameters[name];
  if (value === undefined || value === '') throw new SignInError('missingParameter', { parameter: name });
  return value;
}

/**
 * A secret, when sent, must be the app's; a public client must send none. Without one, a confidential app
 * may still use the user flows, as an Entra app with public client flows allowed may.
 */
async function authenticateClient(application: Application, secret: string | undefined): Promise<void> {
  if (secret === undefined) return;
  if (application.secretHash === null) throw new SignInError('publicClientSentSecret', { clientId: application.clientId });
  if (!(await verifySecret(secret, application.secretHash))) throw new SignInError('invalidClientSecret', { clientId: application.clientId });
}

function valid(unsealed: Unsealed, invalid: 'invalidGrant' | 'invalidCode'): Readonly<Record<string, unknown>> {
  if (unsealed.status === 'valid') return unsealed.claims;
  if (unsealed.status === 'expired') throw new SignInError('expiredGrant');
  throw new SignInError(invalid, invalid === 'invalidCode' ? { parameter: 'code' } : {});
}

/**
 * PKCE (RFC 7636, S256): the verifier must hash to the code's challenge. A code issued without one is
 * redeemed only by a confidential client, with its secret.
 */
function checkVerifier(challenge: unknown, verifier: string | undefined, confidential: boolean): void {
  if (challenge === undefined) {
    if (!confidential) throw new SignInError('pkceRequired');
    return;
  }
  if (verifier === undefined || verifier === '') throw new SignInError('missingParameter', { parameter: 'code_verifier' });
  const hashed = createHash('sha256').update(verifier, 'ascii').digest('base64url');
  if (!PKCE_VALUE.test(verifier) || hashed !== challenge) throw new SignInError('pkceMismatch');
}

/** Registered redirect URIs match exactly, except that a loopback one matches on any port (RFC 8252, as Entra). */
function redirectMatches(application: Application, redirectUri: string): boolean {
  if (application.redirectUris.includes(redirectUri)) return true;
  const given = parseUrl(redirectUri);
  if (given === undefined || given.protocol !== 'http:' || !isLoopbackHostname(given.hostname)) return false;
  return application.redirectUris.some((registered) => {
    const url = parseUrl(registered);
    return url !== undefined && url.protocol === 'http:' && url.hostname === given.hostname && url.pathname === given.pathname && url.search === given.search;
  });
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function responseMode(mode: string | undefined): AuthorizationRequest['responseMode'] {
  if (mode === undefined || mode === 'query') return 'query';
  if (mode === 'fragment' || mode === 'form_post') return mode;
  throw new SignInError('invalidParameter', { parameter: 'response_mode', value: mode });
}

/** The scopes a refresh asks again when its request names none: what was first asked. */
function scopeRequestText(requested: RequestedScopes): string {
  return [...(requested.graphDefault ? ['.default'] : requested.graph), ...requested.oidc].join(' ');
}
