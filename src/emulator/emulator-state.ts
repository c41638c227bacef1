import { cursorAfter } from '../operations/overview.js';
import type { ListedOperation, OwnedOperation, StoreState } from '../operations/ports/admin-store.js';
import type { Store } from '../operations/ports/store.js';
import type { DirectoryUser } from '../operations/ports/user-directory.js';
import { applicationJson, Registrations, type ApplicationEntry, type PasswordEntry } from '../sign-in/registrations.js';
import { resetScriptJson, type ResetScript } from './reset-script.js';
import { ResetScripts } from './reset-scripts.js';
import { operationStateJson, parseState, userJson } from './state.js';

/** Rows read per statement while exporting, so an export never holds the whole table in memory. */
const EXPORT_PAGE = 1_000;

/** What a reset returns to: a `--seed` file, its scripts and registrations included when it has any. */
export type EmulatorSeed = StoreState & {
  readonly scripts?: readonly ResetScript[];
  readonly applications?: readonly ApplicationEntry[];
  readonly passwords?: readonly PasswordEntry[];
};

export interface EmulatorStateOptions {
  /** What a reset returns to (the `--seed` file), beyond an empty set of operations and an empty queue. */
  readonly seed?: EmulatorSeed;
  /** The queue of scripted password resets the resets take from; a queue of the seed's scripts when absent. */
  readonly scripts?: ResetScripts;
  /** Runs once a reset or an import has replaced the data: what was computed from the old data goes. */
  readonly replaced?: () => void | Promise<void>;
  /** Runs once an import has replaced the users: what the process remembers of the old ones goes. */
  readonly usersReplaced?: () => void;
  /** Who may sign in (dev identity's sign-in endpoints): exported, imported, and the seed's back at a reset. */
  readonly registrations?: Registrations;
}

/**
 * The emulator's whole data set (`--emulator-state`): back to the seed, and out and in again in the one
 * state format of `state.ts`. Every owner's data at once, through the store's admin port, and this
 * process's queue of scripted password resets.
 */
export class EmulatorState {
  readonly scripts: ResetScripts;

  constructor(
    private readonly store: Pick<Store, 'users' | 'admin'>,
    private readonly options: EmulatorStateOptions = {},
  ) {
    this.scripts = options.scripts ?? new ResetScripts(store.users, options.seed?.scripts);
  }

  /**
   * Every operation and script goes; the users stay (tokens already minted keep naming known users), and
   * the seed's operations, users and scripts come back: the state the service started from.
   */
  async reset(): Promise<void> {
    const { seed } = this.options;
    for (const user of seed?.users ?? []) await this.store.users.upsert(user);
    await this.#replace(seed?.operations ?? []);
    this.scripts.replace(seed?.scripts);
    await this.options.registrations?.add(seed?.applications ?? [], seed?.passwords);
  }

  /**
   * The state as JSON text, a page of rows at a time. Not a snapshot: rows written while it runs may or
   * may not be in it. A failure part way ends the text short, so a reader sees invalid JSON rather than a
   * partial state that looks whole.
   */
  async *exportState(): AsyncGenerator<string> {
    const { admin } = this.store;
    const registrations = this.options.registrations;
    yield '{"users":[';
    yield* commaSeparated(pages<DirectoryUser>((after) => admin.listUsers(after, EXPORT_PAGE)), (user) =>
      JSON.stringify(userJson(user, registrations?.passwordHash(user.tenantId, user.id))),
    );
    yield '],"operations":[';
    const operations = pages<ListedOperation>((after) => admin.list({ limit: EXPORT_PAGE, ...(after && { after: cursorAfter(after) }) }));
    yield* commaSeparated(operations, (row) => JSON.stringify(operationStateJson(row)));
    yield `],"scripts":[${this.scripts
      .list()
      .map((script) => JSON.stringify(resetScriptJson(script)))
      .join(',')}],"applications":[${(registrations?.applications() ?? []).map((application) => JSON.stringify(applicationJson(application))).join(',')}]}`;
  }

  /**
   * Every operation, user and script replaced by the document's, all or nothing (the queue once the store
   * has committed); a `StateError` when it is not a valid state.
   */
  async importState(document: unknown): Promise<void> {
    const state = parseState(document);
    // Hashed first: a password that cannot be hashed leaves everything as it was.
    const registrations = this.options.registrations && (await Registrations.of(state.applications, state.passwords));
    await this.#replace(state.operations, state.users);
    this.scripts.replace(state.scripts);
    if (registrations) this.options.registrations!.adopt(registrations);
    this.options.usersReplaced?.();
  }

  async #replace(operations: readonly OwnedOperation[], users?: readonly DirectoryUser[]): Promise<void> {
    await this.store.admin.replace(operations, users); // all or nothing: a failed one changed nothing
    await this.options.replaced?.();
  }
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
