import type { FastifyInstance, FastifyRequest } from 'fastify';
import { operationJson } from '../../graph/entity-json.js';
import { GraphError } from '../../graph/errors.js';
import type { RawQuery } from '../../graph/query-options.js';
import { requestOrigin } from '../../graph/request-origin.js';
import { MAX_TICKS, MIN_TICKS } from '../../operations/date-time-offset.js';
import { isStorable } from '../../operations/operation-input.js';
import type { OperationOverview } from '../../operations/overview.js';
import type { AdminCursor, AdminListQuery, ListedOperation, UserKey } from '../../operations/ports/admin-store.js';
import { parseStatus, UNKNOWN_FUTURE_VALUE } from '../../operations/status.js';
import { isGuid } from '../../users/object-id.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { parameter, wholeNumber } from './query.js';

const DEFAULT_TOP = 50;
const MAX_TOP = 500;
/** As long as a path segment may be on Graph's routes: a UPN or an object id. */
const MAX_USER_KEY = 512;

/**
 * `GET /admin/operations?status=&user=&top=&skiptoken=`: every tenant's and user's operations, newest
 * first, a page at a time, with a `nextLink` while more remain. One read, no write: scheduled operations
 * show the status their schedule has now, projected, not written. `status` selects by the stored status,
 * so a row whose due step moves it out of the filter is left out, and the page may hold fewer than `top`
 * rows though the `nextLink` says more follow (it goes on after the last row read); a row whose due step
 * moves it into the filter appears once the background sweep has written the step.
 */
export async function adminOperationRoutes(app: FastifyInstance, options: { readonly overview: OperationOverview }): Promise<void> {
  app.get('/operations', async (request: FastifyRequest<{ Querystring: RawQuery }>) => {
    const listing = readListing(request.query);
    if (listing === 'none') return { value: [] }; // unknownFutureValue: no stored operation has it
    const page = await options.overview.list(listing);
    return {
      value: page.items.map(listedJson),
      ...(page.next && { nextLink: nextLink(request, listing, page.next) }),
    };
  });
  methodNotAllowed(app, '/operations', ['GET']);
}

function listedJson({ owner, userPrincipalName, operation }: ListedOperation) {
  return { tenantId: owner.tenantId, userId: owner.userId, userPrincipalName, ...operationJson(operation) };
}

/** The listing the query asks for, or `'none'` when its status filter can match nothing. */
function readListing(query: RawQuery): AdminListQuery | 'none' {
  const statusText = parameter(query, 'status');
  const status = statusText === undefined ? undefined : parseStatus(statusText);
  if (statusText !== undefined && status === undefined) {
    throw new GraphError('invalidQuery', `Invalid value '${statusText}' for 'status': expected notStarted, running, succeeded, failed or unknownFutureValue.`);
  }
  const user = readUser(parameter(query, 'user'));
  const limit = wholeNumber(query, 'top', 1, MAX_TOP, DEFAULT_TOP);
  const skiptoken = parameter(query, 'skiptoken');
  const after = skiptoken === undefined ? undefined : decodeCursor(skiptoken);
  if (status === UNKNOWN_FUTURE_VALUE) return 'none';
  return { limit, ...(status && { status }), ...(user && { user }), ...(after && { after }) };
}

function readUser(text: string | undefined): UserKey | undefined {
  if (text === undefined) return undefined;
  if (text === '' || text.length > MAX_USER_KEY) {
    throw new GraphError('invalidQuery', `Invalid value for 'user': expected an object id or a userPrincipalName of at most ${MAX_USER_KEY} characters.`);
  }
  return isGuid(text) ? { id: text.toLowerCase() } : { userPrincipalName: text };
}

/** The query of the next page: the same filters and size, the cursor after this page's last row. */
function nextLink(request: FastifyRequest, listing: AdminListQuery, after: AdminCursor): string {
  const query = new URLSearchParams();
  if (listing.status) query.set('status', listing.status);
  const user = listing.user;
  if (user) query.set('user', 'id' in user ? user.id : user.userPrincipalName);
  query.set('top', String(listing.limit));
  query.set('skiptoken', encodeCursor(after));
  return `${requestOrigin(request)}/admin/operations?${query}`;
}

/** Opaque to clients: base64url JSON of the last row's sort key. */
function encodeCursor(cursor: AdminCursor): string {
  const wire = [cursor.createdDateTime.toString(), cursor.id, cursor.tenantId, cursor.userId];
  return Buffer.from(JSON.stringify(wire)).toString('base64url');
}

function decodeCursor(token: string): AdminCursor {
  let wire: unknown;
  try {
    wire = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(wire) || wire.length !== 4 || !wire.every((part) => typeof part === 'string' && isStorable(part))) throw invalidCursor();
  const [created, id, tenantId, userId] = wire as [string, string, string, string];
  if (!/^-?\d{1,19}$/.test(created)) throw invalidCursor();
  const createdDateTime = BigInt(created);
  if (createdDateTime < MIN_TICKS || createdDateTime > MAX_TICKS) throw invalidCursor();
  return { createdDateTime, id, tenantId, userId };
}

function invalidCursor(): GraphError {
  return new GraphError('invalidQuery', "The 'skiptoken' is not valid; use the nextLink exactly as served.");
}
