/**
 * Why a sign-in was refused, in the sign-in rules' own terms: a kind and the values that explain it. No
 * status, no OAuth error code and no AADSTS number: `entra/errors.ts` holds Entra's catalogue and maps each
 * kind to its entry, as `graph/errors.ts` does for Graph's. Never a secret or a password among the values.
 */
export type SignInErrorKind =
  /** A required parameter is absent (`parameter`). */
  | 'missingParameter'
  /** A parameter has a value the protocol does not allow (`parameter`, `value`). */
  | 'invalidParameter'
  /** The path names a tenant that is neither a GUID nor `common`/`organizations` (`tenant`). */
  | 'tenantNotFound'
  /** No app with this client id in the tenant (`clientId`, `tenant`). */
  | 'unknownClient'
  /** A client secret that is not the app's (`clientId`). */
  | 'invalidClientSecret'
  /** The grant needs the app's secret and the request has none (client credentials). */
  | 'clientSecretRequired'
  /** The app has no secret, and the request sent one (`clientId`). */
  | 'publicClientSentSecret'
  /** No user with this name in the tenant (`tenant`). */
  | 'unknownUser'
  /** The user has no password here, or not this one. */
  | 'invalidCredentials'
  /** A grant type this server does not serve (`grantType`). */
  | 'unsupportedGrantType'
  /** A scope this server does not know the shape of (`scope`). */
  | 'invalidScope'
  /** Client credentials asked for something else than `{resource}/.default` (`scope`). */
  | 'clientCredentialsScope'
  /** A scope of a resource other than Microsoft Graph (`resource`, `tenant`). */
  | 'resourceNotFound'
  /** A delegated scope the app was not granted (`clientId`, `appName`). */
  | 'consentRequired'
  /** A refresh token or code that is not one of ours, or not for this app. */
  | 'invalidGrant'
  /** An authorization code this server did not issue or that was not for this app (`parameter`). */
  | 'invalidCode'
  /** An authorization code or refresh token past its lifetime. */
  | 'expiredGrant'
  /** An authorization code presented a second time. */
  | 'codeRedeemed'
  /** The code verifier does not hash to the authorization request's challenge. */
  | 'pkceMismatch'
  /** A public client's authorization request without a code challenge. */
  | 'pkceRequired'
  /** A code challenge method other than S256 (`value`). */
  | 'invalidChallengeMethod'
  /** A redirect URI the app did not register (`redirectUri`, `clientId`). */
  | 'redirectUriMismatch'
  /** An authorization response type other than `code` (`value`). */
  | 'unsupportedResponseType'
  /** `prompt=none`: a silent sign-in, and the emulator keeps no sign-in session to answer it from. */
  | 'loginRequired';

export type SignInErrorDetail = Readonly<Record<string, string>>;

export class SignInError extends Error {
  override readonly name = 'SignInError';

  constructor(
    readonly kind: SignInErrorKind,
    readonly detail: SignInErrorDetail = {},
  ) {
    super(`${kind}${Object.keys(detail).length > 0 ? ` ${JSON.stringify(detail)}` : ''}`);
  }
}
