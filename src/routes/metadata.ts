import type { FastifyInstance } from 'fastify';
import { requestOrigin } from '../graph/request-origin.js';
import { csdlDocument } from '../graph/csdl.js';
import { openApiDocument } from '../graph/openapi.js';
import { methodNotAllowed } from './method-not-allowed.js';

export interface MetadataRoutesOptions {
  readonly version: 'v1.0' | 'beta';
}

const XML = 'application/xml;charset=utf-8';
const JSON_TYPE = 'application/json;charset=utf-8';

/**
 * `/{version}/$metadata` (CSDL XML) and `/{version}/openapi.json`, anonymous as Graph's `$metadata` is:
 * register this plugin outside the authenticated scope, with the prefix `/${version}`.
 * `$format` and `Accept` are not consulted: the metadata is answered as XML only.
 */
export async function metadataRoutes(app: FastifyInstance, options: MetadataRoutesOptions): Promise<void> {
  const { version } = options;

  app.get('/$metadata', async (_request, reply) => reply.type(XML).send(csdlDocument()));

  app.get('/openapi.json', async (request, reply) => {
    const document = openApiDocument(version, `${requestOrigin(request)}/${version}`);
    // Serialized here, so that the OData JSON media type given to entity payloads is not applied to it.
    return reply.type(JSON_TYPE).send(JSON.stringify(document));
  });

  methodNotAllowed(app, '/$metadata', ['GET']);
  methodNotAllowed(app, '/openapi.json', ['GET']);
}
