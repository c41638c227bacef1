import type { FastifyInstance } from 'fastify';
import type { UserResolver } from '../users/user-resolver.js';
import type { Principal } from './principal.js';
import { bearerToken, type TokenVerifier } from './token-verifier.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller; set on every API route before its handler runs. */
    principal: Principal;
  }
}

/** No valid token, no data: every route registered in `app`'s scope needs a verified Bearer token. */
export function requireAuthentication(app: FastifyInstance, verifier: TokenVerifier, users: UserResolver): void {
  app.decorateRequest('principal', null as never);
  app.addHook('onRequest', async (request) => {
    request.principal = await verifier.verify(bearerToken(request.headers.authorization));
    await users.remember(request.principal);
  });
}
