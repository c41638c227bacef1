import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/**
 * The origin (`https://host:port`) the client addressed, for the absolute URLs Graph writes: nextLink,
 * Location, @odata.context. A `$batch` runs its requests in-process, where the socket and Host are not the
 * client's, so it passes the batch's origin in a header sealed with a secret of this process: a client
 * cannot forge it, because the secret never leaves the process.
 */
const HEADER = 'x-graph-lro-batch-origin';
const SEAL = randomUUID();

export function requestOrigin(request: FastifyRequest): string {
  const sealed = request.headers[HEADER];
  if (typeof sealed === 'string' && sealed.startsWith(`${SEAL} `)) return sealed.slice(SEAL.length + 1);
  return `${request.protocol}://${request.host}`;
}

/** The header that gives an in-process request the origin `origin`. */
export function originHeader(origin: string): Record<string, string> {
  return { [HEADER]: `${SEAL} ${origin}` };
}
