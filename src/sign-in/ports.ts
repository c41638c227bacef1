/**
 * What the sign-in rules need from outside the domain, as they name it: tokens signed (the dev authority
 * implements it, so the access tokens of a sign-in and of `graph-lro token` come from one code path) and
 * a record that an authorization code was used (the store's, so that holds across instances).
 */

/** An access token for Microsoft Graph: a user's through an app (`user` and `scopes`) or an app's own (`roles`). */
export interface AccessTokenRequest {
  readonly tenantId: string;
  readonly appId: string;
  /** Entra's `app_displayname`. */
  readonly appDisplayName?: string;
  readonly user?: { readonly id: string; readonly userPrincipalName: string };
  readonly scopes?: readonly string[];
  readonly roles?: readonly string[];
  readonly lifetimeSeconds: number;
  /** How the app proved who it is (Entra's `appidacr`): 0 a public client, 1 a client secret. */
  readonly clientAuthentication: 0 | 1;
}

/** An OpenID Connect ID token: who signed in, for the app (`aud`), from the issuer of the discovery document. */
export interface IdTokenRequest {
  readonly issuer: string;
  readonly clientId: string;
  readonly tenantId: string;
  readonly user: { readonly id: string; readonly userPrincipalName: string };
  readonly nonce?: string;
  readonly lifetimeSeconds: number;
}

/** What a sealed grant is: a refresh token, or an authorization code. Each is accepted only as what it was sealed for. */
export type SealPurpose = 'refresh-token' | 'authorization-code';

export type Unsealed = { readonly status: 'valid'; readonly claims: Readonly<Record<string, unknown>> } | { readonly status: 'expired' | 'invalid' };

export interface TokenIssuer {
  accessToken(request: AccessTokenRequest): Promise<string>;
  idToken(request: IdTokenRequest): Promise<string>;
  /** A grant to hand out and read back later, verifiable by every instance that holds the key. */
  seal(purpose: SealPurpose, claims: Readonly<Record<string, unknown>>, lifetimeSeconds: number): Promise<string>;
  unseal(purpose: SealPurpose, token: string): Promise<Unsealed>;
}

/**
 * Remembers ids once: `true` the first time an id is claimed, `false` every time after, on every instance,
 * for as long as what the id names can be presented (`expiresAt`, seconds since the epoch, its `exp`).
 */
export interface SingleUse {
  claim(id: string, expiresAt: number): Promise<boolean>;
}
