import assert from 'node:assert/strict';
import { WWW_AUTHENTICATE } from '../../src/auth/token-verifier.js';
import { GraphError } from '../../src/graph/errors.js';

/**
 * Assertions on Graph's errors, as code throws them (a {@link GraphError}) and as a client meets them over HTTP
 * (an {@link HttpAnswer}). Each returns `true` so it can be the validator of `assert.throws`/`assert.rejects`.
 */

/** An answer read over HTTP with `fetch`: the status, the headers, the body as text and, when JSON, parsed. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: any;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A thrown `invalidQuery` GraphError (400 BadRequest). */
export function isInvalidQuery(error: unknown): true {
  assert.ok(error instanceof GraphError, `expected a GraphError, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  assert.equal(error.kind, 'invalidQuery');
  assert.equal(error.status, 400);
  return true;
}

/**
 * A token refused: 401 InvalidAuthenticationToken with Graph's `WWW-Authenticate`, and `message` when given.
 * Thrown (a verifier's GraphError, of kind `unauthenticated`), or answered over HTTP: then in Graph's envelope
 * exactly, and without the token or any part of it in the body or a header.
 */
export function assertUnauthenticated(error: unknown, message?: string): true;
export function assertUnauthenticated(answer: HttpAnswer, token: string, message?: string): true;
export function assertUnauthenticated(refusal: unknown, tokenOrMessage?: string, message?: string): true {
  if (!isHttpAnswer(refusal)) {
    assert.ok(refusal instanceof GraphError, `expected a GraphError, got ${String(refusal)}`);
    assert.equal(refusal.kind, 'unauthenticated');
    assert.equal(refusal.status, 401);
    assert.equal(refusal.code, 'InvalidAuthenticationToken');
    assert.equal(refusal.headers['WWW-Authenticate'], WWW_AUTHENTICATE);
    if (tokenOrMessage !== undefined) assert.equal(refusal.message, tokenOrMessage);
    return true;
  }
  assert.ok(tokenOrMessage !== undefined, 'an answer is checked against the token it refused');
  assertEnvelope(refusal, 401, 'InvalidAuthenticationToken', message);
  assert.equal(refusal.headers.get('www-authenticate'), WWW_AUTHENTICATE);
  assertNoLeak(refusal, tokenOrMessage);
  return true;
}

/** Graph's error envelope, exactly: `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`. */
export function assertEnvelope(answer: HttpAnswer, status: number, code: string, message?: string): void {
  assert.equal(answer.status, status, `status (body: ${answer.text})`);
  assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(Object.keys(answer.json), ['error']);
  const { error } = answer.json;
  assert.deepEqual(Object.keys(error).sort(), ['code', 'innerError', 'message']);
  assert.equal(error.code, code);
  assert.equal(typeof error.message, 'string');
  assert.ok(error.message.length > 0);
  if (message !== undefined) assert.equal(error.message, message);
  assert.match(error.innerError.date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  assert.match(error.innerError['request-id'], GUID);
  assert.equal(error.innerError['request-id'], answer.headers.get('request-id'));
  assert.equal(error.innerError['client-request-id'], answer.headers.get('client-request-id'));
}

/** Neither the token nor any of its parts comes back, in the body or in a header. */
export function assertNoLeak(answer: HttpAnswer, token: string): void {
  const parts = [token, ...token.split('.')].filter((part) => part.length >= 8);
  const headerText = [...answer.headers.entries()].map(([name, value]) => `${name}: ${value}`).join('\n');
  for (const part of parts) {
    assert.ok(!answer.text.includes(part), `the body echoes the token (or a part of it): ${answer.text}`);
    assert.ok(!headerText.includes(part), `a header echoes the token (or a part of it): ${headerText}`);
  }
}

function isHttpAnswer(value: unknown): value is HttpAnswer {
  return typeof value === 'object' && value !== null && !(value instanceof Error) && (value as { headers?: unknown }).headers instanceof Headers;
}
