/**
 * The Kiota-generated Microsoft Graph *beta* SDK (`@microsoft/msgraph-beta-sdk`) against graph-lro's `/beta`
 * on a real socket. The package publishes the client, its request adapter and the beta models; the request
 * builders for `/me` and `/users` are not in it (nor published separately), so requests are built as
 * Kiota's builders build them — a `RequestInformation` sent through the SDK's own adapter, with its
 * middleware, the beta models' (de)serializers and its error mapping — which is what an application does
 * for a URL its SDK has no builder for.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AllowedHostsValidator, BaseBearerTokenAuthenticationProvider, HttpMethod, RequestInformation, type AccessTokenProvider } from '@microsoft/kiota-abstractions';
import { GraphBetaRequestAdapter } from '@microsoft/msgraph-beta-sdk';
import {
  createLongRunningOperationCollectionResponseFromDiscriminatorValue,
  createLongRunningOperationFromDiscriminatorValue,
  serializeLongRunningOperation,
  type LongRunningOperation,
  type LongRunningOperationCollectionResponse,
} from '@microsoft/msgraph-beta-sdk/models/index.js';
import { createODataErrorFromDiscriminatorValue, type ODataError } from '@microsoft/msgraph-beta-sdk/models/oDataErrors/index.js';
import { startHarness, type Harness } from '../support/harness.js';

class StaticAccessTokenProvider implements AccessTokenProvider {
  private readonly validator = new AllowedHostsValidator(new Set(['127.0.0.1']));
  constructor(private readonly token: string) {}
  async getAuthorizationToken(url?: string): Promise<string> {
    return url !== undefined && this.validator.isUrlHostValid(url) ? this.token : '';
  }
  getAllowedHostsValidator(): AllowedHostsValidator {
    return this.validator;
  }
}

/** Kiota's error mapping: any 4XX or 5XX answer is an ODataError. */
const ERRORS = { XXX: createODataErrorFromDiscriminatorValue };

describe('@microsoft/msgraph-beta-sdk (Kiota, beta) against graph-lro', () => {
  let h: Harness;
  let adapter: GraphBetaRequestAdapter;
  let operations: string;

  function request(method: HttpMethod, url: string): RequestInformation {
    const info = new RequestInformation(method);
    info.URL = url;
    info.headers.tryAdd('Accept', 'application/json');
    return info;
  }

  async function create(): Promise<LongRunningOperation> {
    const info = request(HttpMethod.POST, operations);
    info.setContentFromParsable(adapter, 'application/json', { statusDetail: 'queued' } as LongRunningOperation, serializeLongRunningOperation);
    const created = await adapter.send<LongRunningOperation>(info, createLongRunningOperationFromDiscriminatorValue, ERRORS);
    assert.ok(created?.id);
    return created;
  }

  before(async () => {
    h = await startHarness();
    const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const { token } = await h.user('beta.user@contoso.example');
    adapter = new GraphBetaRequestAdapter(new BaseBearerTokenAuthenticationProvider(new StaticAccessTokenProvider(token)));
    adapter.baseUrl = `${address}/beta`;
    operations = `${adapter.baseUrl}/me/authentication/operations`;
  });

  after(() => h?.close());

  it('creates, reads and patches an operation through the beta models (dates and the status enum parsed)', async () => {
    const created = await create();
    assert.equal(created.status, 'notStarted');
    assert.equal(created.statusDetail, 'queued');
    assert.ok(created.createdDateTime instanceof Date);

    const patch = request(HttpMethod.PATCH, `${operations}/${created.id}`);
    patch.setContentFromParsable(
      adapter,
      'application/json',
      { status: 'succeeded', resourceLocation: 'https://example.test/done' } as LongRunningOperation,
      serializeLongRunningOperation,
    );
    const patched = await adapter.send<LongRunningOperation>(patch, createLongRunningOperationFromDiscriminatorValue, ERRORS);
    assert.equal(patched?.id, created.id);
    assert.equal(patched?.status, 'succeeded');
    assert.equal(patched?.resourceLocation, 'https://example.test/done');
    assert.equal(patched?.statusDetail, 'queued', 'a PATCH leaves what it does not name');
    assert.ok(patched?.lastActionDateTime instanceof Date);

    const read = await adapter.send<LongRunningOperation>(
      request(HttpMethod.GET, `${operations}/${created.id}`),
      createLongRunningOperationFromDiscriminatorValue,
      ERRORS,
    );
    assert.equal(read?.status, 'succeeded');
    assert.equal(read?.createdDateTime?.getTime(), created.createdDateTime?.getTime());
  });

  it('lists with $filter and $count into the beta collection response', async () => {
    await create();
    const list = await adapter.send<LongRunningOperationCollectionResponse>(
      request(HttpMethod.GET, `${operations}?$filter=status eq 'notStarted'&$count=true`),
      createLongRunningOperationCollectionResponseFromDiscriminatorValue,
      ERRORS,
    );
    assert.ok((list?.value?.length ?? 0) >= 1);
    assert.ok(list?.value?.every((op) => op.status === 'notStarted'));
    assert.equal(list?.odataCount, list?.value?.length);
  });

  it('maps Graph errors to the beta ODataError: 404 itemNotFound, 400 for a bad status', async () => {
    await assert.rejects(
      adapter.send(request(HttpMethod.GET, `${operations}/no-such-operation`), createLongRunningOperationFromDiscriminatorValue, ERRORS),
      (error: ODataError) => {
        assert.equal(error.responseStatusCode, 404);
        assert.equal(error.errorEscaped?.code, 'itemNotFound');
        return true;
      },
    );
    const created = await create();
    const bad = request(HttpMethod.PATCH, `${operations}/${created.id}`);
    bad.setStreamContent(new TextEncoder().encode('{"status":"finished"}').buffer as ArrayBuffer, 'application/json');
    await assert.rejects(adapter.send(bad, createLongRunningOperationFromDiscriminatorValue, ERRORS), (error: ODataError) => {
      assert.equal(error.responseStatusCode, 400);
      assert.equal(error.errorEscaped?.code, 'BadRequest');
      assert.match(error.errorEscaped?.message ?? '', /'finished' is not a valid microsoft.graph.longRunningOperationStatus/);
      return true;
    });
  });
});
