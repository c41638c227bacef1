import type { FastifyReply, FastifyRequest } from 'fastify';
import { entraErrorBody } from '../../entra/error-response.js';
import type { EntraErrorEntry } from '../../entra/errors.js';
import type { SignInErrorDetail } from '../../sign-in/sign-in-error.js';
import type { FormParameters } from '../../sign-in/sign-in-service.js';

/** The first value of each name, as Entra reads a form or a query; a prototype-free object, so `__proto__` is just a name. */
export function formParameters(text: string): FormParameters {
  const parameters: Record<string, string> = Object.create(null);
  for (const [name, value] of new URLSearchParams(text)) if (!(name in parameters)) parameters[name] = value;
  return parameters;
}

/** The query string of a request, read as {@link formParameters} reads a form. */
export function queryParameters(request: FastifyRequest): FormParameters {
  const at = request.url.indexOf('?');
  return formParameters(at < 0 ? '' : request.url.slice(at + 1));
}

export function trace(request: FastifyRequest) {
  const sent = request.headers['client-request-id'];
  return { traceId: request.id, correlationId: typeof sent === 'string' && /^[\w-]{1,64}$/.test(sent) ? sent : request.id };
}

export function sendEntraError(reply: FastifyReply, entry: EntraErrorEntry, detail: SignInErrorDetail): FastifyReply {
  reply.request.log.info({ status: entry.status, code: `AADSTS${entry.code}`, error: entry.error }, 'sign-in refused');
  return sendJson(reply.code(entry.status), entraErrorBody(entry, detail, trace(reply.request)));
}

/** JSON as Entra sends it (`application/json; charset=utf-8`), never cached: it may hold tokens. */
export function sendJson(reply: FastifyReply, body: unknown): FastifyReply {
  return reply.headers({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', pragma: 'no-cache' }).send(JSON.stringify(body));
}
