import type { FastifyInstance, FastifyReply, FastifyRequest, LightMyRequestResponse } from 'fastify';
import { readBatch, type BatchRequest } from '../graph/batch.js';
import { errorBody } from '../graph/error-envelope.js';
import { GraphError } from '../graph/errors.js';
import type { ApiVersion } from '../graph/odata-context.js';
import { originHeader, requestOrigin } from '../graph/request-origin.js';
import { GRAPH_JSON } from '../graph/response-headers.js';
import { methodNotAllowed } from './method-not-allowed.js';

export interface BatchRoutesOptions {
  readonly version: ApiVersion;
  /** The largest batch body: a batch carries up to 20 requests' bodies. */
  readonly bodyLimit: number;
}

interface BatchResponse {
  readonly id: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body?: unknown;
}

/** Headers that describe one HTTP message on the wire, not the response inside a batch. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date']);

/**
 * `POST /{version}/$batch`: JSON batching. Each request runs through the whole pipeline (`inject`), with the
 * batch's own token, so it is authorized and answered exactly as if it had been sent alone. Requests run
 * in order; one whose `dependsOn` names a failed request is answered `424` without running.
 */
export async function batchRoutes(app: FastifyInstance, options: BatchRoutesOptions): Promise<void> {
  app.post('/$batch', { bodyLimit: options.bodyLimit }, async (request, reply) => {
    const statuses = new Map<string, number>();
    const responses: BatchResponse[] = [];
    for (const entry of readBatch(request.body)) {
      const response = await answer(app, options.version, request, reply, entry, statuses);
      statuses.set(entry.id.toLowerCase(), response.status);
      responses.push(response);
    }
    return reply.send({ responses });
  });
  methodNotAllowed(app, '/$batch', ['POST']);
}

async function answer(
  app: FastifyInstance,
  version: ApiVersion,
  request: FastifyRequest,
  reply: FastifyReply,
  entry: BatchRequest,
  statuses: ReadonlyMap<string, number>,
): Promise<BatchResponse> {
  const failed = entry.dependsOn.find((id) => (statuses.get(id.toLowerCase()) ?? 0) >= 400);
  if (failed !== undefined) {
    return refused(entry, reply, new GraphError('failedDependency', `The request '${entry.id}' depends on '${failed}', which failed.`));
  }
  const headers = Object.fromEntries(Object.entries(entry.headers).map(([name, value]) => [name.toLowerCase(), value]));
  if (entry.body !== undefined && headers['content-type'] === undefined) {
    return refused(entry, reply, new GraphError('badRequest', 'A batch request with a body must have a Content-Type header.'));
  }
  const url = innerUrl(version, entry.url);
  if (url instanceof GraphError) return refused(entry, reply, url);
  const payload = innerPayload(entry.body);
  if (payload instanceof GraphError) return refused(entry, reply, payload);
  const response = await app.inject({
    method: entry.method as 'GET',
    url,
    headers: { ...headers, authorization: request.headers.authorization ?? '', ...originHeader(requestOrigin(request)) },
    payload,
  });
  return { id: entry.id, status: response.statusCode, headers: responseHeaders(response), ...responseBody(response) };
}

/**
 * The request's URL under this version, resolved as the server would resolve it (dot segments, percent-encoded
 * dots, fragments) and only then checked: it must stay under the version root and must not be `$batch`.
 */
function innerUrl(version: ApiVersion, url: string): string | GraphError {
  let resolved: URL;
  try {
    resolved = new URL(`http://batch/${version}${url}`);
  } catch {
    return new GraphError('badRequest', 'The request URL is not valid.');
  }
  const path = resolved.pathname;
  if (!path.toLowerCase().startsWith(`/${version}/`)) {
    return new GraphError('badRequest', `A batch request URL must stay under /${version}.`);
  }
  if (/^\/\$batch\/?$/i.test(decodeURIComponentSafe(path.slice(version.length + 1)))) {
    return new GraphError('badRequest', 'A $batch cannot contain another $batch.');
  }
  return `${path}${resolved.search}`;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The body as JSON text; a body nested too deeply to write out is refused like one too deep to read. */
function innerPayload(body: unknown): string | undefined | GraphError {
  if (body === undefined || typeof body === 'string') return body;
  try {
    return JSON.stringify(body);
  } catch {
    return new GraphError('badRequest', 'The request body is nested too deeply.');
  }
}

function refused(entry: BatchRequest, reply: FastifyReply, error: GraphError): BatchResponse {
  return { id: entry.id, status: error.status, headers: { 'Content-Type': GRAPH_JSON }, body: errorBody(error, reply) };
}

/**
 * Header names as Graph spells them inside batch responses (`Content-Type`, `OData-Version`): clients look
 * them up case-sensitively there (microsoft-graph-client's BatchResponseContent reads `Content-Type`).
 */
const SPELLING: Readonly<Record<string, string>> = {
  'content-type': 'Content-Type',
  'odata-version': 'OData-Version',
  'cache-control': 'Cache-Control',
  location: 'Location',
  etag: 'ETag',
  'preference-applied': 'Preference-Applied',
  'retry-after': 'Retry-After',
  'www-authenticate': 'WWW-Authenticate',
  allow: 'Allow',
};

function responseHeaders(response: LightMyRequestResponse): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    headers[SPELLING[name] ?? name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return headers;
}

/** JSON bodies inline as JSON, other bodies as text, no body for an empty one. */
function responseBody(response: LightMyRequestResponse): { body?: unknown } {
  if (response.body === '') return {};
  return /json/i.test(String(response.headers['content-type'])) ? { body: response.json() } : { body: response.body };
}
