import type { SignInErrorDetail, SignInErrorKind } from '../sign-in/sign-in-error.js';

/**
 * Entra's error catalogue: each refusal of the sign-in rules as the token and authorization endpoints of
 * login.microsoftonline.com answer it — HTTP status, OAuth 2.0 `error`, AADSTS number and description
 * (wording from Entra's answers and its error-code reference). A separate catalogue from Graph's
 * (`graph/errors.ts`): another service, another envelope.
 */
interface EntraErrorEntry {
  readonly status: number;
  readonly error: string;
  readonly code: number;
  readonly description: (detail: SignInErrorDetail) => string;
}

const NOT_INSTALLED =
  'This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. ' +
  'You may have sent your authentication request to the wrong tenant.';

export const ENTRA_ERRORS = {
  missingParameter: { status: 400, error: 'invalid_request', code: 900144, description: (d) => `The request body must contain the following parameter: '${d.parameter}'.` },
  invalidParameter: {
    status: 400,
    error: 'invalid_request',
    code: 90100,
    description: (d) => `The value '${d.value}' of the parameter '${d.parameter}' is not valid.`,
  },
  tenantNotFound: {
    status: 400,
    error: 'invalid_request',
    code: 90002,
    description: (d) => `Tenant '${d.tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
  },
  unknownClient: {
    status: 400,
    error: 'unauthorized_client',
    code: 700016,
    description: (d) => `Application with identifier '${d.clientId}' was not found in the directory '${d.tenant}'. ${NOT_INSTALLED}`,
  },
  invalidClientSecret: {
    status: 401,
    error: 'invalid_client',
    code: 7000215,
    description: (d) =>
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${d.clientId}'.`,
  },
  clientSecretRequired: {
    status: 401,
    error: 'invalid_client',
    code: 7000218,
    description: () => "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
  },
  publicClientSentSecret: {
    status: 401,
    error: 'invalid_client',
    code: 700025,
    description: () => "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
  },
  unknownUser: {
    status: 400,
    error: 'invalid_grant',
    code: 50034,
    description: (d) => `The user account {EUII Hidden} does not exist in the ${d.tenant} directory. To sign into this application, the account must be added to the directory.`,
  },
  invalidCredentials: { status: 400, error: 'invalid_grant', code: 50126, description: () => 'Error validating credentials due to invalid username or password.' },
  unsupportedGrantType: {
    status: 400,
    error: 'unsupported_grant_type',
    code: 70003,
    description: (d) => `The app requested an unsupported grant type '${d.grantType}'.`,
  },
  invalidScope: {
    status: 400,
    error: 'invalid_scope',
    code: 70011,
    description: (d) => `The provided value for the input parameter 'scope' is not valid. The scope ${d.scope} is not valid.`,
  },
  clientCredentialsScope: {
    status: 400,
    error: 'invalid_scope',
    code: 1002012,
    description: (d) =>
      `The provided value for scope ${d.scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
  },
  resourceNotFound: {
    status: 400,
    error: 'invalid_resource',
    code: 500011,
    description: (d) => `The resource principal named ${d.resource} was not found in the tenant named ${d.tenant}. ${NOT_INSTALLED}`,
  },
  consentRequired: {
    status: 400,
    error: 'invalid_grant',
    code: 65001,
    description: (d) =>
      `The user or administrator has not consented to use the application with ID '${d.clientId}' named '${d.appName}'. Send an interactive authorization request for this user and resource.`,
  },
  invalidGrant: { status: 400, error: 'invalid_grant', code: 9002313, description: () => 'Invalid request. Request is malformed or invalid.' },
  invalidCode: { status: 400, error: 'invalid_grant', code: 70000, description: () => "The provided value for the 'code' parameter is not valid." },
  expiredGrant: {
    status: 400,
    error: 'invalid_grant',
    code: 70008,
    description: () => 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
  },
  codeRedeemed: {
    status: 400,
    error: 'invalid_grant',
    code: 54005,
    description: () => 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
  },
  pkceMismatch: {
    status: 400,
    error: 'invalid_grant',
    code: 501481,
    description: () => 'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
  },
  pkceRequired: {
    status: 400,
    error: 'invalid_request',
    code: 9002325,
    description: () => 'Proof Key for Code Exchange is required for cross-origin authorization code redemption.',
  },
  invalidChallengeMethod: { status: 400, error: 'invalid_request', code: 50149, description: () => 'Invalid Code_Challenge_method parameter.' },
  redirectUriMismatch: {
    status: 400,
    error: 'invalid_request',
    code: 50011,
    description: (d) =>
      `The redirect URI '${d.redirectUri}' specified in the request does not match the redirect URIs configured for the application '${d.clientId}'. ` +
      'Make sure the redirect URI sent in the request matches one added to your application.',
  },
  unsupportedResponseType: {
    status: 400,
    error: 'unsupported_response_type',
    code: 700054,
    description: (d) => `response_type '${d.value}' is not enabled for the application.`,
  },
  loginRequired: {
    status: 400,
    error: 'login_required',
    code: 50058,
    description: () => 'A silent sign-in request was sent but no user is signed in.',
  },
} as const satisfies Record<SignInErrorKind, EntraErrorEntry>;

/** A failure of no sign-in rule (a body that is not a form, an internal error), in the same envelope. */
export const MALFORMED_REQUEST: EntraErrorEntry = {
  status: 400,
  error: 'invalid_request',
  code: 90100,
  description: () => 'The request body must be application/x-www-form-urlencoded.',
};
/** A method the endpoint does not serve: Entra answers it as a bad request, naming what it takes. */
export const METHOD_NOT_ALLOWED: EntraErrorEntry = {
  status: 400,
  error: 'invalid_request',
  code: 900561,
  description: (d) => `The endpoint only accepts ${d.allowed} requests. Received a ${d.method} request.`,
};
export const SERVER_ERROR: EntraErrorEntry = {
  status: 500,
  error: 'server_error',
  code: 90033,
  description: () => 'A transient error has occurred. Please try again.',
};

export type { EntraErrorEntry };
