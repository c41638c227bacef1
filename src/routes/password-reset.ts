import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authorizePasswordReset, targetOf } from '../auth/permissions.js';
import { GraphError } from '../graph/errors.js';
import type { ApiVersion } from '../graph/odata-context.js';
import { requestOrigin } from '../graph/request-origin.js';
import { PASSWORD_METHOD_ID, type PasswordResets } from '../operations/password-reset.js';
import type { UserResolver } from '../users/user-resolver.js';
import { methodNotAllowed } from './method-not-allowed.js';

export interface PasswordResetRoutesOptions {
  readonly version: ApiVersion;
  readonly users: UserResolver;
  /** Absent: resets are not simulated here (a real identity provider, no `--simulate-password-reset`). */
  readonly resets: PasswordResets | undefined;
}

interface Params {
  userKey: string;
  methodId: string;
}

/**
 * Opaque routing parameters after the operation's URL, as Graph's own `Location` carries
 * (`?aadgdc=…&aadgsu=…`): clients must poll the URL as given, and the item GET ignores them.
 */
const LOCATION_QUERY = 'aadgdc=LOCAL&aadgsu=graph-lro';

const RESETS_NOT_SIMULATED =
  'resetPassword is not served: this service verifies tokens of a real identity provider and has no accounts whose passwords it could reset. ' +
  'Start it with --simulate-password-reset (GRAPH_LRO_SIMULATE_PASSWORD_RESET) to serve simulated resets.';

/**
 * `POST /users/{id | userPrincipalName}/authentication/methods/{passwordMethodId}/resetPassword`, and the
 * older `…/passwordMethods/{id}/resetPassword`: `202 Accepted` with the `Location` of a longRunningOperation
 * of the target user to poll (by its object id, however the user was named) and `Retry-After`. No `/me`
 * form: nobody resets their own password this way.
 */
export async function passwordResetRoutes(app: FastifyInstance, options: PasswordResetRoutesOptions): Promise<void> {
  const { version, users, resets } = options;

  for (const url of [
    '/users/:userKey/authentication/methods/:methodId/resetPassword',
    '/users/:userKey/authentication/passwordMethods/:methodId/resetPassword',
  ]) {
    app.post(url, async (request: FastifyRequest<{ Params: Params }>, reply) => {
      // Never a 202 for a reset nobody will make: a client would tell its user a password was changed.
      if (resets === undefined) throw new GraphError('notSupported', RESETS_NOT_SIMULATED);
      const { principal } = request;
      authorizePasswordReset(principal, targetOf(principal, request.params.userKey));
      const user = await users.resolve(principal, request.params.userKey);
      if (request.params.methodId.toLowerCase() !== PASSWORD_METHOD_ID) {
        throw new GraphError('itemNotFound', `The password authentication method '${request.params.methodId}' does not exist.`);
      }
      const root = `${requestOrigin(request)}/${version}`;
      const authentication = `${root}/users/${user.owner.userId}/authentication`;
      const started = await resets.start(user.owner, request.body, `${authentication}/methods/${PASSWORD_METHOD_ID}`);
      reply
        .code(202)
        .header('Location', `${authentication}/operations/${started.operation.id}?${LOCATION_QUERY}`)
        .header('Retry-After', String(started.retryAfterSeconds));
      if (started.generatedPassword === undefined) return reply.send(); // the caller chose the password: no body
      return reply.send({
        '@odata.context': `${root}/$metadata#microsoft.graph.passwordResetResponse`,
        newPassword: started.generatedPassword,
      });
    });
    methodNotAllowed(app, url, ['POST']);
  }
}
