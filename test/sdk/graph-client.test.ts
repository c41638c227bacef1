/**
 * `@microsoft/microsoft-graph-client` 3.0.7 (the pre-Kiota JavaScript client) against graph-lro, on v1.0
 * and beta: fluent `client.api(path)` calls, `.select`, `.top`, following `@odata.nextLink`, PageIterator,
 * and errors as GraphError.
 *
 * This client only knows `https://` endpoints: `isValidEndpoint` (GraphRequestUtil) matches a host only
 * after stripping a literal `https://`, so over `http://` it never attaches the token, not even for a host
 * in `customHosts`; and `client.api(absoluteUrl)` (GraphRequest.parsePath, used by PageIterator too)
 * recognises absolute URLs only when they contain `https://`, so an `http://` nextLink cannot be followed.
 * The suite therefore serves graph-lro over HTTPS (its `tls` option) with a self-signed certificate
 * (./self-signed-certificate.ts); the first test pins the plain-http behaviour down.
 *
 * Node 20's fetch has no public way to trust one extra CA at runtime, so certificate verification is
 * switched off for this test process while the suite runs (node --test runs every file in its own process)
 * and restored after.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, GraphError, PageIterator, type PageCollection } from '@microsoft/microsoft-graph-client';
import { startHarness, type Harness } from '../support/harness.js';
import { selfSignedCertificate } from './self-signed-certificate.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ENTITY_KEYS = ['@odata.context', '@odata.type', 'id', 'createdDateTime', 'lastActionDateTime', 'status', 'statusDetail', 'resourceLocation'];

/** The example request body of the longRunningOperation update page, with a valid status. */
const SEED_PATCH = {
  '@odata.type': '#microsoft.graph.longRunningOperation',
  lastActionDateTime: '2017-01-01T00:02:09.4916918+03:00',
  status: 'running',
  statusDetail: 'Status Detail value',
  resourceLocation: 'Resource Location value',
};

/** A GraphError as the client builds it from Graph's envelope. */
function isGraphError(statusCode: number, code: string) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof GraphError, `a GraphError, not ${String(error)}`);
    assert.equal(error.statusCode, statusCode);
    assert.equal(error.code, code);
    assert.ok(error.message.length > 0, 'the error has a message');
    assert.match(error.requestId ?? '', GUID);
    assert.equal(error.requestId, error.headers?.get('request-id'), 'innerError.request-id is the request-id header');
    assert.ok(!Number.isNaN(error.date.getTime()), 'innerError.date parses');
    const body = JSON.parse(error.body as string) as { code: string; message: string; innerError: Record<string, string> };
    assert.equal(body.code, code);
    assert.equal(body.message, error.message);
    assert.equal(body.innerError['client-request-id'], error.headers?.get('client-request-id'));
    return true;
  };
}

describe('@microsoft/microsoft-graph-client 3.0.7 against graph-lro', () => {
  let h: Harness;
  let plain: Harness;
  let httpAddress: string;
  const front = { origin: '' };
  let upn: string;
  let userId: string;
  let token: string;
  let client: Client;
  let previousTlsSetting: string | undefined;

  function clientFor(accessToken: string, baseUrl = `${front.origin}/`): Client {
    return Client.init({
      authProvider: (done) => done(null, accessToken),
      baseUrl,
      defaultVersion: 'v1.0',
      // Hostnames only, no port: the client compares the URL's hostname.
      customHosts: new Set(['127.0.0.1']),
    });
  }

  before(async () => {
    previousTlsSetting = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    const { key, certificate } = selfSignedCertificate('127.0.0.1');
    h = await startHarness({ tls: { key, cert: certificate } });
    front.origin = await h.app.listen({ port: 0, host: '127.0.0.1' });
    plain = await startHarness();
    httpAddress = await plain.app.listen({ port: 0, host: '127.0.0.1' });
    upn = 'megan.bowen@contoso.example';
    const signedIn = await h.user(upn);
    userId = signedIn.user.id;
    token = signedIn.token;
    client = clientFor(token);
  });

  after(async () => {
    await plain?.close();
    await h?.close();
    if (previousTlsSetting === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previousTlsSetting;
  });

  it('over plain http the client sends no token, even for a custom host: 401 InvalidAuthenticationToken', async () => {
    const overHttp = clientFor((await plain.user(upn)).token, `${httpAddress}/`);
    await assert.rejects(overHttp.api('/me/authentication/operations').get(), (error: unknown) => {
      isGraphError(401, 'InvalidAuthenticationToken')(error);
      assert.match((error as GraphError).message, /empty/i, 'the request arrived without a token');
      return true;
    });
    // The same request over https carries the token.
    const listed = (await client.api('/me/authentication/operations').get()) as PageCollection;
    assert.ok(Array.isArray(listed.value));
  });

  for (const version of ['v1.0', 'beta'] as const) {
    describe(version, () => {
      const collection = '/me/authentication/operations';
      const api = (path: string) => client.api(path).version(version);
      const create = async (body: object = {}) => {
        const created = (await api(collection).post(body)) as Record<string, unknown>;
        assert.match(String(created.id), GUID);
        return created;
      };

      it('POST creates a notStarted operation and GET reads every property back', async () => {
        const created = await create({ statusDetail: 'queued' });
        assert.deepEqual(Object.keys(created), ENTITY_KEYS);
        assert.equal(created['@odata.type'], '#microsoft.graph.longRunningOperation');
        assert.equal(
          created['@odata.context'],
          `${front.origin}/${version}/$metadata#users('${userId}')/authentication/operations/$entity`,
        );
        assert.equal(created.status, 'notStarted');
        assert.equal(created.statusDetail, 'queued');
        assert.equal(created.resourceLocation, null);
        assert.match(String(created.createdDateTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?Z$/);
        assert.equal(created.lastActionDateTime, created.createdDateTime);
        assert.ok(Math.abs(Date.parse(String(created.createdDateTime)) - Date.now()) < 60_000);

        const read = (await api(`${collection}/${created.id}`).get()) as Record<string, unknown>;
        assert.deepEqual(read, created);
      });

      it("PATCH with the documentation's example body answers 200 with the entity, the date in UTC", async () => {
        const created = await create();
        const patched = (await api(`${collection}/${created.id}`).patch(SEED_PATCH)) as Record<string, unknown>;
        assert.ok(patched, 'PATCH answers the entity');
        assert.deepEqual(Object.keys(patched), ENTITY_KEYS);
        assert.equal(patched.id, created.id);
        assert.equal(patched.createdDateTime, created.createdDateTime);
        assert.equal(patched.lastActionDateTime, '2016-12-31T21:02:09.4916918Z');
        assert.equal(patched.status, 'running');
        assert.equal(patched.statusDetail, 'Status Detail value');
        assert.equal(patched.resourceLocation, 'Resource Location value');
        assert.deepEqual(await api(`${collection}/${created.id}`).get(), patched);
      });

      it('PATCH with Prefer: return=minimal answers nothing and still applies', async () => {
        const created = await create();
        const answer = await api(`${collection}/${created.id}`).header('Prefer', 'return=minimal').patch({ status: 'succeeded' });
        assert.equal(answer, undefined);
        const read = (await api(`${collection}/${created.id}`).get()) as Record<string, unknown>;
        assert.equal(read.status, 'succeeded');
      });

      it('.select("status") answers the key and the status only', async () => {
        const created = await create({ statusDetail: 'not selected', resourceLocation: 'https://example.test/r' });
        const selected = (await api(`${collection}/${created.id}`).select('status').get()) as Record<string, unknown>;
        assert.deepEqual(Object.keys(selected).sort(), ['@odata.context', '@odata.type', 'id', 'status']);
        assert.equal(selected.id, created.id);
        assert.equal(selected.status, 'notStarted');
        assert.match(String(selected['@odata.context']), /\/authentication\/operations\(status\)\/\$entity$/);
      });

      /** A user of their own with five operations; `order` is how one unpaged GET lists them. */
      async function pagerWithFive(): Promise<{ pager: Client; order: string[] }> {
        const signedIn = await h.user(`pager-${version}-${Math.random().toString(36).slice(2)}@contoso.example`);
        const pager = clientFor(signedIn.token);
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          ids.push(String(((await pager.api(collection).version(version).post({ statusDetail: `item ${i}` })) as { id: string }).id));
        }
        const all = (await pager.api(collection).version(version).get()) as PageCollection;
        assert.equal(all['@odata.nextLink'], undefined);
        const order = all.value.map((op: { id: string }) => op.id);
        assert.deepEqual([...order].sort(), [...ids].sort());
        return { pager, order };
      }

      it('.top(2) answers two operations and an absolute https nextLink on the same version', async () => {
        const { pager, order } = await pagerWithFive();
        const first = (await pager.api(collection).version(version).top(2).get()) as PageCollection;
        assert.deepEqual(
          first.value.map((op: { id: string }) => op.id),
          order.slice(0, 2),
        );
        assert.deepEqual(Object.keys(first.value[0]), ENTITY_KEYS.slice(2), 'collection items carry no annotations');
        const nextLink = first['@odata.nextLink'];
        assert.ok(nextLink);
        const next = new URL(nextLink);
        assert.equal(next.origin, front.origin);
        assert.equal(next.pathname, `/${version}/me/authentication/operations`);
        assert.equal(next.searchParams.get('$top'), '2');
        assert.ok(next.searchParams.get('$skiptoken'));
        // The client takes the nextLink apart (host, version, path, query) and puts it together again unchanged.
        const second = (await pager.api(nextLink).get()) as PageCollection;
        assert.equal(second.value.length, 2);
        assert.match(String(second['@odata.context']), new RegExp(`/${version.replace('.', '\\.')}/\\$metadata#`));
      });

      it(
        'following @odata.nextLink (client.api(nextLink) and PageIterator) visits every operation exactly once',
        {
          timeout: 5_000, // a nextLink that never ends must fail the test, not hang the run
          
        },
        async () => {
          const { pager, order } = await pagerWithFive();
          const first = (await pager.api(collection).version(version).top(2).get()) as PageCollection;

          const pages: string[][] = [];
          let page: PageCollection | undefined = first;
          while (page) {
            pages.push(page.value.map((op: { id: string }) => op.id));
            const nextLink: string | undefined = page['@odata.nextLink'];
            page = nextLink ? ((await pager.api(nextLink).get()) as PageCollection) : undefined;
          }
          assert.deepEqual(pages, [order.slice(0, 2), order.slice(2, 4), order.slice(4)]);

          const seen: string[] = [];
          const iterator = new PageIterator(pager, first, (op: { id: string }) => {
            seen.push(op.id);
            return true;
          });
          await iterator.iterate();
          assert.ok(iterator.isComplete());
          assert.deepEqual(seen, order);
        },
      );

      it('DELETE answers nothing; a GET then is a GraphError 404 itemNotFound', async () => {
        const created = await create();
        assert.equal(await api(`${collection}/${created.id}`).delete(), undefined);
        await assert.rejects(api(`${collection}/${created.id}`).get(), isGraphError(404, 'itemNotFound'));
        await assert.rejects(api(`${collection}/${created.id}`).delete(), isGraphError(404, 'itemNotFound'));
      });

      it('an invalid status is a GraphError 400 BadRequest', async () => {
        const created = await create();
        await assert.rejects(api(`${collection}/${created.id}`).patch({ status: 'String' }), isGraphError(400, 'BadRequest'));
        await assert.rejects(api(collection).post({ status: 'String' }), isGraphError(400, 'BadRequest'));
        await assert.rejects(api(collection).post({ unknownProperty: 1 }), isGraphError(400, 'BadRequest'));
        await assert.rejects(api(`${collection}/${created.id}`).select('nope').get(), isGraphError(400, 'BadRequest'));
      });

      it('changing a finished operation is a GraphError 409 conflict', async () => {
        const created = await create();
        await api(`${collection}/${created.id}`).patch({ status: 'failed', statusDetail: 'gave up' });
        await assert.rejects(api(`${collection}/${created.id}`).patch({ status: 'running' }), isGraphError(409, 'conflict'));
        await assert.rejects(api(`${collection}/${created.id}`).patch({ statusDetail: 'again' }), isGraphError(409, 'conflict'));
        const read = (await api(`${collection}/${created.id}`).get()) as Record<string, unknown>;
        assert.equal(read.status, 'failed');
        assert.equal(read.statusDetail, 'gave up');
      });

      it('/users/{userPrincipalName} and /users/{id} reach the operations of /me', async () => {
        const created = await create({ statusDetail: 'shared' });
        const byUpn = (await api(`/users/${upn}/authentication/operations/${created.id}`).get()) as Record<string, unknown>;
        assert.equal(byUpn.statusDetail, 'shared');
        assert.equal(byUpn['@odata.context'], `${front.origin}/${version}/$metadata#users('megan.bowen%40contoso.example')/authentication/operations/$entity`);
        const byId = (await api(`/users/${userId}/authentication/operations/${created.id}`).patch({ status: 'running' })) as Record<string, unknown>;
        assert.equal(byId.status, 'running');
        assert.equal(((await api(`${collection}/${created.id}`).get()) as Record<string, unknown>).status, 'running');
        await assert.rejects(api('/users/nobody@contoso.example/authentication/operations').get(), isGraphError(404, 'Request_ResourceNotFound'));
      });
    });
  }

  it('a read-only token is refused a PATCH: GraphError 403 Authorization_RequestDenied', async () => {
    const id = String(((await client.api('/me/authentication/operations').post({})) as { id: string }).id);
    const reader = clientFor((await h.user(upn, { scopes: ['UserAuthenticationMethod.Read'] })).token);
    assert.equal(((await reader.api(`/me/authentication/operations/${id}`).get()) as { id: string }).id, id);
    await assert.rejects(
      reader.api(`/me/authentication/operations/${id}`).patch({ status: 'running' }),
      isGraphError(403, 'Authorization_RequestDenied'),
    );
  });
});
