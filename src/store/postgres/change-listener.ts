import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Owner } from '../../operations/long-running-operation.js';
import type { ChangeFeed, OperationWatch } from '../../operations/ports/change-feed.js';
import { LocalWatches, watchKey } from '../local-watches.js';

/**
 * The channel writers notify on; the payload is `[schema, tenant_id, user_id, id]` as JSON, or
 * `[schema, "*"]` for every operation (see `signalAll`).
 */
const CHANGE_CHANNEL = 'graph_lro_operation_changed';

/**
 * Whether the operation in `row` (a writer's RETURNING, with tenant_id, user_id and id) has a watcher: one
 * index probe of a (nearly always empty) table. `userId` is the placeholder the writer binds its user to:
 * the probe filters on it as well as joining on the row's, so when Citus distributes both tables by
 * user_id, co-located, the writer's whole statement stays on that user's shard.
 */
function watchedSql(row: string, userId: string): string {
  return `EXISTS (SELECT 1 FROM operation_watchers w
                 WHERE w.user_id = ${userId} AND w.user_id = ${row}.user_id AND w.tenant_id = ${row}.tenant_id
                   AND w.operation_id = ${row}.id AND w.expires_at > now())`;
}

/**
 * A writer's UPDATE … RETURNING `columns`, answering the same rows, each followed by its owner and whether it
 * is watched (the row's last value; see {@link isWatched}).
 */
export function watchedUpdate(update: string, userId: string): string {
  return `WITH updated AS (${update}, tenant_id, user_id) SELECT updated.*, ${watchedSql('updated', userId)} AS watched FROM updated`;
}

/** A DELETE of the operations `where` selects, answering whether each was watched; the row count is the rows deleted. */
export function watchedDelete(where: string, userId: string): string {
  return `WITH deleted AS (DELETE FROM operations WHERE ${where} RETURNING tenant_id, user_id, id) SELECT ${watchedSql('deleted', userId)} AS watched FROM deleted`;
}

/** Whether a row of {@link watchedUpdate} or {@link watchedDelete}, read as an array, has a watcher. */
export function isWatched(row: readonly unknown[] | undefined): boolean {
  return row?.at(-1) === true;
}

/**
 * Tells the operation's watchers, on every instance, that it changed; sent by the writer once its statement
 * found a watcher, so writes nobody waits for send nothing (NOTIFY serialises the commits of the transactions
 * that send one). Its own statement, not part of the write's: on Citus the write runs on the user's shard,
 * and a NOTIFY sent there would reach only that worker's listeners, where this one goes out on the node the
 * service is connected to, as the listeners are. A notification that fails to go out delays a waiting request
to its deadline, where it reads the operation again: the answer is late, never wrong.
 */
export async function notifyWatchers(pool: pg.Pool, owner: Owner, id: string): Promise<void> {
  await pool
    .query({
      name: 'graph-lro/watchers/notify',
      text: `SELECT pg_notify('${CHANGE_CHANNEL}', json_build_array(current_schema(), $1::text, $2::text, $3::text)::text)`,
      values: [owner.tenantId, owner.userId, id],
    })
    .catch(() => undefined);
}

/** How soon a lost listening connection is opened again while requests wait. */
export const RECONNECT_MS = 1_000;
/** Longer than a watch lasts, so its row outlives it; a row of a crashed instance goes after this. */
const WATCHER_MARGIN_MS = 10_000;
const SWEEP_EVERY_MS = 60_000;

/**
 * Change notifications across instances, without holding a pooled connection or a transaction while
 * anyone waits: each instance keeps ONE extra connection that LISTENs (opened at the first watch), a
 * watch is a row in `operation_watchers` for its lifetime, and writers NOTIFY when they change a watched
 * row. A lost listener connection signals every local watch (they re-read) and is opened again within a
 * second while anyone waits, signalling them all once more for what it may have missed meanwhile: waiting
 * requests need no periodic re-read, so thousands of them cost no CPU while nothing changes.
 */
export class PostgresChangeFeed implements ChangeFeed {
  readonly #local = new LocalWatches();
  #listener: Promise<pg.Client> | undefined;
  #lastSweep = 0;
  #released = false;
  #reconnecting = false;

  constructor(
    private readonly pool: pg.Pool,
    /** A new, unconnected client for the listening connection, on the store's database and search path. */
    private readonly newClient: () => pg.Client,
    private readonly prepare: (client: pg.Client) => Promise<void>,
  ) {}

  async watch(owner: Owner, id: string, forMs: number): Promise<OperationWatch | undefined> {
    if (this.#released || !(await this.#listening())) return undefined;
    // Local first: a notification that arrives while the row is being inserted is then already counted.
    const watcherId = randomUUID();
    const local = this.#local.open(owner, id, () => this.#forget(owner, id, watcherId));
    if (!local) return undefined;
    try {
      await this.pool.query({
        name: 'graph-lro/watchers/insert',
        text: `INSERT INTO operation_watchers (user_id, tenant_id, operation_id, watcher_id, expires_at)
               VALUES ($1, $2, $3, $4, now() + $5 * interval '1 millisecond')`,
        values: [owner.userId, owner.tenantId, id, watcherId, forMs + WATCHER_MARGIN_MS],
      });
    } catch (error) {
      await local.close();
      throw error;
    }
    this.#sweepNowAndThen();
    return local;
  }

  releaseAll(): void {
    this.#released = true;
    this.#local.releaseAll();
  }

  watching(): number {
    return this.#local.size;
  }

  async signalAll(): Promise<void> {
    this.#local.signalAll(); // at once here, whatever happens to the notification
    await this.pool.query({
      name: 'graph-lro/watchers/notify-all',
      text: `SELECT pg_notify('${CHANGE_CHANNEL}', json_build_array(current_schema(), '*')::text)`,
    });
  }

  /** Ends the listening connection (the pool is the store's to end). */
  async close(): Promise<void> {
    this.releaseAll();
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.then((client) => client.end()).catch(() => undefined);
  }

  async #forget(owner: Owner, id: string, watcherId: string): Promise<void> {
    await this.pool
      .query({
        name: 'graph-lro/watchers/delete',
        text: 'DELETE FROM operation_watchers WHERE user_id = $1 AND tenant_id = $2 AND operation_id = $3 AND watcher_id = $4',
        values: [owner.userId, owner.tenantId, id, watcherId],
      })
      .catch(() => undefined); // it expires anyway
  }

  #sweepNowAndThen(): void {
    const now = Date.now();
    if (now - this.#lastSweep < SWEEP_EVERY_MS) return;
    this.#lastSweep = now;
    void this.pool.query('DELETE FROM operation_watchers WHERE expires_at < now()').catch(() => undefined);
  }

  /** The listening connection, opened on first use and again after it was lost; `false` when it cannot be. */
  async #listening(): Promise<boolean> {
    this.#listener ??= this.#connect();
    try {
      await this.#listener;
      return true;
    } catch {
      this.#listener = undefined; // the next watch tries again
      return false;
    }
  }

  /** Not `async`: the promise it answers must be the very one `lost` compares `#listener` with. */
  #connect(): Promise<pg.Client> {
    const client = this.newClient();
    const lost = () => {
      if (this.#listener === connected) this.#listener = undefined;
      this.#local.signalAll(); // notifications may have been missed: everyone re-reads
      this.#reconnectSoon();
    };
    client.on('error', lost);
    client.on('end', lost);
    const connected: Promise<pg.Client> = (async () => {
      try {
        await client.connect();
        await this.prepare(client);
        const schema = (await client.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]!.schema;
        client.on('notification', (message) => this.#deliver(schema, message.payload));
        await client.query(`LISTEN ${CHANGE_CHANNEL}`);
        return client;
      } catch (error) {
        client.removeListener('end', lost);
        await client.end().catch(() => undefined);
        throw error;
      }
    })();
    return connected;
  }

  /** While requests wait, the listening connection is opened again; what it missed meanwhile, they re-read. */
  #reconnectSoon(): void {
    if (this.#reconnecting || this.#released || this.#local.size === 0) return;
    this.#reconnecting = true;
    setTimeout(() => {
      // Closed meanwhile: a connection opened now would be nobody's to end, and would hold the process open.
      if (this.#released) return;
      void this.#listening().then((listening) => {
        this.#reconnecting = false;
        if (listening) this.#local.signalAll();
        else this.#reconnectSoon();
      });
    }, RECONNECT_MS).unref();
  }

  #deliver(schema: string, payload: string | undefined): void {
    try {
      const [from, tenantId, userId, id] = JSON.parse(payload ?? '') as string[];
      if (from === schema && tenantId === '*') this.#local.signalAll();
      else if (from === schema && tenantId !== undefined && userId !== undefined && id !== undefined) this.#local.signal(watchKey(tenantId, userId, id));
    } catch {
      // not ours: some other program notifying on the same channel
    }
  }
}
