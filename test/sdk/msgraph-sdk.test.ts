/**
 * The Kiota-generated Microsoft Graph SDK (`@microsoft/msgraph-sdk` + `@microsoft/msgraph-sdk-users`) against
 * graph-lro on a real socket: every call goes through the SDK's own request builders, middleware, JSON
 * (de)serializers and error mapping, exactly as an application would use it against graph.microsoft.com.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AllowedHostsValidator,
  BaseBearerTokenAuthenticationProvider,
  isUntypedObject,
  type AccessTokenProvider,
  type UntypedNode,
} from '@microsoft/kiota-abstractions';
import { BodyInspectionOptions, HeadersInspectionOptions } from '@microsoft/kiota-http-fetchlibrary';
import { createGraphServiceClient, GraphRequestAdapter, type GraphServiceClient } from '@microsoft/msgraph-sdk';
import {
  createLongRunningOperationCollectionResponseFromDiscriminatorValue,
  type LongRunningOperation,
  type LongRunningOperationCollectionResponse,
  type LongRunningOperationStatus,
} from '@microsoft/msgraph-sdk/models/index.js';
import { createODataErrorFromDiscriminatorValue, type ODataError } from '@microsoft/msgraph-sdk/models/oDataErrors/index.js';
import { BatchRequestContent, PageIterator, serializeBatchRequestBody, type PageCollection } from '@microsoft/msgraph-sdk-core';
// For its side effect: it adds `me` and `users` to GraphServiceClient (and augments its type).
import '@microsoft/msgraph-sdk-users';
import { startHarness, type Harness } from '../support/harness.js';

/**
 * A fixed token for the hosts the validator allows. Kiota's validator compares the URL's *hostname*
 * (`new URL(url).hostname`), so the allowed entry is `127.0.0.1`, without the port.
 */
class StaticAccessTokenProvider implements AccessTokenProvider {
  private readonly validator: AllowedHostsValidator;

  constructor(
    private readonly token: string,
    allowedHosts: string[],
  ) {
    this.validator = new AllowedHostsValidator(new Set(allowedHosts));
  }

  async getAuthorizationToken(url?: string): Promise<string> {
    return url !== undefined && this.validator.isUrlHostValid(url) ? this.token : '';
  }

  getAllowedHostsValidator(): AllowedHostsValidator {
    return this.validator;
  }
}

interface Sdk {
  client: GraphServiceClient;
  adapter: GraphRequestAdapter;
}

/** An ODataError as Kiota throws it: the deserialized envelope (`error` → `errorEscaped`) plus the HTTP status. */
function isODataError(status: number, code: string) {
  return (error: unknown): boolean => {
    const e = error as ODataError;
    assert.equal(e.responseStatusCode, status, `status of ${JSON.stringify(e)}`);
    assert.equal(e.errorEscaped?.code, code);
    assert.equal(typeof e.errorEscaped?.message, 'string');
    assert.ok((e.errorEscaped?.message ?? '').length > 0, 'the error has a message');
    assert.equal(e.message, e.errorEscaped?.message, 'Kiota copies error.message onto the thrown error');
    assert.match(e.errorEscaped?.innerError?.requestId ?? '', /^[0-9a-f-]{36}$/, 'innerError.request-id');
    assert.ok(e.errorEscaped?.innerError?.date instanceof Date, 'innerError.date parses as a date');
    return true;
  };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The response body the SDK received, as JSON (what Kiota deserialized from). */
function wireBody(inspection: BodyInspectionOptions): Record<string, unknown> {
  assert.ok(inspection.responseBody, 'the response body was captured');
  return JSON.parse(new TextDecoder().decode(inspection.responseBody)) as Record<string, unknown>;
}

describe('@microsoft/msgraph-sdk (Kiota) against graph-lro, v1.0', () => {
  let h: Harness;
  let address: string;
  let upn: string;
  let userId: string;
  let sdk: Sdk;

  function sdkFor(token: string): Sdk {
    const authProvider = new BaseBearerTokenAuthenticationProvider(new StaticAccessTokenProvider(token, ['127.0.0.1']));
    const adapter = new GraphRequestAdapter(authProvider);
    adapter.baseUrl = `${address}/v1.0`;
    return { client: createGraphServiceClient(adapter), adapter };
  }

  before(async () => {
    h = await startHarness();
    address = await h.app.listen({ port: 0, host: '127.0.0.1' });
    upn = 'adele.vance@contoso.example';
    const { user, token } = await h.user(upn);
    userId = user.id;
    sdk = sdkFor(token);
  });

  after(async () => {
    await h?.close();
  });

  it('creates with POST and answers the new entity, notStarted', async () => {
    const inspection = new HeadersInspectionOptions({ inspectResponseHeaders: true });
    const created = await sdk.client.me.authentication.operations.post(
      { statusDetail: 'queued', resourceLocation: 'https://example.test/r/1' },
      { options: [inspection] },
    );
    assert.ok(created);
    assert.deepEqual(
      [...(inspection.getResponseHeaders().get('location') ?? [])],
      [`${address}/v1.0/users/${userId}/authentication/operations/${created.id}`],
    );
    assert.match(created.id ?? '', GUID);
    assert.equal(created.status, 'notStarted');
    assert.equal(created.statusDetail, 'queued');
    assert.equal(created.resourceLocation, 'https://example.test/r/1');
    assert.ok(created.createdDateTime instanceof Date);
    assert.ok(created.lastActionDateTime instanceof Date);
    assert.ok(Math.abs(created.createdDateTime.getTime() - Date.now()) < 60_000, 'createdDateTime is now');
    assert.equal(created.odataType, '#microsoft.graph.longRunningOperation');
  });

  it('reads, patches through running to succeeded, then refuses to revive it (409 conflict)', async () => {
    const operations = sdk.client.me.authentication.operations;
    const created = await operations.post({});
    const id = created?.id;
    assert.ok(id);
    const item = operations.byLongRunningOperationId(id);

    const inspection = new BodyInspectionOptions({ inspectResponseBody: true });
    const read = await item.get({ options: [inspection] });
    assert.ok(read);
    assert.equal(typeof read.id, 'string');
    assert.equal(read.id, id);
    assert.equal(read.odataType, '#microsoft.graph.longRunningOperation');
    assert.ok(read.createdDateTime instanceof Date);
    assert.ok(!Number.isNaN(read.createdDateTime.getTime()));
    assert.ok(read.lastActionDateTime instanceof Date);
    assert.equal(read.lastActionDateTime.getTime(), read.createdDateTime.getTime(), 'created and last action coincide at creation');
    assert.equal(read.status, 'notStarted');
    // The wire has explicit nulls; Kiota's JsonParseNode reads a JSON null string as undefined.
    assert.equal(read.statusDetail, undefined);
    assert.equal(read.resourceLocation, undefined);
    const wire = wireBody(inspection);
    assert.equal(wire.statusDetail, null);
    assert.equal(wire.resourceLocation, null);
    assert.equal(wire.status, 'notStarted');
    assert.equal(read.createdDateTime.getTime(), created?.createdDateTime?.getTime());
    // `@odata.context` is no model property: Kiota keeps it in additionalData.
    assert.match(
      String(read.additionalData?.['@odata.context']),
      new RegExp(`/v1\\.0/\\$metadata#users\\('${userId}'\\)/authentication/operations/\\$entity$`),
    );

    const running = await item.patch({ status: 'running', statusDetail: 'x' });
    assert.ok(running);
    assert.equal(running.id, id);
    assert.equal(running.status, 'running');
    assert.equal(running.statusDetail, 'x');
    assert.equal(running.resourceLocation, undefined);
    assert.ok(running.lastActionDateTime instanceof Date);
    assert.ok(running.lastActionDateTime.getTime() >= read.lastActionDateTime.getTime());
    assert.equal(running.createdDateTime?.getTime(), read.createdDateTime.getTime(), 'createdDateTime never changes');

    const reread = await item.get();
    assert.equal(reread?.status, 'running');
    assert.equal(reread?.statusDetail, 'x');

    const done = await item.patch({ status: 'succeeded', resourceLocation: 'https://example.test/result' });
    assert.equal(done?.status, 'succeeded');
    assert.equal(done?.statusDetail, 'x', 'a PATCH leaves the properties it does not name');
    assert.equal(done?.resourceLocation, 'https://example.test/result');

    await assert.rejects(item.patch({ status: 'running' }), isODataError(409, 'conflict'));
    assert.equal((await item.get())?.status, 'succeeded', 'the refused PATCH changed nothing');
  });

  it('PATCH with Prefer: return=minimal answers nothing (204) and still applies', async () => {
    const operations = sdk.client.me.authentication.operations;
    const id = (await operations.post({}))?.id;
    assert.ok(id);
    const inspection = new HeadersInspectionOptions({ inspectResponseHeaders: true });
    const answer = await operations
      .byLongRunningOperationId(id)
      .patch({ status: 'failed', statusDetail: 'boom' }, { headers: { Prefer: 'return=minimal' }, options: [inspection] });
    assert.equal(answer, undefined);
    assert.deepEqual([...(inspection.getResponseHeaders().get('preference-applied') ?? [])], ['return=minimal']);
    const read = await operations.byLongRunningOperationId(id).get();
    assert.equal(read?.status, 'failed');
    assert.equal(read?.statusDetail, 'boom');
  });

  it('GET with $select answers the selected property (and the key) only', async () => {
    const operations = sdk.client.me.authentication.operations;
    const id = (await operations.post({ statusDetail: 'hidden by $select', resourceLocation: 'https://example.test/hidden' }))?.id;
    assert.ok(id);
    const inspection = new BodyInspectionOptions({ inspectResponseBody: true });
    const selected = await operations
      .byLongRunningOperationId(id)
      .get({ queryParameters: { select: ['status'] }, options: [inspection] });
    assert.ok(selected);
    assert.equal(selected.id, id);
    assert.equal(selected.status, 'notStarted');
    assert.equal(selected.statusDetail, undefined);
    assert.equal(selected.resourceLocation, undefined);
    assert.equal(selected.createdDateTime, undefined);
    assert.equal(selected.lastActionDateTime, undefined);
    assert.match(String(selected.additionalData?.['@odata.context']), /\/authentication\/operations\(status\)\/\$entity$/);
    assert.deepEqual(Object.keys(wireBody(inspection)).sort(), ['@odata.context', '@odata.type', 'id', 'status']);
  });

  /**
   * A user of their own with five operations, so the collection holds exactly those; `order` is the order
   * one unpaged GET lists them in (creation order, ties broken by id).
   */
  async function pagerWithFive(): Promise<Sdk & { ids: string[]; order: string[] }> {
    const { token } = await h.user(`pager-${Math.random().toString(36).slice(2)}@contoso.example`);
    const pager = sdkFor(token);
    const operations = pager.client.me.authentication.operations;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = (await operations.post({ statusDetail: `item ${i}` }))?.id;
      assert.ok(id);
      ids.push(id);
    }
    const all = await operations.get();
    assert.equal(all?.odataNextLink, undefined, 'five fit in the default page');
    const order = (all?.value ?? []).map((op) => op.id ?? '');
    assert.deepEqual([...order].sort(), [...ids].sort());
    return { ...pager, ids, order };
  }

  it('lists with $top: a first page of two and an absolute nextLink that keeps $top', async () => {
    const pager = await pagerWithFive();
    const first = await pager.client.me.authentication.operations.get({ queryParameters: { top: 2 } });
    assert.ok(first?.value);
    assert.deepEqual(
      first.value.map((op) => op.id),
      pager.order.slice(0, 2),
    );
    assert.equal(first.value[0]?.status, 'notStarted');
    assert.ok(first.value[0]?.createdDateTime instanceof Date);
    assert.ok(first.odataNextLink);
    const next = new URL(first.odataNextLink);
    assert.equal(next.origin, address, 'the nextLink is absolute, on the server the client called');
    assert.equal(next.pathname, '/v1.0/me/authentication/operations');
    assert.equal(next.searchParams.get('$top'), '2', '$top is kept in the nextLink');
    assert.ok(next.searchParams.get('$skiptoken'));
    assert.match(String(first.additionalData?.['@odata.context']), /\/authentication\/operations$/);
  });

  it(
    'PageIterator walks every page of $top=2, each operation exactly once',
    {
      timeout: 5_000, // a nextLink that never ends must fail the test, not hang the run
      
    },
    async () => {
      const pager = await pagerWithFive();
      const operations = pager.client.me.authentication.operations;
      const first = await operations.get({ queryParameters: { top: 2 } });
      assert.ok(first?.value);

      const seen: string[] = [];
      const iterator = new PageIterator<LongRunningOperation>(
        pager.adapter,
        first as PageCollection<LongRunningOperation>,
        (op) => {
          assert.equal(op.status, 'notStarted');
          seen.push(op.id ?? '');
          return true;
        },
        createLongRunningOperationCollectionResponseFromDiscriminatorValue as never,
        { XXX: createODataErrorFromDiscriminatorValue },
      );
      await iterator.iterate();
      assert.equal(iterator.getPagingState(), 'Complete');
      assert.deepEqual(seen, pager.order, 'every operation once, in the order of the unpaged list');

      // The same walk by hand with the builder's withUrl: pages of 2, 2 and 1, the last without a nextLink.
      const pages: (string | null | undefined)[][] = [];
      let page: LongRunningOperationCollectionResponse | undefined = first;
      while (page) {
        pages.push((page.value ?? []).map((op) => op.id));
        page = page.odataNextLink ? await operations.withUrl(page.odataNextLink).get() : undefined;
      }
      assert.deepEqual(pages, [pager.order.slice(0, 2), pager.order.slice(2, 4), pager.order.slice(4)]);
    },
  );

  it(
    'a PATCH of the whole object the SDK just read (get, change status, patch it back) is accepted',
    async () => {
      const operations = sdk.client.me.authentication.operations;
      await operations.post({}); // the first operation after the clock anchors may fall on a whole millisecond
      const id = (await operations.post({}))?.id;
      assert.ok(id);
      const read = await operations.byLongRunningOperationId(id).get();
      assert.ok(read);
      read.status = 'running';
      const written = await operations.byLongRunningOperationId(id).patch(read);
      assert.equal(written?.status, 'running');
      assert.equal(written?.createdDateTime?.getTime(), read.createdDateTime?.getTime());
    },
  );

  it('reaches the same operations through /users/{userPrincipalName} and /users/{id}', async () => {
    const created = await sdk.client.me.authentication.operations.post({ statusDetail: 'shared' });
    const id = created?.id;
    assert.ok(id);

    const byUpn = await sdk.client.users.byUserId(upn).authentication.operations.byLongRunningOperationId(id).get();
    assert.equal(byUpn?.id, id);
    assert.equal(byUpn?.statusDetail, 'shared');
    assert.match(String(byUpn?.additionalData?.['@odata.context']), /users\('adele\.vance%40contoso\.example'\)/);

    const byId = await sdk.client.users.byUserId(userId).authentication.operations.byLongRunningOperationId(id).get();
    assert.equal(byId?.id, id);
    assert.equal(byId?.createdDateTime?.getTime(), created?.createdDateTime?.getTime());

    const viaUser = await sdk.client.users.byUserId(userId).authentication.operations.byLongRunningOperationId(id).patch({ status: 'running' });
    assert.equal(viaUser?.status, 'running');
    assert.equal((await sdk.client.me.authentication.operations.byLongRunningOperationId(id).get())?.status, 'running');

    const listed = await sdk.client.users.byUserId(upn).authentication.operations.get();
    assert.ok(listed?.value?.some((op) => op.id === id), 'the list by UPN holds the operation made through /me');

    const viaUsersPost = await sdk.client.users.byUserId(userId).authentication.operations.post({ statusDetail: 'via users' });
    assert.ok(viaUsersPost?.id);
    assert.equal((await sdk.client.me.authentication.operations.byLongRunningOperationId(viaUsersPost.id).get())?.statusDetail, 'via users');
  });

  it('an unknown user is a 404 ODataError', async () => {
    await assert.rejects(
      sdk.client.users.byUserId('nobody@contoso.example').authentication.operations.get(),
      isODataError(404, 'Request_ResourceNotFound'),
    );
  });

  it('DELETE removes the operation; a GET then is 404 itemNotFound', async () => {
    const operations = sdk.client.me.authentication.operations;
    const id = (await operations.post({}))?.id;
    assert.ok(id);
    await operations.byLongRunningOperationId(id).delete();
    await assert.rejects(operations.byLongRunningOperationId(id).get(), isODataError(404, 'itemNotFound'));
    await assert.rejects(operations.byLongRunningOperationId(id).delete(), isODataError(404, 'itemNotFound'));
  });

  it('a bad token is a 401 ODataError InvalidAuthenticationToken', async () => {
    const stranger = sdkFor('not-a-jwt');
    await assert.rejects(stranger.client.me.authentication.operations.get(), (error: unknown) => {
      isODataError(401, 'InvalidAuthenticationToken')(error);
      const headers = (error as ODataError).responseHeaders ?? {};
      assert.match(String(headers['www-authenticate']), /^Bearer/i);
      return true;
    });
  });

  it('a read-only token is refused a PATCH with a 403 ODataError Authorization_RequestDenied', async () => {
    const id = (await sdk.client.me.authentication.operations.post({}))?.id;
    assert.ok(id);
    const { token } = await h.user(upn, { scopes: ['UserAuthenticationMethod.Read'] });
    const reader = sdkFor(token);
    const item = reader.client.me.authentication.operations.byLongRunningOperationId(id);
    assert.equal((await item.get())?.id, id, 'the read scope reads');
    await assert.rejects(item.patch({ status: 'running' }), isODataError(403, 'Authorization_RequestDenied'));
    assert.equal((await item.get())?.status, 'notStarted');
  });

  it('an invalid status value is a 400 ODataError BadRequest', async () => {
    const operations = sdk.client.me.authentication.operations;
    const id = (await operations.post({}))?.id;
    assert.ok(id);
    await assert.rejects(
      operations.byLongRunningOperationId(id).patch({ status: 'String' as LongRunningOperationStatus }),
      isODataError(400, 'BadRequest'),
    );
    await assert.rejects(operations.post({ status: 'String' as LongRunningOperationStatus }), isODataError(400, 'BadRequest'));
    assert.equal((await operations.byLongRunningOperationId(id).get())?.status, 'notStarted');
  });

  /**
   * A user of their own with nine operations: six running and three that are not. `running` holds the ids
   * of the running ones in `statusDetail desc` order — e, d, c, b, a, then the one whose statusDetail is
   * null (nulls come last when descending). They are created out of that order, and the others carry
   * details that would sort among them, so neither creation order nor a missed filter can pass for it.
   */
  async function userWithStatuses(): Promise<Sdk & { upn: string; userId: string; running: string[]; others: string[] }> {
    const ownUpn = `filter-${Math.random().toString(36).slice(2)}@contoso.example`;
    const { user, token } = await h.user(ownUpn);
    const own = sdkFor(token);
    const operations = own.client.me.authentication.operations;
    const plan: [LongRunningOperationStatus, string | undefined][] = [
      ['running', 'c'],
      ['notStarted', 'd2'],
      ['running', 'a'],
      ['running', undefined],
      ['succeeded', 'e2'],
      ['running', 'e'],
      ['running', 'b'],
      ['failed', 'b2'],
      ['running', 'd'],
    ];
    const byDetail = new Map<string, string>();
    const others: string[] = [];
    for (const [status, statusDetail] of plan) {
      const created = await operations.post({ status, ...(statusDetail !== undefined && { statusDetail }) });
      assert.equal(created?.status, status);
      assert.ok(created?.id);
      if (status === 'running') byDetail.set(statusDetail ?? 'null', created.id);
      else others.push(created.id);
    }
    const running = ['e', 'd', 'c', 'b', 'a', 'null'].map((detail) => byDetail.get(detail) ?? '');
    return { ...own, upn: ownUpn, userId: user.id, running, others };
  }

  const RUNNING_QUERY = {
    filter: "status eq 'running'",
    orderby: ['statusDetail desc'],
    top: 2,
    count: true,
    select: ['status', 'statusDetail'],
  };

  it(
    'PageIterator over $filter, $orderby desc, $top, $count and $select: every match once, in order, nothing else',
    { timeout: 5_000 }, // a nextLink that never ends must fail the test, not hang the run
    async () => {
      const own = await userWithStatuses();
      const operations = own.client.me.authentication.operations;
      const first = await operations.get({ queryParameters: RUNNING_QUERY });
      assert.ok(first?.value);
      assert.equal(first.odataCount, 6, '@odata.count is the number of matches over all pages');
      assert.deepEqual(
        first.value.map((op) => op.id),
        own.running.slice(0, 2),
      );
      assert.ok(first.odataNextLink);
      const next = new URL(first.odataNextLink);
      assert.equal(next.origin, address);
      for (const [name, value] of [
        ['$filter', "status eq 'running'"],
        ['$orderby', 'statusDetail desc'],
        ['$top', '2'],
        ['$count', 'true'],
        ['$select', 'status,statusDetail'],
      ] as const) {
        assert.equal(next.searchParams.get(name), value, `${name} is kept in the nextLink`);
      }
      assert.ok(next.searchParams.get('$skiptoken'));

      const seen: LongRunningOperation[] = [];
      const iterator = new PageIterator<LongRunningOperation>(
        own.adapter,
        first as PageCollection<LongRunningOperation>,
        (op) => {
          seen.push(op);
          return true;
        },
        createLongRunningOperationCollectionResponseFromDiscriminatorValue as never,
        { XXX: createODataErrorFromDiscriminatorValue },
      );
      await iterator.iterate();
      assert.equal(iterator.getPagingState(), 'Complete');
      assert.deepEqual(
        seen.map((op) => op.id),
        own.running,
        'every running operation once, by statusDetail descending, the null one last',
      );
      assert.deepEqual(
        seen.map((op) => op.statusDetail),
        ['e', 'd', 'c', 'b', 'a', undefined],
      );
      assert.ok(!seen.some((op) => own.others.includes(op.id ?? '')), 'no operation that is not running');
      for (const op of seen) {
        assert.equal(op.status, 'running');
        assert.equal(op.createdDateTime, undefined, '$select is kept on every page');
        assert.equal(op.lastActionDateTime, undefined);
      }

      // Every page answers the count, and the last one no nextLink.
      const pages: { ids: (string | null | undefined)[]; count: number | null | undefined }[] = [];
      let page: LongRunningOperationCollectionResponse | undefined = first;
      while (page) {
        pages.push({ ids: (page.value ?? []).map((op) => op.id), count: page.odataCount });
        page = page.odataNextLink ? await operations.withUrl(page.odataNextLink).get() : undefined;
      }
      assert.deepEqual(pages, [
        { ids: own.running.slice(0, 2), count: 6 },
        { ids: own.running.slice(2, 4), count: 6 },
        { ids: own.running.slice(4, 6), count: 6 },
      ]);
    },
  );

  it('the $count segment (count.get()) answers the number of operations, with and without $filter', async () => {
    const own = await userWithStatuses();
    const count = own.client.me.authentication.operations.count;
    assert.equal(await count.get(), 9);
    assert.equal(await count.get({ queryParameters: { filter: "status eq 'running'" } }), 6);
    assert.equal(await count.get({ queryParameters: { filter: "status in ('succeeded', 'failed')" } }), 2);
    assert.equal(await count.get({ queryParameters: { filter: 'statusDetail eq null' } }), 1);
    assert.equal(await count.get({ queryParameters: { filter: 'createdDateTime lt 2000-01-01T00:00:00Z' } }), 0);
    assert.equal(await count.get({ queryParameters: { filter: 'createdDateTime gt 2000-01-01T00:00:00Z' } }), 9);
    assert.equal(await sdk.client.users.byUserId(own.upn).authentication.operations.count.get({ queryParameters: { filter: "status ne 'running'" } }), 3);
    await assert.rejects(count.get({ queryParameters: { filter: 'status eq' } }), isODataError(400, 'BadRequest'));
  });

  it('/users/{userPrincipalName} and /users/{id} list with $filter and $orderby', async () => {
    const own = await userWithStatuses();
    const byUpn = await own.client.users.byUserId(own.upn).authentication.operations.get({
      queryParameters: { filter: "startswith(statusDetail, 'b')", orderby: ['statusDetail'], count: true },
    });
    assert.deepEqual(
      byUpn?.value?.map((op) => [op.status, op.statusDetail]),
      [
        ['running', 'b'],
        ['failed', 'b2'],
      ],
    );
    assert.equal(byUpn?.odataCount, 2);
    assert.equal(byUpn?.value?.[0]?.id, own.running[3]);

    const byId = await own.client.users.byUserId(own.userId).authentication.operations.get({
      queryParameters: {
        filter: "status eq microsoft.graph.longRunningOperationStatus'running' and (statusDetail ge 'c' or statusDetail eq null)",
        orderby: ['statusDetail asc'],
      },
    });
    assert.deepEqual(
      byId?.value?.map((op) => op.id),
      [own.running[5], own.running[2], own.running[1], own.running[0]],
      'null first ascending, then c, d, e',
    );
    assert.equal(byId?.odataCount, undefined, 'no @odata.count unless asked');
  });

  it('an invalid $filter is a 400 ODataError BadRequest that names the position; $search is 400 too', async () => {
    const operations = sdk.client.me.authentication.operations;
    await assert.rejects(operations.get({ queryParameters: { filter: 'status eq' } }), (error: unknown) => {
      isODataError(400, 'BadRequest')(error);
      assert.match((error as ODataError).errorEscaped?.message ?? '', /position \d+/);
      return true;
    });
    await assert.rejects(
      sdk.client.users.byUserId(userId).authentication.operations.get({ queryParameters: { filter: "status eq 'sleeping'" } }),
      isODataError(400, 'BadRequest'),
    );
    await assert.rejects(operations.get({ queryParameters: { orderby: ['status sideways'] } }), isODataError(400, 'BadRequest'));
    await assert.rejects(operations.get({ queryParameters: { search: '"running"' } }), (error: unknown) => {
      isODataError(400, 'BadRequest')(error);
      assert.match((error as ODataError).errorEscaped?.message ?? '', /\$search/);
      return true;
    });
    await assert.rejects(operations.get({ queryParameters: { expand: ['status'] } }), isODataError(400, 'BadRequest'));
  });

  it('a PATCH with a stale If-Match is a 412 ODataError resourceModified and changes nothing; the current ETag applies', async () => {
    const operations = sdk.client.me.authentication.operations;
    const id = (await operations.post({ statusDetail: 'before' }))?.id;
    assert.ok(id);
    const item = operations.byLongRunningOperationId(id);
    const inspection = new HeadersInspectionOptions({ inspectResponseHeaders: true });
    await item.get({ options: [inspection] });
    const etag = [...(inspection.getResponseHeaders().get('etag') ?? [])][0];
    assert.ok(etag, 'the entity has an ETag');
    assert.notEqual(etag, '"99"');

    await assert.rejects(
      item.patch({ status: 'running', statusDetail: 'after' }, { headers: { 'If-Match': '"99"' } }),
      isODataError(412, 'resourceModified'),
    );
    const unchanged = await item.get();
    assert.equal(unchanged?.status, 'notStarted', 'the refused PATCH changed nothing');
    assert.equal(unchanged?.statusDetail, 'before');

    const written = await item.patch({ status: 'running', statusDetail: 'after' }, { headers: { 'If-Match': etag } });
    assert.equal(written?.status, 'running');
    assert.equal(written?.statusDetail, 'after');
    // The tag just matched is now stale.
    await assert.rejects(item.patch({ statusDetail: 'again' }, { headers: { 'If-Match': etag } }), isODataError(412, 'resourceModified'));
  });

  it('BatchRequestContent (msgraph-sdk-core): GET steps with dependsOn answer their statuses and headers; a 404 makes its dependant 424', async () => {
    const { token } = await h.user(`batch-${Math.random().toString(36).slice(2)}@contoso.example`);
    const own = sdkFor(token);
    const operations = own.client.me.authentication.operations;
    const id = (await operations.post({ status: 'running', statusDetail: 'batched' }))?.id;
    assert.ok(id);
    await operations.post({});
    const errorMappings = { XXX: createODataErrorFromDiscriminatorValue };

    const batch = new BatchRequestContent(own.adapter, errorMappings);
    const read = batch.addBatchRequest(operations.byLongRunningOperationId(id).toGetRequestInformation(), 'read');
    assert.equal(read.method, 'GET');
    assert.equal(read.url, `/me/authentication/operations/${id}`, 'relative to the base URL, /users/TokenToReplace made /me');
    const count = batch.addBatchRequest(operations.count.toGetRequestInformation({ queryParameters: { filter: "status eq 'running'" } }), 'count');
    count.dependsOn = ['read'];
    const list = batch.addBatchRequest(operations.toGetRequestInformation({ queryParameters: { filter: 'status eq', top: 1 } }), 'list');
    list.dependsOn = ['read'];

    const answered = await batch.postAsync();
    assert.ok(answered);
    assert.deepEqual(
      [...(await answered.getResponsesStatusCodes())],
      [
        ['read', 200],
        ['count', 200],
        ['list', 400],
      ],
    );
    const headerOf = (step: string, name: string): unknown => {
      const headers = answered.getResponseById(step)?.headers as UntypedNode | undefined;
      assert.ok(headers && isUntypedObject(headers), `the headers of '${step}' are an object`);
      const entry = Object.entries(headers.getValue()).find(([key]) => key.toLowerCase() === name);
      return entry?.[1].getValue();
    };
    const inspection = new HeadersInspectionOptions({ inspectResponseHeaders: true });
    await operations.byLongRunningOperationId(id).get({ options: [inspection] });
    assert.deepEqual([headerOf('read', 'etag')], [...(inspection.getResponseHeaders().get('etag') ?? [])], 'the ETag a GET alone answers');
    assert.match(String(headerOf('count', 'content-type')), /^text\/plain/);
    assert.match(String(headerOf('list', 'content-type')), /^application\/json/);
    // The batch answers JSON bodies as JSON; preview.17 reads `body` with getByteArrayValue (a base64 string),
    // so an object body comes out undefined and getParsableResponseById has nothing to parse.
    assert.equal(answered.getResponseById('read')?.body, undefined);

    const failing = new BatchRequestContent(own.adapter, errorMappings);
    failing.addBatchRequest(operations.byLongRunningOperationId('00000000-0000-0000-0000-000000000000').toGetRequestInformation(), 'missing');
    failing.addBatchRequest(operations.byLongRunningOperationId(id).toDeleteRequestInformation(), 'delete').dependsOn = ['missing'];
    const refused = await failing.postAsync();
    assert.ok(refused);
    assert.deepEqual(
      [...(await refused.getResponsesStatusCodes())],
      [
        ['missing', 404],
        ['delete', 424],
      ],
    );
    assert.equal((await operations.byLongRunningOperationId(id).get())?.id, id, 'the DELETE after the failed step did not run');
  });

  it('BatchRequestContent cannot carry a POST body (preview.17 writes the step headers and JSON body as {}): the POST is 400, its dependant 424, nothing created', async () => {
    const { token } = await h.user(`batch-${Math.random().toString(36).slice(2)}@contoso.example`);
    const own = sdkFor(token);
    const operations = own.client.me.authentication.operations;
    const batch = new BatchRequestContent(own.adapter, { XXX: createODataErrorFromDiscriminatorValue });
    const create = batch.addBatchRequest(operations.toPostRequestInformation({ statusDetail: 'from a Kiota batch' }), 'create');
    assert.equal(create.method, 'POST');
    assert.equal(create.url, '/me/authentication/operations');
    // convertRequestInformationToBatchItem never copies the request's headers (it tests a variable it has not set) ...
    assert.equal(create.headers, undefined, 'if the SDK starts copying headers, revisit this test');
    create.headers = { 'Content-Type': 'application/json' };
    batch.addBatchRequest(operations.toGetRequestInformation(), 'list').dependsOn = ['create'];
    // ... and serializeBatchItem hands plain objects to writeObjectValue without a serializer, which writes {}:
    // exactly what postAsync sends.
    const writer = own.adapter.getSerializationWriterFactory().getSerializationWriter('application/json');
    writer.writeObjectValue(undefined, batch.getContent(), serializeBatchRequestBody);
    const wire = JSON.parse(new TextDecoder().decode(writer.getSerializedContent())) as { requests: unknown[] };
    assert.deepEqual(wire.requests[0], { id: 'create', method: 'POST', url: '/me/authentication/operations', headers: {}, body: {} });

    const answered = await batch.postAsync();
    assert.ok(answered);
    assert.deepEqual(
      [...(await answered.getResponsesStatusCodes())],
      [
        ['create', 400],
        ['list', 424],
      ],
      'a body without Content-Type is refused, as Graph does, and the GET that depends on it is not run',
    );
    assert.equal(await operations.count.get(), 0, 'nothing was created');
  });
});
