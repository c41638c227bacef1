/**
 * Permission escalation, end to end over a real socket (dev mode): every attempt to reach further than the
 * "Permissions" table of docs/api.md allows is refused — `403 Authorization_RequestDenied`, or `404` where the
 * docs say so (an operation under the wrong user; a user of another tenant) — alone, inside `$batch`,
 * and through `$filter`/`$count`. After every refused write the target is read back and must be exactly as
 * it was (entity, ETag, the user's collection), and the store must hold no more and no fewer operations.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CONSUMER_TENANT_ID } from '../../src/auth/principal.js';
import { OPERATION_STATUSES } from '../../src/operations/status.js';
import { DEV_TENANT_ID, startHarness, type Harness } from '../support/harness.js';

const READ = 'UserAuthenticationMethod.Read';
const READ_ALL = 'UserAuthenticationMethod.Read.All';
const READ_WRITE = 'UserAuthenticationMethod.ReadWrite';
const READ_WRITE_ALL = 'UserAuthenticationMethod.ReadWrite.All';

const TENANT_A = DEV_TENANT_ID;
const TENANT_B = '5b0e6f1a-0000-4bbb-8bbb-00000000000b';
const TENANT_C = '5b0e6f1a-0000-4ccc-8ccc-00000000000c';

const FORBIDDEN = 'Authorization_RequestDenied';
const ITEM_NOT_FOUND = 'itemNotFound';
const USER_NOT_FOUND = 'Request_ResourceNotFound';
const INSUFFICIENT = 'Insufficient privileges to complete the operation.';
const ME_NEEDS_A_USER = '/me request is only valid with delegated authentication flow.';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a refused write would have written. */
const PATCH_BODY = { status: 'failed', statusDetail: 'escalated', resourceLocation: 'https://evil.example/' };
const POST_BODY = { statusDetail: 'escalated' };

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: any;
}

interface Attempt {
  readonly method: Method;
  /** Relative to the service root, with the version: `/v1.0/me/authentication/operations`. */
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

interface Person {
  readonly id: string;
  readonly upn: string;
  readonly token: string;
}

/** Where an attempt aims: a user's collection, and one of its operations when there is one. */
interface Target {
  readonly userId: string;
  readonly opId?: string;
}

describe('permission escalation over HTTP', () => {
  let h: Harness;
  let base: string;

  let alice: Person; // the victim, tenant A
  let aliceOps: string[];
  let bob: Person; // another user of tenant A
  let bobOp: string;
  let mallory: Person & { read: string; readAll: string; readWrite: string }; // the attacker, tenant A
  let malloryOps: string[];
  let admin: Person; // ReadWrite.All, tenant A
  let auditor: Person; // Read.All, tenant A
  let witness: string; // a ReadWrite.All token that only ever reads, to look at targets

  // ------------------------------------------------------------------------------------------ HTTP

  async function call(token: string | undefined, attempt: Attempt): Promise<Answer> {
    const headers: Record<string, string> = { ...attempt.headers };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (attempt.body !== undefined) headers['content-type'] ??= 'application/json';
    const response = await fetch(`${base}${attempt.path}`, {
      method: attempt.method,
      headers,
      ...(attempt.body !== undefined && { body: JSON.stringify(attempt.body) }),
    });
    const text = await response.text();
    const json = /json/.test(response.headers.get('content-type') ?? '') && text !== '' ? JSON.parse(text) : undefined;
    return { status: response.status, headers: response.headers, text, json };
  }

  async function batch(token: string, requests: unknown[], version = 'v1.0'): Promise<Answer> {
    const answer = await call(token, { method: 'POST', path: `/${version}/$batch`, body: { requests } });
    assert.equal(answer.status, 200, `the batch itself: ${answer.text}`);
    return answer;
  }

  /** Graph's error envelope with this status and code (and message, when given). */
  function assertError(status: number, code: string, body: any, actual: number, what: string, message?: string): void {
    assert.equal(actual, status, `${what}: expected ${status}, got ${actual} ${JSON.stringify(body)}`);
    assert.equal(body?.error?.code, code, `${what}: code`);
    assert.equal(typeof body.error.message, 'string');
    if (message !== undefined) assert.equal(body.error.message, message, `${what}: message`);
    assert.match(body.error.innerError['request-id'], GUID, `${what}: innerError`);
  }

  function assertAnswer(answer: Answer, status: number, code: string, what: string, message?: string): void {
    assertError(status, code, answer.json, answer.status, what, message);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/json/, `${what}: content type`);
  }

  // ----------------------------------------------------------------------------------- read-backs

  /** All operations of every owner, by status: a refused write must leave these exactly as they were. */
  async function storeTotals(): Promise<Record<string, number>> {
    const { operationsByStatus } = await h.store.statistics();
    return Object.fromEntries(OPERATION_STATUSES.map((status) => [status, operationsByStatus[status]]));
  }

  /** The target as its tenant's ReadWrite.All witness reads it: the collection's ids, and the entity with its ETag. */
  async function readBack(target: Target): Promise<unknown> {
    const collection = await call(witness, { method: 'GET', path: `/v1.0/users/${target.userId}/authentication/operations?$top=999` });
    assert.equal(collection.status, 200, `read-back of ${target.userId}: ${collection.text}`);
    const ids = (collection.json.value as { id: string }[]).map((op) => op.id).sort();
    if (target.opId === undefined) return { ids };
    const item = await call(witness, { method: 'GET', path: `/v1.0/users/${target.userId}/authentication/operations/${target.opId}` });
    assert.equal(item.status, 200, `read-back of ${target.opId}: ${item.text}`);
    return { ids, etag: item.headers.get('etag'), entity: item.json };
  }

  /** Runs a write that must be refused, and checks that neither the target nor the store changed. */
  async function refusedWrite(token: string, attempt: Attempt, target: Target, status: number, code: string, message?: string): Promise<void> {
    const before = { target: await readBack(target), totals: await storeTotals() };
    const answer = await call(token, attempt);
    assertAnswer(answer, status, code, `${attempt.method} ${attempt.path}`, message);
    assert.deepEqual(await readBack(target), before.target, `${attempt.method} ${attempt.path} changed its target`);
    assert.deepEqual(await storeTotals(), before.totals, `${attempt.method} ${attempt.path} changed the store`);
  }

  /** A refused read: nothing but the refusal comes back. */
  async function refusedRead(token: string, attempt: Attempt, status: number, code: string, message?: string): Promise<void> {
    const answer = await call(token, attempt);
    assertAnswer(answer, status, code, `${attempt.method} ${attempt.path}`, message);
    assert.deepEqual(Object.keys(answer.json), ['error']);
  }

  /** The three writes on a user's collection and one of its operations. */
  function writes(collection: string, opId: string): Attempt[] {
    return [
      { method: 'POST', path: collection, body: POST_BODY },
      { method: 'PATCH', path: `${collection}/${opId}`, body: PATCH_BODY },
      { method: 'PATCH', path: `${collection}/${opId}`, body: PATCH_BODY, headers: { 'if-match': '*' } },
      { method: 'DELETE', path: `${collection}/${opId}` },
      { method: 'DELETE', path: `${collection}/${opId}`, headers: { 'if-match': '*' } },
    ];
  }

  /** The reads of a user's collection: list (plain, filtered, counted), `$count`, one operation. */
  function reads(collection: string, opId: string): Attempt[] {
    return [
      { method: 'GET', path: collection },
      { method: 'GET', path: `${collection}?$top=1&$count=true` },
      { method: 'GET', path: `${collection}?$filter=${encodeURIComponent(`id eq '${opId}'`)}` },
      { method: 'GET', path: `${collection}/$count` },
      { method: 'GET', path: `${collection}/$count?$filter=${encodeURIComponent("status eq 'running'")}` },
      { method: 'GET', path: `${collection}/${opId}` },
      { method: 'GET', path: `${collection}/${opId}?$select=status,statusDetail` },
    ];
  }

  /** Every spelling of a user's collection: by object id and UPN, in other cases, on both versions. */
  function collectionsOf(person: Person): string[] {
    return [
      `/v1.0/users/${person.id}/authentication/operations`,
      `/v1.0/users/${person.upn}/authentication/operations`,
      `/beta/users/${person.id.toUpperCase()}/authentication/operations`,
      `/beta/users/${person.upn.toUpperCase()}/authentication/operations`,
      `/v1.0/users/${encodeURIComponent(person.upn)}/authentication/operations`,
      `/V1.0/Users/${person.upn}/Authentication/Operations`,
    ];
  }

  async function person(upn: string, scopes: string[], tenantId = TENANT_A): Promise<Person> {
    const { user, token } = await h.user(upn, { scopes, tenantId });
    return { id: user.id, upn, token };
  }

  async function create(token: string, collection: string, body: unknown): Promise<string> {
    const answer = await call(token, { method: 'POST', path: collection, body });
    assert.equal(answer.status, 201, answer.text);
    return answer.json.id as string;
  }

  before(async () => {
    h = await startHarness();
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;

    alice = await person('alice@contoso.com', [READ_WRITE]);
    bob = await person('bob@contoso.com', [READ_WRITE]);
    const m = await person('mallory@contoso.com', [READ_WRITE]);
    mallory = {
      ...m,
      readWrite: m.token,
      read: (await h.user(m.upn, { scopes: [READ] })).token,
      readAll: (await h.user(m.upn, { scopes: [READ_ALL] })).token,
    };
    admin = await person('admin@contoso.com', [READ_WRITE_ALL]);
    auditor = await person('auditor@contoso.com', [READ_ALL]);
    witness = (await h.user('witness@contoso.com', { scopes: [READ_WRITE_ALL] })).token;

    const me = '/v1.0/me/authentication/operations';
    aliceOps = [
      await create(alice.token, me, { statusDetail: 'alice-secret', status: 'running', resourceLocation: 'https://contoso.example/a' }),
      await create(alice.token, me, { statusDetail: 'alice-second' }),
    ];
    bobOp = await create(bob.token, me, { statusDetail: 'bob-op' });
    malloryOps = [await create(mallory.readWrite, me, { statusDetail: 'mallory-own', status: 'running' })];
  });

  after(() => h?.close());

  // ------------------------------------------------------------------------------------------ tests

  describe('a .Read token cannot write its own operations', () => {
    for (const [name, scope] of [
      ['.Read', READ],
      ['.Read.All', READ_ALL],
    ] as const) {
      it(`${name}: POST, PATCH and DELETE on /me and on /users/{self} are 403, and nothing is written`, async () => {
        const token = scope === READ ? mallory.read : mallory.readAll;
        const self: Target = { userId: mallory.id, opId: malloryOps[0]! };
        const collections = ['/v1.0/me/authentication/operations', '/beta/me/authentication/operations', ...collectionsOf(mallory)];
        for (const collection of collections) {
          for (const attempt of writes(collection, malloryOps[0]!)) {
            await refusedWrite(token, attempt, self, 403, FORBIDDEN, INSUFFICIENT);
          }
        }
        // and reading them is allowed, which shows the token is good and the refusal is about writing
        const list = await call(token, { method: 'GET', path: '/v1.0/me/authentication/operations' });
        assert.equal(list.status, 200);
        assert.deepEqual(list.json.value.map((op: { id: string }) => op.id), malloryOps);
      });
    }

    it('a method override header does not turn a permitted read into a write', async () => {
      const self: Target = { userId: mallory.id, opId: malloryOps[0]! };
      const before = await readBack(self);
      for (const override of ['x-http-method-override', 'x-http-method', 'x-method-override']) {
        const answer = await call(mallory.read, {
          method: 'GET',
          path: `/v1.0/me/authentication/operations/${malloryOps[0]}`,
          headers: { [override]: 'DELETE' },
        });
        assert.equal(answer.status, 200, override);
        const post = await call(mallory.read, {
          method: 'POST',
          path: `/v1.0/me/authentication/operations/${malloryOps[0]}`,
          headers: { [override]: 'PATCH' },
          body: PATCH_BODY,
        });
        assert.ok(post.status === 403 || post.status === 405, `${override}: ${post.status}`);
      }
      assert.deepEqual(await readBack(self), before);
    });
  });

  describe("a user without .All cannot reach another user's operations", () => {
    for (const [name, pick] of [
      ['.Read', () => mallory.read],
      ['.ReadWrite', () => mallory.readWrite],
    ] as const) {
      it(`${name}: every read, by object id and by UPN, is 403`, async () => {
        for (const collection of collectionsOf(alice)) {
          for (const attempt of reads(collection, aliceOps[0]!)) await refusedRead(pick(), attempt, 403, FORBIDDEN, INSUFFICIENT);
        }
      });

      it(`${name}: every write, by object id and by UPN, is 403, and the victim's operations are unchanged`, async () => {
        for (const collection of collectionsOf(alice)) {
          for (const attempt of writes(collection, aliceOps[0]!)) {
            await refusedWrite(pick(), attempt, { userId: alice.id, opId: aliceOps[0]! }, 403, FORBIDDEN, INSUFFICIENT);
          }
        }
      });
    }

    it('.Read.All may read but not write: writes are 403 and change nothing', async () => {
      const item = `/v1.0/users/${alice.upn}/authentication/operations/${aliceOps[0]}`;
      assert.equal((await call(mallory.readAll, { method: 'GET', path: item })).status, 200);
      for (const collection of collectionsOf(alice)) {
        for (const attempt of writes(collection, aliceOps[0]!)) {
          await refusedWrite(mallory.readAll, attempt, { userId: alice.id, opId: aliceOps[0]! }, 403, FORBIDDEN, INSUFFICIENT);
        }
      }
    });

    it('probing a user who does not exist is the same 403: no user enumeration without .All', async () => {
      for (const key of ['nobody@contoso.com', '00000000-0000-4000-8000-0000000000ff']) {
        await refusedRead(mallory.readWrite, { method: 'GET', path: `/v1.0/users/${key}/authentication/operations` }, 403, FORBIDDEN, INSUFFICIENT);
      }
    });
  });

  describe('with .All, an operation id under the wrong user is 404', () => {
    it('GET through another user, /me and the caller: 404 itemNotFound', async () => {
      for (const token of [admin.token, auditor.token]) {
        for (const collection of [
          ...collectionsOf(bob),
          '/v1.0/me/authentication/operations',
          `/v1.0/users/${mallory.id}/authentication/operations`,
        ]) {
          await refusedRead(token, { method: 'GET', path: `${collection}/${aliceOps[0]}` }, 404, ITEM_NOT_FOUND);
        }
      }
    });

    it("PATCH and DELETE through the wrong user are 404, and the operation is unchanged", async () => {
      for (const collection of [...collectionsOf(bob), '/v1.0/me/authentication/operations', '/beta/me/authentication/operations']) {
        for (const attempt of writes(collection, aliceOps[0]!).filter((a) => a.method !== 'POST')) {
          await refusedWrite(admin.token, attempt, { userId: alice.id, opId: aliceOps[0]! }, 404, ITEM_NOT_FOUND);
        }
      }
    });
  });

  describe('application tokens', () => {
    it('an application token on /me is 403, whatever its roles, and writes nothing', async () => {
      const app = await h.appToken([READ_WRITE_ALL, READ_ALL]);
      for (const collection of ['/v1.0/me/authentication/operations', '/beta/me/authentication/operations', '/v1.0/ME/authentication/operations']) {
        for (const attempt of reads(collection, aliceOps[0]!)) await refusedRead(app, attempt, 403, FORBIDDEN, ME_NEEDS_A_USER);
        for (const attempt of writes(collection, aliceOps[0]!)) {
          await refusedWrite(app, attempt, { userId: alice.id, opId: aliceOps[0]! }, 403, FORBIDDEN, ME_NEEDS_A_USER);
        }
      }
    });

    it('an application token with only .Read.All may read but not write: 403, nothing written', async () => {
      const app = await h.appToken([READ_ALL]);
      const item = `/v1.0/users/${alice.id}/authentication/operations/${aliceOps[0]}`;
      assert.equal((await call(app, { method: 'GET', path: item })).status, 200);
      for (const collection of collectionsOf(alice)) {
        for (const attempt of writes(collection, aliceOps[0]!)) {
          await refusedWrite(app, attempt, { userId: alice.id, opId: aliceOps[0]! }, 403, FORBIDDEN, INSUFFICIENT);
        }
      }
    });

    it('an application token needs an .All role: delegated-style and unrelated roles are 403 even to read', async () => {
      for (const roles of [[READ], [READ_WRITE], ['User.ReadWrite.All'], ['Directory.ReadWrite.All']]) {
        const app = await h.appToken(roles);
        const collection = `/v1.0/users/${alice.id}/authentication/operations`;
        for (const attempt of reads(collection, aliceOps[0]!)) await refusedRead(app, attempt, 403, FORBIDDEN, INSUFFICIENT);
        for (const attempt of writes(collection, aliceOps[0]!)) {
          await refusedWrite(app, attempt, { userId: alice.id, opId: aliceOps[0]! }, 403, FORBIDDEN, INSUFFICIENT);
        }
      }
    });
  });

  describe('the same attempts inside $batch', () => {
    /** The inner requests for `attempts`, with version-relative URLs, bodies and their Content-Type. */
    function inner(attempts: Attempt[]): unknown[] {
      return attempts.map((attempt, index) => ({
        id: String(index + 1),
        method: attempt.method,
        url: attempt.path.replace(/^\/(v1\.0|beta)/i, ''),
        headers: { ...(attempt.body !== undefined && { 'Content-Type': 'application/json' }), ...attempt.headers },
        ...(attempt.body !== undefined && { body: attempt.body }),
      }));
    }

    async function refusedBatch(token: string, attempts: Attempt[], status: number, code: string, targets: Target[], message?: string): Promise<void> {
      const before = { targets: await Promise.all(targets.map(readBack)), totals: await storeTotals() };
      for (const version of ['v1.0', 'beta']) {
        const answer = await batch(token, inner(attempts), version);
        const responses = answer.json.responses as { id: string; status: number; body: any }[];
        assert.equal(responses.length, attempts.length);
        for (const [index, response] of responses.entries()) {
          const attempt = attempts[index]!;
          assert.equal(response.id, String(index + 1));
          assertError(status, code, response.body, response.status, `batched ${attempt.method} ${attempt.path}`, message);
        }
      }
      assert.deepEqual(await Promise.all(targets.map(readBack)), before.targets, 'a batched attempt changed its target');
      assert.deepEqual(await storeTotals(), before.totals, 'a batched attempt changed the store');
    }

    it('a .Read token: writes to its own operations are 403 each, nothing written', async () => {
      await refusedBatch(mallory.read, writes('/v1.0/me/authentication/operations', malloryOps[0]!), 403, FORBIDDEN, [
        { userId: mallory.id, opId: malloryOps[0]! },
      ], INSUFFICIENT);
    });

    it("a user without .All: every read and write of another user's operations is 403 each, nothing written", async () => {
      const attempts = [alice.id, alice.upn, alice.upn.toUpperCase()].flatMap((key) => {
        const collection = `/v1.0/users/${key}/authentication/operations`;
        return [...reads(collection, aliceOps[0]!), ...writes(collection, aliceOps[0]!)];
      });
      for (const token of [mallory.read, mallory.readWrite]) {
        for (let start = 0; start < attempts.length; start += 20) {
          await refusedBatch(token, attempts.slice(start, start + 20), 403, FORBIDDEN, [{ userId: alice.id, opId: aliceOps[0]! }], INSUFFICIENT);
        }
      }
    });

    it("an inner Authorization header does not replace the batch's token", async () => {
      const collection = `/v1.0/users/${alice.id}/authentication/operations`;
      const attempts = writes(collection, aliceOps[0]!).map((attempt) => ({
        ...attempt,
        headers: { ...attempt.headers, Authorization: `Bearer ${admin.token}` },
      }));
      await refusedBatch(mallory.read, attempts, 403, FORBIDDEN, [{ userId: alice.id, opId: aliceOps[0]! }], INSUFFICIENT);
      const lowercase = writes(collection, aliceOps[0]!).map((attempt) => ({ ...attempt, headers: { authorization: `Bearer ${admin.token}` } }));
      await refusedBatch(mallory.readWrite, lowercase, 403, FORBIDDEN, [{ userId: alice.id, opId: aliceOps[0]! }], INSUFFICIENT);
    });

    it('with .All, an operation id under the wrong user is 404 each, nothing written', async () => {
      const attempts = [`/v1.0/users/${bob.id}/authentication/operations`, '/v1.0/me/authentication/operations'].flatMap((collection) => [
        { method: 'GET' as const, path: `${collection}/${aliceOps[0]}` },
        ...writes(collection, aliceOps[0]!).filter((a) => a.method !== 'POST'),
      ]);
      await refusedBatch(admin.token, attempts, 404, ITEM_NOT_FOUND, [
        { userId: alice.id, opId: aliceOps[0]! },
        { userId: bob.id, opId: bobOp },
      ]);
    });

    it('an application token: /me is 403 each; .Read.All writes are 403 each; nothing written', async () => {
      const writer = await h.appToken([READ_WRITE_ALL]);
      const me = '/v1.0/me/authentication/operations';
      await refusedBatch(writer, [...reads(me, aliceOps[0]!), ...writes(me, aliceOps[0]!)], 403, FORBIDDEN, [{ userId: alice.id, opId: aliceOps[0]! }], ME_NEEDS_A_USER);
      const reader = await h.appToken([READ_ALL]);
      await refusedBatch(reader, writes(`/v1.0/users/${alice.id}/authentication/operations`, aliceOps[0]!), 403, FORBIDDEN, [
        { userId: alice.id, opId: aliceOps[0]! },
      ], INSUFFICIENT);
    });

    it("a request that depends on a permitted one is still authorized on its own", async () => {
      const before = await readBack({ userId: alice.id, opId: aliceOps[0]! });
      const answer = await batch(mallory.read, [
        { id: 'look', method: 'GET', url: '/me/authentication/operations' },
        { id: 'write', method: 'PATCH', url: `/users/${alice.id}/authentication/operations/${aliceOps[0]}`, headers: { 'Content-Type': 'application/json' }, body: PATCH_BODY, dependsOn: ['look'] },
        { id: 'delete', method: 'DELETE', url: `/users/${alice.id}/authentication/operations/${aliceOps[0]}`, dependsOn: ['look'] },
      ]);
      assert.deepEqual(answer.json.responses.map((r: { status: number }) => r.status), [200, 403, 403]);
      assert.deepEqual(await readBack({ userId: alice.id, opId: aliceOps[0]! }), before);
    });
  });

  describe('$filter and $count cannot reach across users', () => {
    const me = '/v1.0/me/authentication/operations';
    const filtered = (filter: string, extra = ''): string => `${me}?$filter=${encodeURIComponent(filter)}${extra}`;

    it("a filter on another user's operation id, or on their data, through /me finds nothing", async () => {
      for (const token of [mallory.read, mallory.readWrite, admin.token]) {
        for (const filter of [
          `id eq '${aliceOps[0]}'`,
          `id in ('${aliceOps[0]}', '${aliceOps[1]}', '${bobOp}')`,
          "statusDetail eq 'alice-secret'",
          "startswith(statusDetail,'alice')",
          "resourceLocation eq 'https://contoso.example/a'",
        ]) {
          const list = await call(token, { method: 'GET', path: filtered(filter, '&$count=true') });
          assert.equal(list.status, 200, `${filter}: ${list.text}`);
          assert.deepEqual(list.json.value, [], filter);
          assert.equal(list.json['@odata.count'], 0, filter);
          const count = await call(token, { method: 'GET', path: `${me}/$count?$filter=${encodeURIComponent(filter)}` });
          assert.equal(count.status, 200, count.text);
          assert.equal(count.text, '0', `$count ${filter}`);
        }
      }
    });

    it('a filter that matches everything still sees only the caller’s own operations', async () => {
      for (const filter of [
        `id ne 'x' or id eq '${aliceOps[0]}'`,
        "not (id eq 'x')",
        "statusDetail eq null or statusDetail ne null",
        "contains(id,'-')",
      ]) {
        const list = await call(mallory.read, { method: 'GET', path: filtered(filter, '&$count=true&$top=999') });
        assert.equal(list.status, 200, `${filter}: ${list.text}`);
        assert.deepEqual(list.json.value.map((op: { id: string }) => op.id).sort(), [...malloryOps].sort(), filter);
        assert.equal(list.json['@odata.count'], malloryOps.length, filter);
        const count = await call(mallory.read, { method: 'GET', path: `${me}/$count?$filter=${encodeURIComponent(filter)}` });
        assert.equal(count.text, String(malloryOps.length), `$count ${filter}`);
      }
      const plain = await call(mallory.read, { method: 'GET', path: `${me}/$count` });
      assert.equal(plain.text, String(malloryOps.length));
    });

    it('a filter that tries to break out of its string literal is refused or finds nothing', async () => {
      for (const filter of [
        "statusDetail eq 'x' or 1 eq 1",
        "statusDetail eq 'x'' or ''1''=''1'",
        "statusDetail eq 'x') or (1=1",
        "statusDetail eq 'x'; DROP TABLE operations; --'",
        `id eq '${aliceOps[0]}' or tenant_id ne ''`,
        `user_id ne '${mallory.id}'`,
      ]) {
        const list = await call(mallory.read, { method: 'GET', path: filtered(filter) });
        if (list.status === 200) assert.deepEqual(list.json.value, [], filter);
        else assertAnswer(list, 400, 'BadRequest', filter);
      }
      assert.equal((await readBack({ userId: alice.id })) !== undefined, true);
      assert.equal((await call(witness, { method: 'GET', path: `/v1.0/users/${alice.id}/authentication/operations/$count` })).text, String(aliceOps.length));
    });

    it("another user's $skiptoken (from their nextLink) pages only the caller's own operations", async () => {
      const first = await call(alice.token, { method: 'GET', path: `${me}?$top=1` });
      const nextLink = first.json['@odata.nextLink'] as string;
      assert.ok(nextLink, 'alice has more than one page');
      const stolen = await call(mallory.read, { method: 'GET', path: nextLink.slice(base.length) });
      if (stolen.status === 200) {
        for (const op of stolen.json.value as { id: string }[]) assert.ok(malloryOps.includes(op.id), `${op.id} is not mallory's`);
      } else {
        assertAnswer(stolen, 400, 'BadRequest', 'stolen nextLink');
      }
    });

    it('through $batch, filters on /me find nothing of another user', async () => {
      const answer = await batch(mallory.read, [
        { id: '1', method: 'GET', url: `/me/authentication/operations?$filter=${encodeURIComponent(`id eq '${aliceOps[0]}'`)}&$count=true` },
        { id: '2', method: 'GET', url: `/me/authentication/operations/$count?$filter=${encodeURIComponent("statusDetail eq 'alice-secret'")}` },
        { id: '3', method: 'GET', url: `/me/authentication/operations/${aliceOps[0]}` },
      ]);
      const [list, count, item] = answer.json.responses as { status: number; body: any }[];
      assert.equal(list!.status, 200);
      assert.deepEqual(list!.body.value, []);
      assert.equal(list!.body['@odata.count'], 0);
      assert.equal(count!.status, 200);
      assert.equal(String(count!.body), '0');
      assertError(404, ITEM_NOT_FOUND, item!.body, item!.status, 'batched GET of another user’s id through /me');
    });
  });

  describe('tenants are kept apart', () => {
    it("a tenant-B token with .ReadWrite.All cannot see tenant A's user, by object id or UPN: 404, nothing written", async () => {
      const adminB = await person('admin@fabrikam.com', [READ_WRITE_ALL], TENANT_B);
      const appB = await h.appToken([READ_WRITE_ALL], TENANT_B);
      for (const token of [adminB.token, appB]) {
        for (const collection of collectionsOf(alice)) {
          for (const attempt of reads(collection, aliceOps[0]!)) await refusedRead(token, attempt, 404, USER_NOT_FOUND);
          for (const attempt of writes(collection, aliceOps[0]!)) {
            await refusedWrite(token, attempt, { userId: alice.id, opId: aliceOps[0]! }, 404, USER_NOT_FOUND);
          }
        }
      }
    });

    it("tenant B's own user with the same UPN is another user: tenant A's ids are 404 there", async () => {
      const adminB = await person('admin@fabrikam.com', [READ_WRITE_ALL], TENANT_B);
      const aliceB = await person(alice.upn, [READ_WRITE], TENANT_B);
      assert.notEqual(aliceB.id, alice.id);
      const collection = `/v1.0/users/${alice.upn}/authentication/operations`;
      const list = await call(adminB.token, { method: 'GET', path: `${collection}?$count=true` });
      assert.equal(list.status, 200, list.text);
      assert.deepEqual(list.json.value, []);
      assert.equal(list.json['@odata.count'], 0);
      await refusedRead(adminB.token, { method: 'GET', path: `${collection}/${aliceOps[0]}` }, 404, ITEM_NOT_FOUND);
      for (const attempt of writes(collection, aliceOps[0]!).filter((a) => a.method !== 'POST')) {
        await refusedWrite(adminB.token, attempt, { userId: alice.id, opId: aliceOps[0]! }, 404, ITEM_NOT_FOUND);
      }
      // and tenant-B alice's /me is her own, empty
      const own = await call(aliceB.token, { method: 'GET', path: `/v1.0/me/authentication/operations/${aliceOps[0]}` });
      assertAnswer(own, 404, ITEM_NOT_FOUND, "tenant-B alice reading tenant-A alice's id");
    });

    it("a token of another tenant that carries tenant A's object id reaches nothing of tenant A", async () => {
      const impostor = await h.authority.mint({ tenantId: TENANT_C, user: { id: alice.id, userPrincipalName: alice.upn } });
      const target: Target = { userId: alice.id, opId: aliceOps[0]! };
      for (const collection of ['/v1.0/me/authentication/operations', `/v1.0/users/${alice.id}/authentication/operations`, `/v1.0/users/${alice.upn}/authentication/operations`]) {
        const list = await call(impostor, { method: 'GET', path: `${collection}?$count=true` });
        assert.equal(list.status, 200, list.text);
        assert.deepEqual(list.json.value, [], collection);
        assert.equal((await call(impostor, { method: 'GET', path: `${collection}/$count` })).text, '0');
        await refusedRead(impostor, { method: 'GET', path: `${collection}/${aliceOps[0]}` }, 404, ITEM_NOT_FOUND);
        for (const attempt of writes(collection, aliceOps[0]!).filter((a) => a.method !== 'POST')) {
          await refusedWrite(impostor, attempt, target, 404, ITEM_NOT_FOUND);
        }
      }
      // what it creates is its own tenant's, never tenant A's alice's
      const before = await readBack(target);
      assert.equal((await call(impostor, { method: 'POST', path: '/v1.0/me/authentication/operations', body: POST_BODY })).status, 201);
      assert.deepEqual(await readBack(target), before);
      assert.equal(await h.store.operations.count({ tenantId: TENANT_C, userId: alice.id }), 1);
    });
  });

  describe('personal Microsoft accounts', () => {
    it('a personal account (the consumer tenant) is 403 for everything, with every scope, and nothing is written', async () => {
      const consumer = await person('someone@outlook.com', [READ, READ_ALL, READ_WRITE, READ_WRITE_ALL], CONSUMER_TENANT_ID);
      const consumerApp = await h.appToken([READ_WRITE_ALL], CONSUMER_TENANT_ID);
      const totals = await storeTotals();
      for (const token of [consumer.token, consumerApp]) {
        for (const collection of [
          '/v1.0/me/authentication/operations',
          `/v1.0/users/${consumer.id}/authentication/operations`,
          `/v1.0/users/${consumer.upn}/authentication/operations`,
          `/v1.0/users/${alice.id}/authentication/operations`,
        ]) {
          for (const attempt of [...reads(collection, aliceOps[0]!), ...writes(collection, aliceOps[0]!)]) {
            const answer = await call(token, attempt);
            assertAnswer(answer, 403, FORBIDDEN, `personal account: ${attempt.method} ${attempt.path}`);
            assert.match(answer.json.error.message, /Personal Microsoft accounts/);
          }
        }
      }
      assert.deepEqual(await storeTotals(), totals);
      assert.equal(await h.store.operations.count({ tenantId: CONSUMER_TENANT_ID, userId: consumer.id }), 0);
    });
  });

  it('after everything, the victims’ operations are exactly as they were made', async () => {
    const list = await call(witness, { method: 'GET', path: `/v1.0/users/${alice.id}/authentication/operations?$orderby=statusDetail` });
    assert.deepEqual(
      list.json.value.map((op: { id: string; status: string; statusDetail: string }) => [op.id, op.status, op.statusDetail]),
      [
        [aliceOps[1], 'notStarted', 'alice-second'],
        [aliceOps[0], 'running', 'alice-secret'],
      ],
    );
    const bobs = await call(witness, { method: 'GET', path: `/v1.0/users/${bob.id}/authentication/operations/${bobOp}` });
    assert.equal(bobs.json.statusDetail, 'bob-op');
    const item = await call(witness, { method: 'GET', path: `/v1.0/users/${alice.id}/authentication/operations/${aliceOps[0]}` });
    assert.equal(item.headers.get('etag'), (await call(alice.token, { method: 'GET', path: `/v1.0/me/authentication/operations/${aliceOps[0]}` })).headers.get('etag'));
    assert.equal(item.json.resourceLocation, 'https://contoso.example/a');
  });
});
