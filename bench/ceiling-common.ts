/**
 * What both ceiling servers share: the same URLs as graph-lro, the body check, the JSON of a row and the
 * plain `node:http` plumbing. Imports nothing from src/ on purpose: a ceiling must not load Fastify, pino
 * or anything else graph-lro carries, so its cost is the storage work and the HTTP round trip alone.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';

/** The four stored members of longRunningOperationStatus, in value order (0–3), as graph-lro stores them. */
export const STATUS_NAMES = ['notStarted', 'running', 'succeeded', 'failed'] as const;
const STATUS_BY_LOWER = new Map<string, number>(STATUS_NAMES.map((name, value) => [name.toLowerCase(), value]));

/** The same owner graph-lro's printed dev token names (src/users/seed-users.ts, mirrored so no src/ import). */
export const DEV_TENANT_ID = '00000000-0000-4000-8000-00000000d3e0';
export const DEV_USER_PRINCIPAL_NAME = 'dev@contoso.com';
export function derivedObjectId(tenantId: string, userPrincipalName: string): string {
  const hex = createHash('sha256').update(`${tenantId}/${userPrincipalName.toLowerCase()}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export const OPERATION_COLUMNS = 'id, created_ticks, last_action_ticks, status, status_detail, resource_location, version, finished_ticks';

/** A row as either driver answers it: ticks as bigint (SQLite, safeIntegers) or decimal text (pg's int8). */
export interface Row {
  readonly id: string;
  readonly created_ticks: bigint | string;
  readonly last_action_ticks: bigint | string;
  readonly status: bigint | number;
  readonly status_detail: string | null;
  readonly resource_location: string | null;
}

const TICKS_PER_MS = 10_000n;

/** 100 ns ticks since the epoch → `2024-01-18T16:37:10.1234567Z`, trailing fraction zeros trimmed (graph-lro's format). */
export function formatTicks(value: bigint | string): string {
  const ticks = typeof value === 'bigint' ? value : BigInt(value);
  let ms = ticks / TICKS_PER_MS;
  let rest = ticks % TICKS_PER_MS;
  if (rest < 0n) {
    rest += TICKS_PER_MS;
    ms -= 1n;
  }
  const iso = new Date(Number(ms)).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ for the years 0–9999
  const fraction = (iso.slice(20, 23) + String(rest).padStart(4, '0')).replace(/0+$/, '');
  return fraction ? `${iso.slice(0, 19)}.${fraction}Z` : `${iso.slice(0, 19)}Z`;
}

export function nowTicks(): bigint {
  return BigInt(Date.now()) * TICKS_PER_MS;
}

/** The entity's properties in Graph's order. */
export function rowJson(row: Row) {
  return {
    id: row.id,
    createdDateTime: formatTicks(row.created_ticks),
    lastActionDateTime: formatTicks(row.last_action_ticks),
    status: STATUS_NAMES[Number(row.status)],
    statusDetail: row.status_detail,
    resourceLocation: row.resource_location,
  };
}

/** A PATCH body reduced to what the ceiling writes; a string is the 400 message. */
export interface Patch {
  readonly status: number;
  /** `undefined`: leave the stored detail as it is. */
  readonly statusDetail: string | null | undefined;
}

export function readPatch(text: string): Patch | string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'the body is not JSON';
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the body is not a JSON object';
  const { status, statusDetail } = body as Record<string, unknown>;
  const value = typeof status === 'string' ? STATUS_BY_LOWER.get(status.toLowerCase()) : undefined;
  if (value === undefined) return 'status must be notStarted, running, succeeded or failed';
  if (statusDetail !== undefined && statusDetail !== null && typeof statusDetail !== 'string') return 'statusDetail must be a string';
  return { status: value, statusDetail: statusDetail as string | null | undefined };
}

export interface CeilingHandlers {
  get(id: string): Promise<Row | undefined>;
  update(id: string, patch: Patch): Promise<Row | undefined>;
  list(top: number): Promise<Row[]>;
}

const COLLECTION = '/v1.0/me/authentication/operations';

/** Serves graph-lro's three benchmarked URLs with `handlers`; prints `listening on …` once it accepts. */
export async function serveCeiling(port: number, handlers: CeilingHandlers, info: Record<string, unknown>): Promise<void> {
  const server = createServer((request, response) => {
    route(request, response, handlers).catch((error: unknown) => send(response, 500, { error: (error as Error).message }));
  });
  server.keepAliveTimeout = 72_000; // as graph-lro: a connection is never closed under the load generator
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  const actualPort = typeof address === 'object' && address !== null ? address.port : port;
  process.stdout.write(`ceiling ${JSON.stringify(info)}\n`);
  process.stdout.write(`listening on http://127.0.0.1:${actualPort}\n`);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      server.close();
      server.closeAllConnections();
      process.exit(0);
    });
  }
}

async function route(request: IncomingMessage, response: ServerResponse, handlers: CeilingHandlers): Promise<void> {
  const url = request.url ?? '/';
  const queryAt = url.indexOf('?');
  const path = queryAt < 0 ? url : url.slice(0, queryAt);
  if (path === COLLECTION) {
    if (request.method !== 'GET') return send(response, 405, { error: 'method not allowed' });
    const top = Number(new URLSearchParams(queryAt < 0 ? '' : url.slice(queryAt + 1)).get('$top') ?? 100);
    if (!Number.isInteger(top) || top < 1 || top > 999) return send(response, 400, { error: '$top must be 1 to 999' });
    return send(response, 200, { value: (await handlers.list(top)).map(rowJson) });
  }
  if (!path.startsWith(`${COLLECTION}/`)) return send(response, 404, { error: 'not found' });
  const id = decodeURIComponent(path.slice(COLLECTION.length + 1));
  if (request.method === 'GET') {
    const row = await handlers.get(id);
    return row ? send(response, 200, rowJson(row)) : send(response, 404, { error: 'not found' });
  }
  if (request.method === 'PATCH') {
    const patch = readPatch(await readBody(request));
    if (typeof patch === 'string') return send(response, 400, { error: patch });
    const row = await handlers.update(id, patch);
    // No row: unknown id, or a finished operation (graph-lro answers 409 there; the runner PATCHes open rows only).
    return row ? send(response, 200, rowJson(row)) : send(response, 409, { error: 'not found or finished' });
  }
  return send(response, 405, { error: 'method not allowed' });
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

export interface CeilingArgs {
  readonly port: number;
  readonly data?: string;
  readonly database?: string;
  readonly dbSchema?: string;
  readonly tenantId: string;
  readonly userId: string;
  /** SQLite only: `FULL` (graph-lro's level, the default) or `NORMAL`, the speed of no sync per commit. */
  readonly synchronous: string;
  /** SQLite only: where a PATCH is committed, `each` (the default), `loop` or `thread` (see ceiling-sqlite-writer.ts). */
  readonly commit: string;
  /** PostgreSQL only: a table of the Graph columns, the user and the id instead of graph-lro's (see ceiling-postgres.ts). */
  readonly minimal: boolean;
}

export function readCeilingArgs(argv: string[]): CeilingArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '5060' },
      data: { type: 'string' },
      database: { type: 'string' },
      'db-schema': { type: 'string' },
      tenant: { type: 'string', default: DEV_TENANT_ID },
      user: { type: 'string' },
      synchronous: { type: 'string', default: 'FULL' },
      commit: { type: 'string', default: 'each' },
      minimal: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a TCP port, not ${values.port}`);
  const tenantId = values.tenant.toLowerCase();
  return {
    port,
    data: values.data,
    database: values.database,
    dbSchema: values['db-schema'],
    tenantId,
    userId: (values.user ?? derivedObjectId(tenantId, DEV_USER_PRINCIPAL_NAME)).toLowerCase(),
    synchronous: values.synchronous.toUpperCase(),
    commit: values.commit.toLowerCase(),
    minimal: values.minimal,
  };
}
