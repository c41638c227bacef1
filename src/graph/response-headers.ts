import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Graph's full JSON media type; `@microsoft/microsoft-graph-client` needs the lowercase `application/json` first. */
export const GRAPH_JSON = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

/** A client-request-id is echoed only when it is a reasonable token: it goes into logs and other clients' tools. */
const CLIENT_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/** Built once: Graph's diagnostic header names the data centre and host; ours names the process. */
const DIAGNOSTIC = JSON.stringify({
  ServerInfo: { DataCenter: 'graph-lro', Slice: 'E', Ring: '0', ScaleUnit: '000', RoleInstance: hostname(), ADSiteName: 'LOCAL' },
});

export function newRequestId(): string {
  return randomUUID();
}

/** The headers every Graph response carries. */
export function setGraphHeaders(request: FastifyRequest, reply: FastifyReply): void {
  const sent = request.headers['client-request-id'];
  reply.headers({
    'request-id': request.id,
    'client-request-id': typeof sent === 'string' && CLIENT_REQUEST_ID.test(sent) ? sent : request.id,
    'x-ms-ags-diagnostic': DIAGNOSTIC,
    'OData-Version': '4.0',
    'Cache-Control': 'no-cache',
  });
}

/**
 * Sets Graph's headers before anything can fail, so errors carry them too. Callback-style hooks: they run
 * on every request, and an async hook costs a promise and a microtask each time.
 */
export function registerGraphHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    setGraphHeaders(request, reply);
    done();
  });
  // Object payloads are JSON bodies: give them Graph's media type (Fastify then serializes them as JSON).
  app.addHook('preSerialization', (_request, reply, payload, done) => {
    reply.header('content-type', GRAPH_JSON);
    done(null, payload);
  });
}
