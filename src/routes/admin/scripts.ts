import type { FastifyInstance, FastifyRequest } from 'fastify';
import { resetScriptJson } from '../../emulator/reset-script.js';
import type { ResetScripts } from '../../emulator/reset-scripts.js';
import { methodNotAllowed } from '../method-not-allowed.js';

/**
 * Emulator (`--emulator-state`): the queue of scripted password resets. `POST /admin/scripts` queues one
 * (`201`, the script as stored), `GET /admin/scripts` lists the queue in order, `DELETE /admin/scripts/{id}`
 * takes one out and `DELETE /admin/scripts` empties it. A script that is not valid is a 400 naming the
 * offending value; a full queue is a 409.
 */
export async function adminScriptRoutes(app: FastifyInstance, options: { readonly scripts: ResetScripts }): Promise<void> {
  const { scripts } = options;

  app.post('/scripts', async (request, reply) => reply.code(201).send(resetScriptJson(scripts.add(request.body))));

  app.get('/scripts', async () => ({ value: scripts.list().map(resetScriptJson) }));

  app.delete('/scripts', async (_request, reply) => {
    scripts.replace([]);
    return reply.code(204).send();
  });

  app.delete('/scripts/:id', async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    scripts.remove(request.params.id);
    return reply.code(204).send();
  });

  methodNotAllowed(app, '/scripts', ['GET', 'POST', 'DELETE']);
  methodNotAllowed(app, '/scripts/:id', ['DELETE']);
}
