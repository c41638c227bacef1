import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { EmulatorState } from '../../emulator/emulator-state.js';
import { GRAPH_JSON } from '../../graph/response-headers.js';
import { methodNotAllowed } from '../method-not-allowed.js';

/** The largest state `PUT /admin/state` takes; a larger one goes in with `--seed`, which has no limit. */
export const STATE_BODY_LIMIT = 32 * 1024 * 1024;

/**
 * Emulator (`--emulator-state`): `POST /admin/reset`, `GET /admin/state` (export) and `PUT /admin/state`
 * (import), in the one state format of `emulator/state.ts`. A document that is not a valid state is a 400
 * naming the offending value.
 */
export async function adminStateRoutes(app: FastifyInstance, options: { readonly state: EmulatorState }): Promise<void> {
  const { state } = options;

  app.post('/reset', async (_request, reply) => {
    await state.reset();
    return reply.code(204).send();
  });

  // A failure part way cuts the response short (the status is already sent): the client sees invalid JSON.
  app.get('/state', async (_request, reply) => reply.type(GRAPH_JSON).send(Readable.from(state.exportState())));

  app.put('/state', { bodyLimit: STATE_BODY_LIMIT }, async (request, reply) => {
    await state.importState(request.body);
    return reply.code(204).send();
  });

  methodNotAllowed(app, '/reset', ['POST']);
  methodNotAllowed(app, '/state', ['GET', 'PUT']);
}
