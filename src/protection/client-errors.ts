import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { envelope } from '../graph/error-envelope.js';
import { GraphError } from '../graph/errors.js';
import { GRAPH_JSON } from '../graph/response-headers.js';

/**
 * Errors Node's HTTP parser raises before a request exists (headers too large, a request that took too
 * long, malformed HTTP): answered in Graph's envelope too, on the raw socket, then the connection closes.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const graphError =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new GraphError('requestTimeout')
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? new GraphError('headersTooLarge')
        : new GraphError('badRequest', 'The request is not valid HTTP.');
  const id = randomUUID();
  const body = JSON.stringify(envelope(graphError, id, id));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${graphError.status} ${STATUS_CODES[graphError.status]}\r\n` +
        `Content-Type: ${GRAPH_JSON}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `request-id: ${id}\r\nclient-request-id: ${id}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
