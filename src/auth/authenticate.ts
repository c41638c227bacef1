import type { FastifyInstance, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { UserResolver } from '../users/user-resolver.js';
import type { Principal } from './principal.js';
import { bearerToken, type TokenVerifier } from './token-verifier.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller; set on every API route before its handler runs. */
    principal: Principal;
  }
}

const BEARER = 'Bearer ';

/** No valid token, no data: every route registered in `app`'s scope needs a verified Bearer token. */
export function requireAuthentication(app: FastifyInstance, verifier: TokenVerifier, users: UserResolver): void {
  app.decorateRequest('principal', null as never);
  // Callback-style, and synchronous for a token verified a moment ago of a user already remembered: the
  // case of nearly every request, which then costs no promise.
  app.addHook('onRequest', (request, _reply, done) => {
    const header = request.headers.authorization;
    // Nearly every request repeats a token verified a moment ago: looked up as sent, it needs no parsing
    // (a regular expression over a kilobyte or more), because a token is only ever remembered once parsed.
    const recalled = header?.startsWith(BEARER) ? verifier.recall(header.slice(BEARER.length)) : undefined;
    if (recalled !== undefined) return admit(request, recalled, done);
    let verified: Principal | Promise<Principal>;
    try {
      verified = verifier.verify(bearerToken(header));
    } catch (error) {
      return done(error as Error);
    }
    if (verified instanceof Promise) verified.then((principal) => admit(request, principal, done), done);
    else admit(request, verified, done);
  });

  function admit(request: FastifyRequest, principal: Principal, done: HookHandlerDoneFunction): void {
    request.principal = principal;
    const remembering = users.remember(principal);
    if (remembering === undefined) done();
    else remembering.then(() => done(), done);
  }
}
