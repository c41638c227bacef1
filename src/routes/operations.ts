import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authorize, targetOf, type Access } from '../auth/permissions.js';
import { ODATA_TYPE, operationJson } from '../graph/entity-json.js';
import { countOptions, itemOptions, listOptions, type PageLimits } from '../graph/list-options.js';
import { operationsContext, type ApiVersion } from '../graph/odata-context.js';
import { etagOf, ifMatch, ifNoneMatchHits } from '../graph/preconditions.js';
import { parsePrefer, preferenceApplied, type Preferences } from '../graph/prefer.js';
import type { RawQuery } from '../graph/query-options.js';
import { requestOrigin } from '../graph/request-origin.js';
import { encodeSkipToken } from '../graph/skiptoken.js';
import type { LongRunningOperation, OperationProperty } from '../operations/long-running-operation.js';
import type { Hangup, OperationService } from '../operations/operation-service.js';
import type { AddressedUser, UserResolver } from '../users/user-resolver.js';
import { methodNotAllowed } from './method-not-allowed.js';

export interface OperationRoutesOptions {
  readonly version: ApiVersion;
  readonly service: OperationService;
  readonly users: UserResolver;
  readonly limits: PageLimits;
  /** The longest `Prefer: wait` honoured, in seconds: less than load balancers' idle timeouts. */
  readonly maxWaitSeconds: number;
}

interface Params {
  userKey?: string;
  id?: string;
}

type Request = FastifyRequest<{ Params: Params; Querystring: RawQuery }>;

/** `/me/authentication/operations` and `/users/{id | userPrincipalName}/authentication/operations`, under one version. */
export async function operationRoutes(app: FastifyInstance, options: OperationRoutesOptions): Promise<void> {
  const { version, service, users, limits, maxWaitSeconds } = options;

  /** The user the path names, after the caller's permission for `access` to that user is checked. */
  async function addressed(request: Request, access: Access): Promise<AddressedUser> {
    const principal = request.principal;
    authorize(principal, access, targetOf(principal, request.params.userKey));
    return users.resolve(principal, request.params.userKey);
  }

  function serviceRoot(request: FastifyRequest): string {
    return `${requestOrigin(request)}/${version}`;
  }

  /**
   * An entity answer; for a write (`written`), nothing but headers with `Prefer: return=minimal`. `prefer`
   * is the request's `Prefer`, when the caller has read it already.
   */
  function sendEntity(
    request: Request,
    reply: FastifyReply,
    user: AddressedUser,
    op: LongRunningOperation,
    answer: { select?: OperationProperty[]; written?: boolean; waited?: number; prefer?: Preferences } = {},
  ) {
    const { select, written = false, waited, prefer = parsePrefer(request.headers.prefer) } = answer;
    reply.header('ETag', etagOf(op.version));
    applyPreferences(reply, prefer, written, waited);
    if (written && prefer.returnMinimal) return reply.code(204).send();
    return reply.send({
      '@odata.context': operationsContext(serviceRoot(request), user.contextKey, { select, entity: true }),
      '@odata.type': ODATA_TYPE,
      ...operationJson(op, select),
    });
  }

  for (const collection of ['/me/authentication/operations', '/users/:userKey/authentication/operations']) {
    const item = `${collection}/:id`;

    app.get(collection, async (request: Request, reply) => {
      const user = await addressed(request, 'read');
      const options = listOptions(request.query, limits);
      const { select, orderBy } = options;
      const [page, count] = await Promise.all([
        service.list(user.owner, options),
        options.count ? service.count(user.owner, options.filter) : undefined,
      ]);
      applyPreferences(reply, parsePrefer(request.headers.prefer), false);
      return reply.send({
        '@odata.context': operationsContext(serviceRoot(request), user.contextKey, { select, entity: false }),
        ...(count !== undefined && { '@odata.count': count }),
        ...(page.next && { '@odata.nextLink': nextLink(request, encodeSkipToken(orderBy, page.next)) }),
        value: page.items.map((op) => operationJson(op, select)),
      });
    });

    app.get(`${collection}/$count`, async (request: Request, reply) => {
      const user = await addressed(request, 'read');
      const count = await service.count(user.owner, countOptions(request.query).filter);
      return reply.type('text/plain; charset=utf-8').send(String(count));
    });

    app.post(collection, async (request: Request, reply) => {
      const user = await addressed(request, 'write');
      const op = await service.create(user.owner, request.body);
      reply.header('Location', `${serviceRoot(request)}/users/${user.owner.userId}/authentication/operations/${op.id}`);
      return sendEntity(request, reply.code(201), user, op, { written: true });
    });

    app.get(item, async (request: Request, reply) => {
      const user = await addressed(request, 'read');
      const { select } = itemOptions(request.query);
      const prefer = parsePrefer(request.headers.prefer);
      const wait = prefer.waitSeconds === undefined ? undefined : Math.min(prefer.waitSeconds, maxWaitSeconds);
      let op = await service.get(user.owner, request.params.id!);
      const ifNoneMatch = request.headers['if-none-match'];
      // Waiting is for a change from what the client has: its If-None-Match, or else what there is now.
      if (wait && (ifNoneMatch === undefined || ifNoneMatchHits(ifNoneMatch, op.version))) {
        op = await service.getAfterChange(user.owner, op, wait * 1000, whileConnected(reply));
      }
      const pollAgain = service.pollAgainInSeconds(op);
      if (pollAgain !== undefined) reply.header('Retry-After', String(pollAgain)); // while the operation is unfinished
      if (ifNoneMatchHits(ifNoneMatch, op.version)) {
        if (wait !== undefined) reply.header('Preference-Applied', `wait=${wait}`);
        return reply.code(304).header('ETag', etagOf(op.version)).send();
      }
      return sendEntity(request, reply, user, op, { select, waited: wait, prefer });
    });

    app.patch(item, async (request: Request, reply) => {
      const user = await addressed(request, 'write');
      const op = await service.update(user.owner, request.params.id!, request.body, ifMatch(request.headers['if-match']));
      return sendEntity(request, reply, user, op, { written: true });
    });

    app.delete(item, async (request: Request, reply) => {
      const user = await addressed(request, 'write');
      await service.delete(user.owner, request.params.id!, ifMatch(request.headers['if-match']));
      return reply.code(204).send();
    });

    methodNotAllowed(app, collection, ['GET', 'POST']);
    methodNotAllowed(app, `${collection}/$count`, ['GET']);
    methodNotAllowed(app, item, ['GET', 'PATCH', 'DELETE']);
  }
}

/**
 * `Preference-Applied` names what was honoured: the `return` preference on writes, enum members, and the
 * wait (as the server capped it) on reads of one operation.
 */
function applyPreferences(reply: FastifyReply, prefer: Preferences, written: boolean, waited?: number): void {
  const returned = written && (prefer.returnMinimal ? 'return=minimal' : prefer.returnRepresentation && 'return=representation');
  const applied = preferenceApplied([
    returned,
    prefer.includeUnknownEnumMembers && 'include-unknown-enum-members',
    waited !== undefined && `wait=${waited}`,
  ]);
  if (applied) reply.header('Preference-Applied', applied);
}

/** The same URL with every other option kept as sent and the cursor replaced: absolute, on our own origin. */
function nextLink(request: Request, skiptoken: string): string {
  const [path, search = ''] = request.url.split('?', 2) as [string, string?];
  const kept = search.split('&').filter((part) => part !== '' && !/^(\$|%24)?skip(token)?(=|$)/i.test(part));
  return `${requestOrigin(request)}${path}?${[...kept, `$skiptoken=${skiptoken}`].join('&')}`;
}

/** Fires when the client goes away, so a waiting request stops waiting for nobody. */
function whileConnected(reply: FastifyReply): Hangup {
  const hangup = { hungUp: false, closed: new Promise<void>((resolve) => reply.raw.once('close', () => ((hangup.hungUp = true), resolve()))) };
  return hangup;
}
