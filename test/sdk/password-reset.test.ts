/**
 * A password reset end to end through `@microsoft/microsoft-graph-client` 3.0.7, as an app under test would
 * run it: POST resetPassword, read the 202's `Location` and `Retry-After` from the raw response, then poll
 * that URL as given (its opaque query string included) until the operation has finished, waiting as
 * `Retry-After` says. The service runs on a clock the test moves, so "waiting" is advancing that clock.
 *
 * Over HTTPS with a self-signed certificate, like graph-client.test.ts: this client sends tokens only to
 * `https://` URLs and recognises only `https://` absolute URLs. Certificate verification is off for this
 * test process while the suite runs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, GraphError, ResponseType } from '@microsoft/microsoft-graph-client';
import { TICKS_PER_SECOND } from '../../src/operations/date-time-offset.js';
import { PASSWORD_METHOD_ID } from '../../src/operations/password-reset.js';
import { startHarness, type Harness } from '../support/harness.js';
import { selfSignedCertificate } from './self-signed-certificate.js';

interface Operation {
  id: string;
  status: string;
  statusDetail: string | null;
  resourceLocation: string | null;
  createdDateTime: string;
  lastActionDateTime: string;
}

describe('resetPassword through @microsoft/microsoft-graph-client 3.0.7', () => {
  const clock = { ticks: 17_000_000_000_000_000n, now: () => clock.ticks };
  let h: Harness;
  let origin: string;
  let client: Client;
  let targetId: string;
  let previousTlsSetting: string | undefined;

  before(async () => {
    previousTlsSetting = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    const { key, certificate } = selfSignedCertificate('127.0.0.1');
    h = await startHarness({ tls: { key, cert: certificate }, clock });
    origin = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const admin = await h.user('helpdesk@contoso.example', { scopes: ['UserAuthenticationMethod.ReadWrite.All'] });
    targetId = (await h.user('megan.bowen@contoso.example')).user.id;
    client = Client.init({
      authProvider: (done) => done(null, admin.token),
      baseUrl: `${origin}/`,
      defaultVersion: 'v1.0',
      customHosts: new Set(['127.0.0.1']),
    });
  });

  after(async () => {
    await h?.close();
    if (previousTlsSetting === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previousTlsSetting;
  });

  const resetPath = (userKey: string) => `/users/${userKey}/authentication/methods/${PASSWORD_METHOD_ID}/resetPassword`;

  /** Polls `location` as given until the operation has finished, advancing the clock by each `Retry-After`. */
  async function pollToCompletion(location: string): Promise<{ operation: Operation; polls: { status: string; retryAfter: string | null }[] }> {
    const polls: { status: string; retryAfter: string | null }[] = [];
    for (let i = 0; i < 20; i++) {
      const raw = (await client.api(location).responseType(ResponseType.RAW).get()) as Response;
      assert.equal(raw.status, 200);
      const operation = (await raw.json()) as Operation;
      const retryAfter = raw.headers.get('retry-after');
      polls.push({ status: operation.status, retryAfter });
      if (operation.status === 'succeeded' || operation.status === 'failed') return { operation, polls };
      assert.match(String(retryAfter), /^[1-9]\d*$/, 'an unfinished operation says when to come back');
      clock.ticks += BigInt(retryAfter!) * TICKS_PER_SECOND;
    }
    assert.fail('the reset did not finish');
  }

  for (const version of ['v1.0', 'beta'] as const) {
    it(`${version}: reset by UPN, read Location and Retry-After, poll the Location to succeeded`, async () => {
      const raw = (await client
        .api(resetPath('megan.bowen@contoso.example'))
        .version(version)
        .responseType(ResponseType.RAW)
        .post({})) as Response;
      assert.equal(raw.status, 202);
      const location = raw.headers.get('location')!;
      assert.match(location, new RegExp(`^${origin}/${version}/users/${targetId}/authentication/operations/[0-9a-f-]{36}\\?aadgdc=`));
      assert.equal(raw.headers.get('retry-after'), '3');
      const body = (await raw.json()) as { '@odata.context': string; newPassword: string };
      assert.equal(body['@odata.context'], `${origin}/${version}/$metadata#microsoft.graph.passwordResetResponse`);
      assert.equal(body.newPassword.length, 16);

      const { operation, polls } = await pollToCompletion(location);
      assert.deepEqual(polls, [
        { status: 'notStarted', retryAfter: '3' },
        { status: 'running', retryAfter: '2' }, // polled 3 s in: running since 2.5 s, finishing at 5 s
        { status: 'succeeded', retryAfter: null },
      ]);
      assert.equal(operation.statusDetail, 'ResetSuccess');
      assert.equal(operation.resourceLocation, `${origin}/${version}/users/${targetId}/authentication/methods/${PASSWORD_METHOD_ID}`);
      assert.ok(operation.lastActionDateTime >= operation.createdDateTime);

      // The client's parsed form of the same URL, query string and all.
      const parsed = (await client.api(location).get()) as Operation;
      assert.equal(parsed.id, operation.id);
      assert.equal(parsed.status, 'succeeded');
    });
  }

  it('with newPassword the 202 has no body: the parsed call resolves, and the raw one shows the Location', async () => {
    const parsed: unknown = await client.api(resetPath(targetId)).post({ newPassword: 'Correct-Horse-Battery-9' });
    assert.ok(parsed === undefined || parsed === null || (typeof parsed === 'object' && Object.keys(parsed).length === 0), String(parsed));
    const raw = (await client.api(resetPath(targetId)).responseType(ResponseType.RAW).post({ newPassword: 'Correct-Horse-Battery-9' })) as Response;
    assert.equal(raw.status, 202);
    assert.equal(await raw.text(), '');
    const { operation } = await pollToCompletion(raw.headers.get('location')!);
    assert.equal(operation.status, 'succeeded');
  });

  it('refusals arrive as GraphError: resetting one’s own password is 403, an unknown user 404', async () => {
    await assert.rejects(client.api(resetPath('helpdesk@contoso.example')).post({}), (error: unknown) => {
      assert.ok(error instanceof GraphError);
      assert.equal(error.statusCode, 403);
      assert.equal(error.code, 'Authorization_RequestDenied');
      assert.match(error.message, /own password/);
      return true;
    });
    await assert.rejects(client.api(resetPath('nobody@contoso.example')).post({}), (error: unknown) => {
      assert.ok(error instanceof GraphError);
      assert.equal(error.statusCode, 404);
      assert.equal(error.code, 'Request_ResourceNotFound');
      return true;
    });
  });
});
