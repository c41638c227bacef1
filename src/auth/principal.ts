/** Who is calling, as a verified token says. */
export type Principal = DelegatedPrincipal | ApplicationPrincipal;

/** A signed-in user acting through an app (a token with `scp`). */
export interface DelegatedPrincipal {
  readonly kind: 'delegated';
  readonly tenantId: string;
  /** The user's object id (`oid`). */
  readonly userId: string;
  /**
   * From `upn` (or the claim the operator names instead, see `JwtVerifierOptions.upnClaim`); absent when
   * the token carries none. Never from `preferred_username`, `unique_name` or `email`: the user or another
   * tenant can set those, and Microsoft says not to authorize on them, yet this name addresses a user's data.
   */
  readonly userPrincipalName: string | undefined;
  readonly scopes: ReadonlySet<string>;
  /** The calling app (`azp` or `appid`), when the token names one. */
  readonly appId: string | undefined;
}

/** An app acting as itself (client credentials: a token with `roles` and no `scp`). */
export interface ApplicationPrincipal {
  readonly kind: 'application';
  readonly tenantId: string;
  readonly appId: string;
  readonly roles: ReadonlySet<string>;
}

/** The tenant of personal Microsoft accounts, which this API does not support. */
export const CONSUMER_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';
