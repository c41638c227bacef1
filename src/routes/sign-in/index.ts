import type { FastifyInstance } from 'fastify';
import type { JWK } from 'jose';
import { ENTRA_ERRORS, MALFORMED_REQUEST, METHOD_NOT_ALLOWED, SERVER_ERROR } from '../../entra/errors.js';
import { GraphError } from '../../graph/errors.js';
import { SignInError } from '../../sign-in/sign-in-error.js';
import type { SignInService } from '../../sign-in/sign-in-service.js';
import { authorizeRoutes } from './authorize.js';
import { discoveryRoutes } from './discovery.js';
import { formParameters, sendEntraError } from './replies.js';
import { tokenRoutes } from './token.js';

export interface SignInRoutesOptions {
  readonly service: SignInService;
  /** The dev signing key's public part: the tenant's `jwks_uri`. */
  readonly jwks: () => { keys: JWK[] };
}

/**
 * Entra's endpoints at this server's origin, under dev identity only (docs/sign-in.md): discovery, keys,
 * token and authorize, for every `{tenant}` (a tenant id, `common`, `organizations`). Anonymous, like
 * login.microsoftonline.com; their errors are Entra's, in Entra's envelope, never Graph's.
 */
export async function signInRoutes(app: FastifyInstance, options: SignInRoutesOptions): Promise<void> {
  // OAuth's requests are forms; only these routes read them.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, formParameters(body as string)));
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof SignInError) return sendEntraError(reply, ENTRA_ERRORS[error.kind], error.detail);
    // methodNotAllowed() answers in Graph's terms; these URLs are Entra's.
    if (error instanceof GraphError && error.kind === 'methodNotAllowed') {
      const allowed = error.headers['Allow'] ?? '';
      void reply.header('Allow', allowed);
      return sendEntraError(reply, METHOD_NOT_ALLOWED, { allowed: allowed.replaceAll(',', ''), method: request.method });
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) return sendEntraError(reply, MALFORMED_REQUEST, {});
    request.log.error({ err: error }, 'sign-in request failed');
    return sendEntraError(reply, SERVER_ERROR, {});
  });
  await app.register(discoveryRoutes, { jwks: options.jwks });
  await app.register(tokenRoutes, { service: options.service });
  await app.register(authorizeRoutes, { service: options.service });
}
