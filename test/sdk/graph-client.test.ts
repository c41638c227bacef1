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
import {
  BatchRequestContent,
  BatchResponseContent,
  Client,
  GraphError,
  PageIterator,
  type PageCollection,
} from '@microsoft/microsoft-graph-client';
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

      /**
       * A user of their own with nine operations, six of them running; `running` is the running ones'
       * ids by `statusDetail desc` (e, d, c, b, a, then the null one), created out of that order, among
       * others whose details would sort between them.
       */
      async function userWithStatuses(): Promise<{ own: Client; running: string[]; others: string[] }> {
        const signedIn = await h.user(`filter-${version}-${Math.random().toString(36).slice(2)}@contoso.example`);
        const own = clientFor(signedIn.token);
        const plan: [string, string | null][] = [
          ['running', 'c'],
          ['notStarted', 'd2'],
          ['running', 'a'],
          ['running', null],
          ['succeeded', 'e2'],
          ['running', 'e'],
          ['running', 'b'],
          ['failed', 'b2'],
          ['running', 'd'],
        ];
        const byDetail = new Map<string | null, string>();
        const others: string[] = [];
        for (const [status, statusDetail] of plan) {
          const created = (await own.api(collection).version(version).post({ status, statusDetail })) as { id: string; status: string };
          assert.equal(created.status, status);
          if (status === 'running') byDetail.set(statusDetail, created.id);
          else others.push(created.id);
        }
        return { own, running: ['e', 'd', 'c', 'b', 'a', null].map((detail) => byDetail.get(detail) ?? ''), others };
      }

      it(
        '.filter .orderby .top .count .select .skip, then PageIterator: each match after the skipped one exactly once, in order',
        { timeout: 5_000 }, // a nextLink that never ends must fail the test, not hang the run
        async () => {
          const { own, running, others } = await userWithStatuses();
          const first = (await own
            .api(collection)
            .version(version)
            .filter("status eq 'running'")
            .orderby('statusDetail desc')
            .top(2)
            .count(true)
            .select(['status', 'statusDetail'])
            .skip(1)
            .get()) as PageCollection;
          assert.equal(first['@odata.count'], 6, '@odata.count counts every match, whatever $skip and $top');
          assert.deepEqual(
            first.value.map((op: { id: string }) => op.id),
            running.slice(1, 3),
          );
          assert.deepEqual(first.value[0], { id: running[1], status: 'running', statusDetail: 'd' }, 'only the selected properties and the key');
          const nextLink = first['@odata.nextLink'];
          assert.ok(nextLink);
          const next = new URL(nextLink);
          assert.equal(next.origin, front.origin);
          assert.equal(next.pathname, `/${version}/me/authentication/operations`);
          assert.equal(next.searchParams.get('$filter'), "status eq 'running'");
          assert.equal(next.searchParams.get('$orderby'), 'statusDetail desc');
          assert.equal(next.searchParams.get('$count'), 'true');
          assert.equal(next.searchParams.get('$select'), 'status,statusDetail');
          assert.equal(next.searchParams.get('$skip'), null, 'the cursor replaces $skip: it cannot be combined with $skiptoken');
          assert.ok(next.searchParams.get('$skiptoken'));

          const seen: Record<string, unknown>[] = [];
          const iterator = new PageIterator(own, first, (op: Record<string, unknown>) => {
            seen.push(op);
            return true;
          });
          await iterator.iterate();
          assert.ok(iterator.isComplete());
          assert.deepEqual(
            seen.map((op) => op.id),
            running.slice(1),
            'd, c, b, a and the null one, each once',
          );
          assert.deepEqual(
            seen.map((op) => op.statusDetail),
            ['d', 'c', 'b', 'a', null],
          );
          assert.ok(!seen.some((op) => others.includes(String(op.id))), 'no operation that is not running');
          for (const op of seen) assert.deepEqual(Object.keys(op), ['id', 'status', 'statusDetail']);

          // Without $skip the same query visits all six; in reverse order (asc), the null one first.
          const ascending: string[] = [];
          const all = (await own.api(collection).version(version).filter("status eq 'running'").orderby(['statusDetail asc']).top(4).get()) as PageCollection;
          await new PageIterator(own, all, (op: { id: string }) => {
            ascending.push(op.id);
            return true;
          }).iterate();
          assert.deepEqual(ascending, [...running].reverse());
        },
      );

      it('GET …/operations/$count answers text/plain, which the client hands back as a string', async () => {
        const { own } = await userWithStatuses();
        const count = own.api(`${collection}/$count`).version(version);
        assert.equal(await count.get(), '9');
        assert.equal(await own.api(`${collection}/$count`).version(version).filter("status eq 'running'").get(), '6');
        assert.equal(
          await own.api(`${collection}/$count`).version(version).filter("status in ('succeeded','failed') or statusDetail eq null").get(),
          '3',
        );
        assert.equal(await own.api(`${collection}/$count`).version(version).filter("not startswith(statusDetail,'b')").get(), '7', 'not of a null is true');
        await assert.rejects(own.api(`${collection}/$count`).version(version).top(1).get(), isGraphError(400, 'BadRequest'));
      });

      it('an invalid $filter is a GraphError 400 BadRequest naming the position; so are $search and $skip with $skiptoken', async () => {
        await assert.rejects(api(collection).filter('status eq').get(), (error: unknown) => {
          isGraphError(400, 'BadRequest')(error);
          assert.match((error as GraphError).message, /position \d+/);
          return true;
        });
        await assert.rejects(api(collection).filter("(status eq 'running'").get(), isGraphError(400, 'BadRequest'));
        await assert.rejects(api(collection).filter("statusDetail gt 5").get(), isGraphError(400, 'BadRequest'));
        await assert.rejects(api(collection).search('running').get(), isGraphError(400, 'BadRequest'));
        await assert.rejects(api(collection).skip(1).skipToken('abc').get(), isGraphError(400, 'BadRequest'));
        await assert.rejects(api(collection).skip(-1).get(), isGraphError(400, 'BadRequest'));
      });

      it('BatchRequestContent + /$batch: a POST then a dependent GET; a 404 first makes the chain after it 424', async () => {
        const signedIn = await h.user(`batch-${version}-${Math.random().toString(36).slice(2)}@contoso.example`);
        const own = clientFor(signedIn.token);
        // 3.0.7 strips only scheme and host from a step's URL and keeps the rest, so the URL names no
        // version (the workaround of microsoftgraph/msgraph-sdk-javascript#1451): the batch's own version applies.
        const step = (path: string, init?: RequestInit) => new Request(`${front.origin}${path}`, init);
        const json = { 'Content-Type': 'application/json' };

        const batch = new BatchRequestContent([
          { id: 'create', request: step(collection, { method: 'POST', headers: json, body: JSON.stringify({ statusDetail: 'batched' }) }) },
          { id: 'count', request: step(`${collection}/$count?$filter=statusDetail eq 'batched'`), dependsOn: ['create'] },
        ]);
        const content = (await batch.getContent()) as { requests: { url: string; body?: unknown }[] };
        assert.deepEqual(
          content.requests.map((r) => r.url),
          [collection, `${collection}/$count?$filter=statusDetail%20eq%20%27batched%27`],
        );
        assert.deepEqual(content.requests[0]?.body, { statusDetail: 'batched' });
        const answered = new BatchResponseContent(await own.api('/$batch').version(version).post(content));
        const created = answered.getResponseById('create');
        assert.equal(created.status, 201);
        assert.match(String(created.headers.get('location')), /\/users\/[0-9a-f-]{36}\/authentication\/operations\/[0-9a-f-]{36}$/);
        assert.equal(created.headers.get('etag'), '"1"');
        const counted = answered.getResponseById('count');
        assert.equal(counted.status, 200);
        assert.equal(await counted.text(), '1', 'the dependent request ran after the POST');
        const listed = (await own.api(collection).version(version).get()) as PageCollection;
        assert.deepEqual(
          listed.value.map((op: { statusDetail: string }) => op.statusDetail),
          ['batched'],
        );
        const id = String(listed.value[0].id);
        assert.equal(String(created.headers.get('location')).split('/').pop(), id);

        const chain = new BatchRequestContent([
          { id: '1', request: step(`${collection}/00000000-0000-0000-0000-000000000000`) },
          { id: '2', request: step(`${collection}/${id}`, { method: 'PATCH', headers: json, body: JSON.stringify({ status: 'failed' }) }), dependsOn: ['1'] },
          { id: '3', request: step(`${collection}/${id}`, { method: 'DELETE' }), dependsOn: ['2'] },
        ]);
        const refused = new BatchResponseContent(await own.api('/$batch').version(version).post(await chain.getContent()));
        assert.deepEqual(
          [...refused.getResponses()].map(([stepId, response]) => [stepId, response.status]),
          [
            ['1', 404],
            ['2', 424],
            ['3', 424],
          ],
        );
        const read = (await own.api(`${collection}/${id}`).version(version).get()) as Record<string, unknown>;
        assert.equal(read.status, 'notStarted', 'neither the PATCH nor the DELETE after the failure ran');
      });

      it(
        'inside $batch: Location, @odata.context and @odata.nextLink on the batch\'s own origin, and JSON bodies that BatchResponseContent hands back as JSON',
        async () => {
          const signedIn = await h.user(`batch-${version}-${Math.random().toString(36).slice(2)}@contoso.example`);
          const own = clientFor(signedIn.token);
          await own.api(collection).version(version).post({});
          const step = (path: string, init?: RequestInit) => new Request(`${front.origin}${path}`, init);
          const batch = new BatchRequestContent([
            { id: 'create', request: step(collection, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }) },
            { id: 'list', request: step(`${collection}?$top=1`) },
          ]);
          const answered = new BatchResponseContent(await own.api('/$batch').version(version).post(await batch.getContent()));
          const root = `${front.origin}/${version}`;
          const created = answered.getResponseById('create');
          assert.match(String(created.headers.get('location')), new RegExp(`^${root.replace(/[.]/g, '\\.')}/users/${signedIn.user.id}/authentication/operations/`));
          const entity = (await created.json()) as Record<string, unknown>;
          assert.equal(entity['@odata.context'], `${root}/$metadata#users('${signedIn.user.id}')/authentication/operations/$entity`);
          const page = (await answered.getResponseById('list').json()) as PageCollection;
          assert.equal(page.value.length, 1);
          assert.ok(String(page['@odata.nextLink']).startsWith(`${root}/me/authentication/operations?`), 'a nextLink the client can follow');
        },
      );
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
