import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { operationStateJson, parseState, StateError, userJson } from '../../emulator/state.js';
import { GraphError } from '../../errors.js';
import { GRAPH_JSON } from '../../graph/response-headers.js';
import { cursorAfter } from '../../operations/overview.js';
import type { AdminStore, ListedOperation, StoreState } from '../../store/admin-store.js';
import type { DirectoryUser, Store } from '../../store/store.js';
import type { UserResolver } from '../../users/user-resolver.js';
import { methodNotAllowed } from '../method-not-allowed.js';

/** The largest state `PUT /admin/state` takes; a larger one goes in with `--seed`, which has no limit. */
export const STATE_BODY_LIMIT = 32 * 1024 * 1024;
/** Rows read per statement while exporting, so an export never holds the whole table in memory. */
const EXPORT_PAGE = 1_000;

export interface StateRoutesOptions {
  readonly store: Store;
  readonly users: UserResolver;
  /** What a reset returns to (the `--seed` file), beyond an empty set of operations. */
  readonly seed?: StoreState;
}

/**
 * Emulator (`--emulator-state`): `POST /admin/reset`, `GET /admin/state` (export) and `PUT /admin/state`
 * (import), in the one state format of `emulator/state.ts`.
 */
export async function adminStateRoutes(app: FastifyInstance, options: StateRoutesOptions): Promise<void> {
  const { store, users, seed } = options;

  // Every operation goes; the users stay (tokens already minted keep naming known users), and the seed's
  // operations and users come back: the state the service started from.
  app.post('/reset', async (_request, reply) => {
    for (const user of seed?.users ?? []) await store.users.upsert(user);
    await store.admin.replace(seed?.operations ?? []);
    return reply.code(204).send();
  });

  app.get('/state', async (_request, reply) => reply.type(GRAPH_JSON).send(Readable.from(exportState(store.admin))));

  app.put('/state', { bodyLimit: STATE_BODY_LIMIT }, async (request, reply) => {
    const state = readState(request.body);
    await store.admin.replace(state.operations, state.users);
    users.forget(); // the directory was replaced: the users this process wrote may be gone
    return reply.code(204).send();
  });

  methodNotAllowed(app, '/reset', ['POST']);
  methodNotAllowed(app, '/state', ['GET', 'PUT']);
}

function readState(body: unknown): StoreState {
  try {
    return parseState(body);
  } catch (error) {
    if (error instanceof StateError) throw new GraphError('invalidValue', error.message);
    throw error;
  }
}

/**
 * The state as JSON text, a page of rows at a time. Not a snapshot: rows written while it runs may or
 * may not be in it. A failure part way cuts the response short (the status is already sent), so a client
 * sees invalid JSON rather than a partial state that looks whole.
 */
async function* exportState(admin: AdminStore): AsyncGenerator<string> {
  yield '{"users":[';
  yield* commaSeparated(pages<DirectoryUser>((after) => admin.listUsers(after, EXPORT_PAGE)), (user) => JSON.stringify(userJson(user)));
  yield '],"operations":[';
  const operations = pages<ListedOperation>((after) => admin.list({ limit: EXPORT_PAGE, ...(after && { after: cursorAfter(after) }) }));
  yield* commaSeparated(operations, (row) => JSON.stringify(operationStateJson(row)));
  yield ']}';
}

/** Every row of a keyset-paged read, page by page. */
async function* pages<Row>(read: (after: Row | undefined) => Promise<readonly Row[]>): AsyncGenerator<Row> {
  let after: Row | undefined;
  for (;;) {
    const page = await read(after);
    yield* page;
    if (page.length < EXPORT_PAGE) return;
    after = page.at(-1);
  }
}

async function* commaSeparated<Row>(rows: AsyncIterable<Row>, json: (row: Row) => string): AsyncGenerator<string> {
  let first = true;
  for await (const row of rows) {
    yield first ? json(row) : `,${json(row)}`;
    first = false;
  }
}
