import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type DomainErrorKind } from '../operations/domain-error.js';
import { ERROR_CATALOGUE, GraphError, type ErrorKind } from './errors.js';
import { setGraphHeaders } from './response-headers.js';

/** `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`, Graph's envelope. */
export function envelope(error: GraphError, requestId: string, clientRequestId: string) {
  return {
    error: {
      code: error.code,
      message: error.message,
      innerError: {
        ...error.innerError,
        date: new Date().toISOString().slice(0, 19), // Graph writes `yyyy-MM-ddTHH:mm:ss`, UTC, no zone
        'request-id': requestId,
        'client-request-id': clientRequestId,
      },
    },
  };
}

export function errorBody(error: GraphError, reply: FastifyReply) {
  return envelope(error, reply.request.id, String(reply.getHeader('client-request-id') ?? reply.request.id));
}

export function sendError(reply: FastifyReply, error: GraphError): FastifyReply {
  reply.request.log.info({ status: error.status, code: error.code, reason: error.message }, 'request rejected');
  return reply.code(error.status).headers(error.headers).send(errorBody(error, reply));
}

/** Each kind of domain error as Graph answers it: an entry of the catalogue, and the headers that go with it. */
const DOMAIN_ERRORS: Readonly<Record<DomainErrorKind, { readonly kind: ErrorKind; readonly headers?: Readonly<Record<string, string>> }>> = {
  malformed: { kind: 'badRequest' },
  unknownProperty: { kind: 'invalidProperty' },
  invalidValue: { kind: 'invalidValue' },
  readOnlyProperty: { kind: 'readOnlyProperty' },
  notFound: { kind: 'itemNotFound' },
  userNotFound: { kind: 'userNotFound' },
  noSignedInUser: { kind: 'forbidden' },
  conflict: { kind: 'conflict' },
  versionMismatch: { kind: 'preconditionFailed' },
  // Other writers won every round: a retry a moment later finds the entity settled.
  contention: { kind: 'serviceUnavailable', headers: { 'Retry-After': '1' } },
};

/** A domain error as the catalogue error Graph answers for it, with the domain's message. */
export function fromDomainError(error: DomainError): GraphError {
  const { kind, headers } = DOMAIN_ERRORS[error.kind];
  return new GraphError(kind, error.message, { ...headers });
}

export interface ErrorHandlingOptions {
  /**
   * Whether an error means the database cannot serve right now (down, restarting, out of connections,
   * busy), as opposed to a fault in the request or in our code: the store's own judgement of its drivers'
   * errors. Such requests are answered 503 with `Retry-After`, so clients retry instead of giving up on a 500.
   * Without it (an app with no store) no error is taken for one.
   */
  readonly isStoreUnavailable?: (error: unknown) => boolean;
}

/** Every failure, ours or the framework's, leaves as a catalogue error in Graph's envelope. */
export function registerErrorHandling(app: FastifyInstance, options: ErrorHandlingOptions = {}): void {
  const { isStoreUnavailable = () => false } = options;
  app.setErrorHandler((error: FastifyError | GraphError | DomainError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof GraphError) return sendError(reply, error);
    if (error instanceof DomainError) return sendError(reply, fromDomainError(error));
    const known = fromFrameworkError(error, request);
    if (known) return sendError(reply, known);
    if (isStoreUnavailable(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      return sendError(reply, new GraphError('serviceUnavailable', undefined, { 'Retry-After': '5' }));
    }
    request.log.error({ err: error }, 'request failed');
    return sendError(reply, new GraphError('internal'));
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const segment = path.split('/').filter(Boolean).pop() ?? '';
    return sendError(reply, new GraphError('segmentNotFound', `Resource not found for the segment '${segment}'.`));
  });
}

/**
 * Errors Fastify's router raises before any hook runs (a path that does not decode, a path segment past
 * the router's limit): in the envelope and with Graph's headers like every other answer.
 */
export function routingError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  setGraphHeaders(request, reply);
  const graphError =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new GraphError('segmentNotFound', 'Resource not found: a path segment is longer than the service accepts.')
      : new GraphError('badRequest', 'The request URL is not valid: it has a percent-encoding that does not decode.');
  void sendError(reply, graphError);
}

const FRAMEWORK_ERRORS: Record<string, ErrorKind> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupportedMediaType',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payloadTooLarge',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformedJson',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformedJson',
};

/** Fastify's own 4xx errors (body parsing, limits) in catalogue terms; anything else is ours to explain as a 500. */
function fromFrameworkError(error: FastifyError, request: FastifyRequest): GraphError | undefined {
  const kind = FRAMEWORK_ERRORS[error.code];
  // The limit is the route's own ($batch and the admin state import take more): a client can act on a number.
  if (kind === 'payloadTooLarge') {
    return new GraphError(kind, `The request body is larger than the ${request.routeOptions.bodyLimit} bytes this URL accepts (--body-limit).`);
  }
  if (kind) return new GraphError(kind);
  if (error instanceof SyntaxError && error.statusCode === 400) return new GraphError('malformedJson');
  const status = error.statusCode;
  if (status === undefined || status < 400 || status >= 500) return undefined;
  const generic = (Object.keys(ERROR_CATALOGUE) as ErrorKind[]).find((k) => ERROR_CATALOGUE[k].status === status);
  return new GraphError(generic ?? 'badRequest', status === 400 ? error.message : undefined);
}
