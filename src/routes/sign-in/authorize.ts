import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { aadstsMessage } from '../../entra/error-response.js';
import { ENTRA_ERRORS } from '../../entra/errors.js';
import { errorPage, formPostPage, pageHeaders, signInPage } from '../../entra/sign-in-page.js';
import { requestOrigin } from '../../graph/request-origin.js';
import { SignInError } from '../../sign-in/sign-in-error.js';
import type { AuthorizationRequest, Endpoint, FormParameters, SignInService } from '../../sign-in/sign-in-service.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { queryParameters, trace } from './replies.js';

const URL = '/:tenant/oauth2/v2.0/authorize';
/** The authorization request's parameters that the sign-in form carries through to its post. */
const CARRIED = ['client_id', 'response_type', 'redirect_uri', 'scope', 'state', 'nonce', 'response_mode', 'code_challenge', 'code_challenge_method', 'prompt', 'login_hint'];
/** A failed sign-in shows the form again; any other refusal goes back to the app. */
const WRONG_CREDENTIALS = new Set(['unknownUser', 'invalidCredentials']);

type TenantRequest = FastifyRequest<{ Params: { tenant: string } }>;

/**
 * The authorization code flow with PKCE (browser and desktop apps): `GET` shows a sign-in page for the
 * request, its form posts back here, and a registered user's right password sends the browser to the
 * redirect URI with a code, as Entra would (query, fragment or form_post).
 */
export async function authorizeRoutes(app: FastifyInstance, options: { service: SignInService }): Promise<void> {
  const { service } = options;
  app.get(URL, async (request: TenantRequest, reply) => {
    const parameters = queryParameters(request);
    const authorization = checked(request, reply, parameters, service);
    if (authorization === undefined) return reply;
    return showSignIn(reply, endpointOf(request), authorization, parameters, parameters.login_hint ?? '');
  });
  app.post(URL, async (request: TenantRequest, reply) => {
    const parameters = (request.body as FormParameters | undefined) ?? {};
    const authorization = checked(request, reply, parameters, service);
    if (authorization === undefined) return reply;
    const username = parameters.username ?? '';
    try {
      const code = await service.signIn(endpointOf(request), authorization, username, parameters.password ?? '');
      return answer(reply, authorization, { code, ...(authorization.state !== undefined && { state: authorization.state }) });
    } catch (error) {
      if (!(error instanceof SignInError)) throw error;
      if (WRONG_CREDENTIALS.has(error.kind)) {
        const message = aadstsMessage(ENTRA_ERRORS[error.kind], error.detail);
        return showSignIn(reply, endpointOf(request), authorization, parameters, username, message);
      }
      return answerError(request, reply, authorization, error);
    }
  });
  methodNotAllowed(app, URL, ['GET', 'POST']);
}

function endpointOf(request: TenantRequest): Endpoint {
  return { tenant: request.params.tenant, origin: requestOrigin(request) };
}

/**
 * The request checked: an unknown app or an unregistered redirect URI gets an error page (nobody to send
 * the answer to); anything else wrong goes to the redirect URI as an error. `undefined` once answered.
 */
function checked(request: TenantRequest, reply: FastifyReply, parameters: FormParameters, service: SignInService): AuthorizationRequest | undefined {
  let authorization: AuthorizationRequest;
  try {
    authorization = service.authorizationRequest(endpointOf(request), parameters);
  } catch (error) {
    if (!(error instanceof SignInError)) throw error;
    const entry = ENTRA_ERRORS[error.kind];
    void reply.code(entry.status).headers(pageHeaders(undefined)).send(errorPage(aadstsMessage(entry, error.detail)));
    return undefined;
  }
  try {
    service.checkAuthorization(endpointOf(request), authorization, parameters);
  } catch (error) {
    if (!(error instanceof SignInError)) throw error;
    void answerError(request, reply, authorization, error);
    return undefined;
  }
  return authorization;
}

function showSignIn(reply: FastifyReply, endpoint: Endpoint, authorization: AuthorizationRequest, parameters: FormParameters, username: string, error?: string) {
  const carried = Object.fromEntries(CARRIED.flatMap((name) => (parameters[name] === undefined ? [] : [[name, parameters[name]!]])));
  const page = signInPage({
    appName: authorization.application.displayName,
    tenant: endpoint.tenant,
    parameters: carried,
    username,
    ...(error !== undefined && { error }),
  });
  return reply.code(200).headers(pageHeaders(new globalThis.URL(authorization.redirectUri).origin)).send(page);
}

function answerError(request: FastifyRequest, reply: FastifyReply, authorization: AuthorizationRequest, error: SignInError) {
  const entry = ENTRA_ERRORS[error.kind];
  const { traceId, correlationId } = trace(request);
  request.log.info({ code: `AADSTS${entry.code}`, error: entry.error }, 'authorization refused');
  return answer(reply, authorization, {
    error: entry.error,
    error_description: `${aadstsMessage(entry, error.detail)} Trace ID: ${traceId} Correlation ID: ${correlationId}`,
    error_uri: `https://login.microsoftonline.com/error?code=${entry.code}`,
    ...(authorization.state !== undefined && { state: authorization.state }),
  });
}

/** The authorization response, by the request's response mode. */
function answer(reply: FastifyReply, authorization: AuthorizationRequest, fields: Record<string, string>) {
  const { redirectUri, responseMode } = authorization;
  if (responseMode === 'form_post') {
    const nonce = randomBytes(16).toString('base64url');
    return reply.code(200).headers(pageHeaders(new globalThis.URL(redirectUri).origin, nonce)).send(formPostPage(redirectUri, fields, nonce));
  }
  const target = new globalThis.URL(redirectUri);
  const encoded = new URLSearchParams(fields).toString();
  if (responseMode === 'fragment') target.hash = encoded;
  else for (const [name, value] of Object.entries(fields)) target.searchParams.append(name, value);
  return reply.code(302).header('cache-control', 'no-store').header('location', target.toString()).send();
}
