/**
 * The load the runners put on a server (bench/run.ts, bench/commit-designs.ts): one definition of each
 * request, so that a scenario of the same name is the same requests in both; the autocannon run, and the
 * figures both take from it.
 */
import autocannon from 'autocannon';
import type { SeedResult } from './seed.js';

export const COLLECTION = '/v1.0/me/authentication/operations';

export function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}

/** Ten random base-36 characters: a statusDetail no earlier request wrote. */
export const randomTag = () => Math.random().toString(36).slice(2, 12);

/**
 * PATCH of a random open operation, `{"status":"running","statusDetail":"bench <random>"}`: another
 * operation and a fresh detail every request (setupRequest), so that every PATCH really writes.
 */
export function patchRequests(seeded: SeedResult): autocannon.Request[] {
  const patch = (): { path: string; body: string } => ({
    path: `${COLLECTION}/${pick(seeded.open)}`,
    body: JSON.stringify({ status: 'running', statusDetail: `bench ${randomTag()}` }),
  });
  return [
    {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      ...patch(),
      setupRequest: (request) => ({ ...request, ...patch() }),
    },
  ];
}

/** GET of a random operation, open or finished. */
export function getRequests(seeded: SeedResult): autocannon.Request[] {
  return [{ method: 'GET', path: `${COLLECTION}/${seeded.all[0]}`, setupRequest: (request) => ({ ...request, path: `${COLLECTION}/${pick(seeded.all)}` }) }];
}

/**
 * PATCH and GET at once (the "mixed" scenario): `connections` connections sending `patchRequests` and as many
 * sending `getRequests`, two autocannon runs started together for `seconds`, each reported on its own: how
 * reads fare while writes commit.
 */
export async function loadMixed(
  origin: string,
  seeded: SeedResult,
  connections: number,
  seconds: number,
  headers?: Record<string, string>,
): Promise<{ patch: autocannon.Result; get: autocannon.Result }> {
  const [patch, get] = await Promise.all([
    load(origin, patchRequests(seeded), connections, seconds, headers),
    load(origin, getRequests(seeded), connections, seconds, headers),
  ]);
  return { patch, get };
}

/**
 * An autocannon run's headline figures: req/s (its mean over the run's seconds), latency p50 and p99 (ms), and
 * the requests answered (2xx and non-2xx; not errors nor timeouts), the count CPU per request divides by.
 */
export interface LoadFigures {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly requests: number;
}

export function loadFigures(result: autocannon.Result): LoadFigures {
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, requests: result['2xx'] + result.non2xx };
}

/** autocannon against `origin` for `seconds`, `headers` (if any) on every request; a request unanswered in 10 s counts as a timeout. */
export function load(
  origin: string,
  requests: autocannon.Request[],
  connections: number,
  seconds: number,
  headers?: Record<string, string>,
): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url: origin, connections, duration: seconds, ...(headers !== undefined && { headers }), requests, timeout: 10 },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    instance.on('error', reject);
  });
}
