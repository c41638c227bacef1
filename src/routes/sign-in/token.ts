import type { FastifyInstance, FastifyRequest } from 'fastify';
import { tokenResponse } from '../../entra/token-response.js';
import { requestOrigin } from '../../graph/request-origin.js';
import { SignInError } from '../../sign-in/sign-in-error.js';
import type { FormParameters, SignInService } from '../../sign-in/sign-in-service.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { sendJson } from './replies.js';

const URL = '/:tenant/oauth2/v2.0/token';

/** `POST /{tenant}/oauth2/v2.0/token`: a form in, Entra's token response (or error) out. */
export async function tokenRoutes(app: FastifyInstance, options: { service: SignInService }): Promise<void> {
  app.post<{ Params: { tenant: string } }>(URL, async (request, reply) => {
    const form = request.body as FormParameters | undefined;
    if (form === undefined || request.headers['content-type']?.split(';')[0]?.trim().toLowerCase() !== 'application/x-www-form-urlencoded') {
      throw new SignInError('missingParameter', { parameter: 'grant_type' });
    }
    const endpoint = { tenant: request.params.tenant, origin: requestOrigin(request) };
    return sendJson(reply, tokenResponse(await options.service.token(endpoint, form, basicCredentials(request))));
  });
  methodNotAllowed(app, URL, ['POST']);
}

/** `client_secret_basic` (RFC 6749 2.3.1): the client id and secret, each form-encoded, in an `Authorization: Basic` header. */
function basicCredentials(request: FastifyRequest): { id: string; secret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(request.headers.authorization ?? '');
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const decode = (text: string) => decodeURIComponent(text.replace(/\+/g, ' '));
  try {
    return { id: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}
