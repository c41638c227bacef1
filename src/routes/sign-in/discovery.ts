import type { FastifyInstance } from 'fastify';
import type { JWK } from 'jose';
import { openIdConfiguration } from '../../entra/discovery.js';
import { requestOrigin } from '../../graph/request-origin.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { sendJson } from './replies.js';

/** The discovery documents (v2.0, and v1.0 for clients that read only keys and issuer from it) and the keys. */
export async function discoveryRoutes(app: FastifyInstance, options: { jwks: () => { keys: JWK[] } }): Promise<void> {
  const documents = [
    { url: '/:tenant/v2.0/.well-known/openid-configuration', version: 'v2.0' },
    { url: '/:tenant/.well-known/openid-configuration', version: 'v1.0' },
  ] as const;
  for (const { url, version } of documents) {
    // From the request's origin: right on any port, and behind --trust-proxy at the address clients use.
    app.get<{ Params: { tenant: string } }>(url, async (request, reply) => sendJson(reply, openIdConfiguration(requestOrigin(request), request.params.tenant, version)));
    methodNotAllowed(app, url, ['GET']);
  }
  for (const url of ['/:tenant/discovery/v2.0/keys', '/:tenant/discovery/keys']) {
    app.get(url, async (_request, reply) => sendJson(reply, options.jwks()));
    methodNotAllowed(app, url, ['GET']);
  }
}
