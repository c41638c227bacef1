import type { FastifyInstance } from 'fastify';
import { GraphError } from '../graph/errors.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** Answers every method a URL does not serve with 405 and an `Allow` header, in Graph's error envelope. */
export function methodNotAllowed(app: FastifyInstance, url: string, allowed: readonly (typeof METHODS)[number][]): void {
  const served = allowed.includes('GET') ? [...allowed, 'HEAD'] : [...allowed];
  app.route({
    method: METHODS.filter((m) => !served.includes(m)),
    url,
    handler: async () => {
      throw new GraphError('methodNotAllowed', undefined, { Allow: served.join(', ') });
    },
  });
}
