import { performance } from 'node:perf_hooks';
import { startServer, type ServerProcess } from './process.js';

/**
 * Helpers for the tests in test/cluster/: several real `graph-lro serve` processes, requests with any
 * header, and a record of every request's timing and outcome.
 */

export const OPS = '/v1.0/me/authentication/operations';

/** An entity as answered, without the control information that depends on the instance (its origin). */
export interface OperationEntity {
  readonly id: string;
  readonly createdDateTime: string;
  readonly lastActionDateTime: string;
  readonly status: string;
  readonly statusDetail: string | null;
  readonly resourceLocation: string | null;
}

/** One request and what came of it. `status` is undefined when no answer arrived (the connection broke). */
export interface Exchange {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly ifMatch?: string;
  /** performance.now() when the request was sent and when its answer (or failure) arrived. */
  readonly sentAt: number;
  readonly doneAt: number;
  readonly status?: number;
  readonly etag?: string | null;
  readonly json?: any;
  readonly error?: string;
}

/** Sends one request with a Bearer token; never throws: a network failure is recorded in `error`. */
export async function exchange(
  origin: string,
  token: string,
  method: string,
  path: string,
  options: { body?: unknown; ifMatch?: string } = {},
): Promise<Exchange> {
  const { body, ifMatch } = options;
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (ifMatch !== undefined) headers['if-match'] = ifMatch;
  const sentAt = performance.now();
  try {
    const res = await fetch(`${origin}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = { unparsable: text };
    }
    return { method, path, body, ifMatch, sentAt, doneAt: performance.now(), status: res.status, etag: res.headers.get('etag'), json };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { method, path, body, ifMatch, sentAt, doneAt: performance.now(), error: `${(error as Error).message} (${cause?.code ?? cause?.message ?? ''})` };
  }
}

/** The version an ETag `"N"` names; throws on anything else, so a malformed tag fails the test. */
export function versionOf(etag: string | null | undefined): number {
  const m = /^"([1-9]\d*)"$/.exec(etag ?? '');
  if (!m) throw new Error(`not an ETag of ours: ${String(etag)}`);
  return Number(m[1]);
}

/** The entity's properties from a response body, without `@odata.*` control information. */
export function entityOf(json: any): OperationEntity {
  const { id, createdDateTime, lastActionDateTime, status, statusDetail, resourceLocation } = json ?? {};
  return { id, createdDateTime, lastActionDateTime, status, statusDetail, resourceLocation };
}

/** One line describing an exchange, for assertion messages. */
export function describeExchange(x: Exchange): string {
  const error = x.json?.error;
  const shown = error ? `${error.code}: ${error.message}` : JSON.stringify(x.json === undefined ? undefined : entityOf(x.json));
  const outcome = x.status === undefined ? `no answer: ${x.error}` : `${x.status} ETag ${x.etag ?? '-'} ${shown}`;
  return `${x.method} ${x.path}${x.ifMatch ? ` If-Match ${x.ifMatch}` : ''} ${JSON.stringify(x.body)} -> ${outcome}`;
}

/**
 * Starts `count` servers at once with the same arguments (concurrently, so their start-up work, such as a
 * migration, overlaps). If any fails to start, the ones that did are stopped and the first error thrown.
 */
export async function startServers(count: number, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServerProcess[]> {
  const results = await Promise.allSettled(Array.from({ length: count }, () => startServer(args, env)));
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((s) => s.stop('SIGKILL')));
    throw failed.reason;
  }
  return started;
}

/**
 * The environment for servers under test load: load shedding on event-loop lag (a 503 that depends on how
 * busy the machine running the tests is) turned off, so that any 5xx is a fault. An unknown variable is
 * ignored by releases without that setting.
 */
export const LOAD_TEST_ENV: NodeJS.ProcessEnv = { GRAPH_LRO_MAX_EVENT_LOOP_DELAY: '0' };

/** Milliseconds since `start` (a performance.now() value), rounded, for timing notes. */
export function elapsed(start: number): number {
  return Math.round(performance.now() - start);
}
