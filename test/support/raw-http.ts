import net from 'node:net';

/**
 * HTTP/1.1 over a bare TCP socket, for tests that must send what `fetch` and `node:http` refuse or rewrite:
 * bytes that are not UTF-8, NUL and CR/LF inside header values, duplicate headers, unnormalized paths
 * (`%2F`, `%00`, `..`), oversized headers. One connection per request, closed by the server after answering.
 */

/** A header as sent: the value may be raw bytes (a Buffer is written as is, a string as latin1). */
export type RawHeader = readonly [name: string, value: string | Buffer];

export interface RawRequest {
  readonly method: string;
  /** The request target exactly as written on the request line (no encoding is applied). */
  readonly target: string | Buffer;
  readonly headers?: readonly RawHeader[];
  readonly body?: string | Buffer;
  /** Adds `Content-Length` for the body (default true; false to send a body without framing or a wrong one). */
  readonly contentLength?: boolean;
}

export interface RawResponse {
  readonly status: number;
  /** Header names lowercased; a repeated header's values joined with ', ' (set-cookie excepted: never sent here). */
  readonly headers: Readonly<Record<string, string>>;
  /** Every header line as received, in order. */
  readonly headerLines: readonly (readonly [string, string])[];
  readonly body: Buffer;
  /** The body decoded as UTF-8. */
  readonly text: string;
}

export class RawHttpTimeout extends Error {
  constructor(what: string, ms: number) {
    super(`no complete answer within ${ms} ms to ${what}`);
    this.name = 'RawHttpTimeout';
  }
}

/** The bytes of a request: the request line, `Host`, the given headers, `Content-Length`, `Connection: close`, the body. */
export function encodeRequest(request: RawRequest): Buffer {
  const body = request.body === undefined ? undefined : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body, 'utf8');
  const parts: Buffer[] = [Buffer.from(`${request.method} `, 'latin1')];
  parts.push(Buffer.isBuffer(request.target) ? request.target : Buffer.from(request.target, 'latin1'));
  parts.push(Buffer.from(' HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'latin1'));
  for (const [name, value] of request.headers ?? []) {
    parts.push(Buffer.from(`${name}: `, 'latin1'), Buffer.isBuffer(value) ? value : Buffer.from(value, 'latin1'), Buffer.from('\r\n', 'latin1'));
  }
  if (body !== undefined && request.contentLength !== false) parts.push(Buffer.from(`Content-Length: ${body.length}\r\n`, 'latin1'));
  parts.push(Buffer.from('Connection: close\r\n\r\n', 'latin1'));
  if (body !== undefined) parts.push(body);
  return Buffer.concat(parts);
}

/** Sends `request` to 127.0.0.1:`port` and answers the parsed response; rejects when none arrives in `timeoutMs`. */
export function rawRequest(port: number, request: RawRequest, timeoutMs = 10_000): Promise<RawResponse> {
  const what = `${request.method} ${String(request.target).slice(0, 120)}`;
  return rawExchange(port, encodeRequest(request), timeoutMs, what);
}

/** Writes `bytes` as they are and parses what comes back before the server closes the connection. */
export function rawExchange(port: number, bytes: Buffer, timeoutMs = 10_000, what = 'a raw request'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const received = Buffer.concat(chunks);
      if (error !== undefined && received.length === 0) return reject(error);
      try {
        resolve(parseResponse(received));
      } catch (parseError) {
        reject(error ?? parseError);
      }
    };
    const timer = setTimeout(() => finish(new RawHttpTimeout(what, timeoutMs)), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // The server closes after answering (`Connection: close`), but a complete response is enough.
      if (isComplete(Buffer.concat(chunks))) finish();
    });
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    // A reset after the server answered and closed (it may not read the whole request) is not a failure.
    socket.on('error', (error) => finish(error));
    socket.write(bytes);
  });
}

/**
 * Writes `bytes` as they are and collects all the server sends until it ends the connection, for what happens
 * after an answer (a keep-alive connection closed once idle). `closedByServer` is false when `timeoutMs` came
 * first; the socket is then destroyed.
 */
export function rawUntilClosed(port: number, bytes: Buffer, timeoutMs = 10_000): Promise<{ received: Buffer; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve({ received: Buffer.concat(chunks), closedByServer: true }));
    socket.on('error', reject);
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      resolve({ received: Buffer.concat(chunks), closedByServer: false });
    });
    socket.write(bytes);
  });
}

const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');

function splitHead(received: Buffer): { head: string; rest: Buffer } | undefined {
  const end = received.indexOf(HEADER_END);
  if (end < 0) return undefined;
  return { head: received.subarray(0, end).toString('latin1'), rest: received.subarray(end + 4) };
}

function isComplete(received: Buffer): boolean {
  const split = splitHead(received);
  if (split === undefined) return false;
  const headers = parseHead(split.head).headers;
  if (headers['transfer-encoding']?.toLowerCase().includes('chunked')) return decodeChunked(split.rest) !== undefined;
  const length = headers['content-length'];
  if (length !== undefined) return split.rest.length >= Number(length);
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(split.head)?.[1]);
  return status === 204 || status === 304;
}

function parseHead(head: string): { status: number; headers: Record<string, string>; headerLines: [string, string][] } {
  const [statusLine = '', ...lines] = head.split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (match === null) throw new Error(`not an HTTP response: ${JSON.stringify(statusLine.slice(0, 80))}`);
  const headers: Record<string, string> = {};
  const headerLines: [string, string][] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headerLines.push([name, value]);
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status: Number(match[1]), headers, headerLines };
}

/** The body of a chunked message, or undefined while it is incomplete. */
function decodeChunked(data: Buffer): Buffer | undefined {
  const out: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', offset, 'latin1');
    if (lineEnd < 0) return undefined;
    const size = parseInt(data.subarray(offset, lineEnd).toString('latin1').split(';')[0]!, 16);
    if (Number.isNaN(size)) throw new Error('malformed chunked body');
    if (size === 0) return Buffer.concat(out);
    const start = lineEnd + 2;
    if (data.length < start + size + 2) return undefined;
    out.push(data.subarray(start, start + size));
    offset = start + size + 2;
  }
}

export function parseResponse(received: Buffer): RawResponse {
  const split = splitHead(received);
  if (split === undefined) throw new Error(`incomplete HTTP response (${received.length} bytes)`);
  const { status, headers, headerLines } = parseHead(split.head);
  let body = split.rest;
  if (headers['transfer-encoding']?.toLowerCase().includes('chunked')) {
    body = decodeChunked(split.rest) ?? split.rest;
  } else if (headers['content-length'] !== undefined) {
    body = split.rest.subarray(0, Number(headers['content-length']));
  }
  return { status, headers, headerLines, body, text: body.toString('utf8') };
}

/** Percent-encodes every byte of the UTF-8 form of `text` outside the unreserved set (lone surrogates become U+FFFD). */
export function percentEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
