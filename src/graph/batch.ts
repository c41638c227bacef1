import { GraphError } from './errors.js';

/** Graph's JSON batching limit. */
export const MAX_BATCH_REQUESTS = 20;

const METHODS = new Set(['GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'HEAD', 'OPTIONS']);

export interface BatchRequest {
  readonly id: string;
  readonly method: string;
  /** Relative to the version root, starting with `/` (`/me/authentication/operations`). */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly dependsOn: readonly string[];
}

/**
 * Reads a `$batch` body: `{"requests":[{"id","method","url","headers"?,"body"?,"dependsOn"?}]}`.
 * A malformed batch is 400 as a whole (Graph's rule); so are duplicate ids (compared case-insensitively),
 * more than 20 requests, and a `dependsOn` that names no earlier request (it could never run).
 */
export function readBatch(body: unknown): BatchRequest[] {
  const requests = (body as { requests?: unknown } | null)?.requests;
  if (typeof body !== 'object' || body === null || !Array.isArray(requests)) {
    throw new GraphError('badRequest', 'A $batch body must be a JSON object with a "requests" array.');
  }
  if (requests.length === 0 || requests.length > MAX_BATCH_REQUESTS) {
    throw new GraphError('badRequest', `A $batch holds 1 to ${MAX_BATCH_REQUESTS} requests, not ${requests.length}.`);
  }
  const seen = new Set<string>();
  return requests.map((entry: unknown, index) => {
    const request = readRequest(entry, index, seen);
    seen.add(request.id.toLowerCase());
    return request;
  });
}

function readRequest(entry: unknown, index: number, earlier: ReadonlySet<string>): BatchRequest {
  const where = `requests[${index}]`;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalid(`${where} must be an object.`);
  const { id, method, url, headers = {}, body, dependsOn = [] } = entry as Record<string, unknown>;
  if (typeof id !== 'string' || id === '') throw invalid(`${where}.id must be a non-empty string.`);
  if (earlier.has(id.toLowerCase())) throw invalid(`The request id '${id}' is used more than once in the batch.`);
  if (typeof method !== 'string' || !METHODS.has(method.toUpperCase())) throw invalid(`${where}.method must be an HTTP method.`);
  if (typeof url !== 'string' || url === '' || /^[a-z][a-z0-9+.-]*:/i.test(url)) {
    throw invalid(`${where}.url must be a URL relative to the version, such as /me/authentication/operations.`);
  }
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers) || !Object.values(headers).every((v) => typeof v === 'string')) {
    throw invalid(`${where}.headers must be an object of strings.`);
  }
  if (!Array.isArray(dependsOn) || !dependsOn.every((d) => typeof d === 'string')) throw invalid(`${where}.dependsOn must be an array of ids.`);
  for (const dependency of dependsOn as string[]) {
    if (!earlier.has(dependency.toLowerCase())) {
      throw invalid(`${where}.dependsOn names '${dependency}', which is not an earlier request of the batch.`);
    }
  }
  return {
    id,
    method: method.toUpperCase(),
    url: url.startsWith('/') ? url : `/${url}`,
    headers: headers as Record<string, string>,
    ...(body !== undefined && { body }),
    dependsOn: dependsOn as string[],
  };
}

function invalid(message: string): GraphError {
  return new GraphError('badRequest', message);
}
