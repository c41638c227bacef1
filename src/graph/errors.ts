/**
 * The one error catalogue. Every error the service answers is one of these entries: its Graph `code`,
 * its HTTP status and a default message. Nothing else decides a status or a code.
 * Codes follow what Graph itself answers for the same situation (see the error table in docs/api.md).
 */
export const ERROR_CATALOGUE = {
  badRequest: { status: 400, code: 'BadRequest', message: 'Cannot process the request because it is malformed or incorrect.' },
  malformedJson: {
    status: 400,
    code: 'BadRequest',
    message: 'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
  },
  invalidProperty: { status: 400, code: 'BadRequest', message: 'The request body names a property the type does not have.' },
  invalidValue: { status: 400, code: 'BadRequest', message: 'A property in the request body has an invalid value.' },
  readOnlyProperty: { status: 400, code: 'BadRequest', message: 'A read-only property cannot be changed.' },
  invalidQuery: { status: 400, code: 'BadRequest', message: 'The query specified in the URI is not valid.' },
  unauthenticated: {
    status: 401,
    code: 'InvalidAuthenticationToken',
    message: 'Access token is empty.',
  },
  forbidden: { status: 403, code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' },
  itemNotFound: { status: 404, code: 'itemNotFound', message: 'The requested resource does not exist.' },
  userNotFound: { status: 404, code: 'Request_ResourceNotFound', message: 'The user does not exist.' },
  segmentNotFound: { status: 404, code: 'itemNotFound', message: 'Resource not found for the segment.' },
  methodNotAllowed: { status: 405, code: 'Request_BadRequest', message: 'Specified HTTP method is not allowed for the request target.' },
  requestTimeout: { status: 408, code: 'requestTimeout', message: 'The request was not received in time.' },
  conflict: { status: 409, code: 'conflict', message: 'The request conflicts with the current state of the resource.' },
  preconditionFailed: { status: 412, code: 'resourceModified', message: 'The resource has changed since the ETag in If-Match was read.' },
  payloadTooLarge: { status: 413, code: 'requestEntityTooLarge', message: 'The request body is larger than the service accepts.' },
  unsupportedMediaType: {
    status: 415,
    code: 'unsupportedMediaType',
    message: 'The request body must be JSON, sent with Content-Type: application/json.',
  },
  failedDependency: { status: 424, code: 'failedDependency', message: 'The request depends on a request of the batch that failed.' },
  headersTooLarge: {
    status: 431,
    code: 'requestHeaderFieldsTooLarge',
    message: 'The request line and headers are larger than the service accepts.',
  },
  tooManyRequests: { status: 429, code: 'TooManyRequests', message: 'Please retry again later.' },
  internal: { status: 500, code: 'generalException', message: 'An unexpected error occurred; the request was not completed.' },
  notSupported: { status: 501, code: 'notSupported', message: 'The request is not supported by this service.' },
  serviceUnavailable: { status: 503, code: 'serviceNotAvailable', message: 'The service is temporarily unavailable. Please retry later.' },
} as const satisfies Record<string, { status: number; code: string; message: string }>;

export type ErrorKind = keyof typeof ERROR_CATALOGUE;

/** An error with a place in the catalogue; the message, when given, says what exactly was wrong. */
export class GraphError extends Error {
  readonly kind: ErrorKind;
  readonly status: number;
  readonly code: string;
  /** Extra response headers the error needs (`WWW-Authenticate`, `Retry-After`, `Allow`). */
  readonly headers: Readonly<Record<string, string>>;
  /** Extra members of `innerError`, where Graph writes some (its throttling answer does). */
  readonly innerError: Readonly<Record<string, string>>;

  constructor(kind: ErrorKind, message?: string, headers: Record<string, string> = {}, innerError: Record<string, string> = {}) {
    const entry = ERROR_CATALOGUE[kind];
    super(message ?? entry.message);
    this.name = 'GraphError';
    this.kind = kind;
    this.status = entry.status;
    this.code = entry.code;
    this.headers = headers;
    this.innerError = innerError;
  }
}
