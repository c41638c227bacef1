/**
 * The dev identity's Entra endpoints over a real socket, as a client sees them: discovery documents built
 * from the request's origin, the key set, the token endpoint's four grants and its answers (token shape,
 * Entra's error envelope for every refusal), the state format's registrations, and none of it under a real
 * identity provider.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { startGraphLro, type GraphLro } from '../../src/graph-lro.js';
import { startIdentityProvider, type FakeIdentityProvider } from '../support/identity-provider.js';

const TENANT = '00000000-0000-4000-8000-00000000d3e0';
const OTHER_TENANT = '7d1e0f2a-0000-4000-8000-0000000000aa';
const GRAPH_DEFAULT = 'https://graph.microsoft.com/.default';
const WORKER = { clientId: '1b2c3d4e-0000-4000-8000-000000000001', clientSecret: 'worker secret +/=', displayName: 'Worker', roles: ['UserAuthenticationMethod.ReadWrite.All'] };
const READER = { clientId: '1b2c3d4e-0000-4000-8000-000000000002', displayName: 'Reader', scopes: ['UserAuthenticationMethod.Read'] };
const ELSEWHERE = { clientId: '1b2c3d4e-0000-4000-8000-000000000003', clientSecret: 'x', tenantId: OTHER_TENANT, roles: [] };
const ADELE = { id: '2c3d4e5f-0000-4000-8000-0000000ade1e', userPrincipalName: 'adele@contoso.com', password: 'Adele-passw0rd' };
const NOPASS = { id: '2c3d4e5f-0000-4000-8000-00000000b0b0', userPrincipalName: 'bob@contoso.com' };

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, any>;
}

describe('the dev identity\'s token and discovery endpoints', () => {
  let lro: GraphLro;

  before(async () => {
    lro = await startGraphLro({ users: [ADELE, NOPASS], applications: [WORKER, READER, ELSEWHERE], trustProxy: true });
  });
  after(() => lro.close());

  async function token(form: Record<string, string>, options: { tenant?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
    const response = await fetch(`${lro.url}/${options.tenant ?? TENANT}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: options.headers ?? {},
      body: new URLSearchParams(form),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> };
  }

  const password = (overrides: Record<string, string> = {}) =>
    token({ grant_type: 'password', client_id: READER.clientId, username: ADELE.userPrincipalName, password: ADELE.password, scope: 'UserAuthenticationMethod.Read openid profile offline_access', client_info: '1', ...overrides });

  describe('discovery', () => {
    for (const tenant of [TENANT, 'common', 'organizations']) {
      it(`${tenant}: the v2.0 document names this server's endpoints, its issuer at this origin`, async () => {
        const response = await fetch(`${lro.url}/${tenant}/v2.0/.well-known/openid-configuration`);
        assert.equal(response.status, 200);
        assert.match(String(response.headers.get('content-type')), /^application\/json/);
        const document = (await response.json()) as Record<string, string>;
        assert.equal(document['token_endpoint'], `${lro.url}/${tenant}/oauth2/v2.0/token`);
        assert.equal(document['authorization_endpoint'], `${lro.url}/${tenant}/oauth2/v2.0/authorize`);
        assert.equal(document['jwks_uri'], `${lro.url}/${tenant}/discovery/v2.0/keys`);
        assert.equal(document['issuer'], `${lro.url}/${tenant === TENANT ? TENANT : '{tenantid}'}/v2.0`);
      });
    }

    it('the v1.0 document: the issuer of Graph\'s access tokens', async () => {
      const document = (await (await fetch(`${lro.url}/${TENANT}/.well-known/openid-configuration`)).json()) as Record<string, string>;
      assert.equal(document['issuer'], `https://sts.windows.net/${TENANT}/`);
      assert.equal(document['jwks_uri'], `${lro.url}/${TENANT}/discovery/keys`);
    });

    it('behind a proxy (--trust-proxy): built from the forwarded origin', async () => {
      const headers = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'login.example.test' };
      const document = (await (await fetch(`${lro.url}/common/v2.0/.well-known/openid-configuration`, { headers })).json()) as Record<string, string>;
      assert.equal(document['token_endpoint'], 'https://login.example.test/common/oauth2/v2.0/token');
    });

    it('the keys are the dev signing key, the one /.well-known/jwks.json publishes', async () => {
      const keys = await (await fetch(`${lro.url}/${TENANT}/discovery/v2.0/keys`)).json();
      assert.deepEqual(keys, await (await fetch(`${lro.url}/.well-known/jwks.json`)).json());
    });
  });

  describe('client credentials', () => {
    it('an application token with the app\'s roles, shaped like Entra\'s v1.0 Graph tokens, which the API takes', async () => {
      const answer = await token({ grant_type: 'client_credentials', client_id: WORKER.clientId, client_secret: WORKER.clientSecret, scope: GRAPH_DEFAULT });
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      assert.deepEqual(Object.keys(answer.body).sort(), ['access_token', 'expires_in', 'ext_expires_in', 'token_type']);
      assert.equal(answer.body['token_type'], 'Bearer');
      assert.equal(answer.body['expires_in'], 3600);
      const claims = decodeJwt(answer.body['access_token']);
      assert.equal(claims.iss, `https://sts.windows.net/${TENANT}/`);
      assert.equal(claims.aud, 'https://graph.microsoft.com');
      assert.equal(claims['ver'], '1.0');
      assert.equal(claims['tid'], TENANT);
      assert.equal(claims['appid'], WORKER.clientId);
      assert.equal(claims['appidacr'], '1');
      assert.equal(claims['app_displayname'], 'Worker');
      assert.equal(claims['idtyp'], 'app');
      assert.deepEqual(claims['roles'], WORKER.roles);
      assert.equal(claims['scp'], undefined);
      assert.equal(claims.exp! - claims.iat!, 3600);
      const created = await fetch(`${lro.url}/v1.0/users/${ADELE.userPrincipalName}/authentication/operations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${answer.body['access_token']}`, 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(created.status, 201);
    });

    it('client_secret_basic: the id and secret in an Authorization: Basic header', async () => {
      const basic = Buffer.from(`${encodeURIComponent(WORKER.clientId)}:${encodeURIComponent(WORKER.clientSecret)}`).toString('base64');
      const answer = await token({ grant_type: 'client_credentials', scope: GRAPH_DEFAULT }, { headers: { authorization: `Basic ${basic}` } });
      assert.equal(answer.status, 200);
    });

    it('an app granted no role gets a token the API answers 403', async () => {
      const answer = await token({ grant_type: 'client_credentials', client_id: ELSEWHERE.clientId, client_secret: 'x', scope: GRAPH_DEFAULT }, { tenant: OTHER_TENANT });
      assert.equal(answer.status, 200);
      const read = await fetch(`${lro.url}/v1.0/users/${ADELE.id}/authentication/operations`, { headers: { authorization: `Bearer ${answer.body['access_token']}` } });
      assert.equal(read.status, 403);
    });
  });

  describe('password (resource owner)', () => {
    it('a delegated token with the scopes asked, an ID token, client_info and a refresh token', async () => {
      const answer = await password();
      assert.equal(answer.status, 200);
      assert.equal(answer.body['scope'], 'https://graph.microsoft.com/UserAuthenticationMethod.Read openid profile offline_access');
      const claims = decodeJwt(answer.body['access_token']);
      assert.equal(claims['scp'], 'UserAuthenticationMethod.Read');
      assert.equal(claims['upn'], ADELE.userPrincipalName);
      assert.equal(claims['oid'], ADELE.id);
      assert.equal(claims['idtyp'], 'user');
      assert.equal(claims['appidacr'], '0');
      const id = decodeJwt(answer.body['id_token']);
      assert.equal(id.iss, `${lro.url}/${TENANT}/v2.0`);
      assert.equal(id.aud, READER.clientId);
      assert.equal(id['preferred_username'], ADELE.userPrincipalName);
      assert.deepEqual(JSON.parse(Buffer.from(answer.body['client_info'], 'base64url').toString()), { uid: ADELE.id, utid: TENANT });
      const read = await fetch(`${lro.url}/v1.0/me/authentication/operations`, { headers: { authorization: `Bearer ${answer.body['access_token']}` } });
      assert.equal(read.status, 200);
    });

    it('scopes written as https://graph.microsoft.com/X, or .default for all the app may have; no refresh token without offline_access', async () => {
      const full = await password({ scope: 'https://graph.microsoft.com/UserAuthenticationMethod.Read' });
      assert.equal(decodeJwt(full.body['access_token'])['scp'], 'UserAuthenticationMethod.Read');
      assert.equal(full.body['refresh_token'], undefined);
      assert.equal(full.body['id_token'], undefined);
      const all = await password({ client_id: WORKER.clientId, scope: GRAPH_DEFAULT });
      assert.equal(decodeJwt(all.body['access_token'])['scp'], 'UserAuthenticationMethod.Read UserAuthenticationMethod.Read.All UserAuthenticationMethod.ReadWrite UserAuthenticationMethod.ReadWrite.All');
    });
  });

  describe('refresh token', () => {
    it('gives new tokens for the same user and app; is refused by the API, and by another app', async () => {
      const first = await password();
      const refreshed = await token({ grant_type: 'refresh_token', client_id: READER.clientId, refresh_token: first.body['refresh_token'], scope: 'UserAuthenticationMethod.Read offline_access' });
      assert.equal(refreshed.status, 200);
      assert.equal(decodeJwt(refreshed.body['access_token'])['oid'], ADELE.id);
      assert.ok(refreshed.body['refresh_token']);
      const asAccess = await fetch(`${lro.url}/v1.0/me/authentication/operations`, { headers: { authorization: `Bearer ${first.body['refresh_token']}` } });
      assert.equal(asAccess.status, 401, 'a refresh token is no access token');
      const otherApp = await token({ grant_type: 'refresh_token', client_id: WORKER.clientId, refresh_token: first.body['refresh_token'] });
      assertEntraError(otherApp, 400, 'invalid_grant', 9002313);
      const accessAsRefresh = await token({ grant_type: 'refresh_token', client_id: READER.clientId, refresh_token: first.body['access_token'] });
      assertEntraError(accessAsRefresh, 400, 'invalid_grant', 9002313);
    });

    it('a confidential client\'s refresh token needs its secret again', async () => {
      const first = await password({ client_id: WORKER.clientId, client_secret: WORKER.clientSecret, scope: 'offline_access UserAuthenticationMethod.Read' });
      const refresh = { grant_type: 'refresh_token', client_id: WORKER.clientId, refresh_token: first.body['refresh_token'] };
      assertEntraError(await token(refresh), 401, 'invalid_client', 7000218);
      assert.equal((await token({ ...refresh, client_secret: WORKER.clientSecret })).status, 200);
    });
  });

  describe('refusals, in Entra\'s envelope', () => {
    const cc = { grant_type: 'client_credentials', client_id: WORKER.clientId, client_secret: WORKER.clientSecret, scope: GRAPH_DEFAULT };
    const cases: [string, () => Promise<Answer>, number, string, number][] = [
      ['an unknown client', () => token({ ...cc, client_id: '99999999-0000-4000-8000-000000000000' }), 400, 'unauthorized_client', 700016],
      ['an app of another tenant', () => token(cc, { tenant: OTHER_TENANT }), 400, 'unauthorized_client', 700016],
      ['a wrong client secret', () => token({ ...cc, client_secret: 'wrong' }), 401, 'invalid_client', 7000215],
      ['client credentials without a secret', () => token({ ...cc, client_secret: '' }), 401, 'invalid_client', 7000218],
      ['a secret from a public client', () => password({ client_secret: 'anything' }), 401, 'invalid_client', 700025],
      ['an unknown user', () => password({ username: 'nobody@contoso.com' }), 400, 'invalid_grant', 50034],
      ['a wrong password', () => password({ password: 'wrong' }), 400, 'invalid_grant', 50126],
      ['a user without a password', () => password({ username: NOPASS.userPrincipalName }), 400, 'invalid_grant', 50126],
      ['an unsupported grant type', () => token({ ...cc, grant_type: 'urn:ietf:params:oauth:grant-type:device_code' }), 400, 'unsupported_grant_type', 70003],
      ['a scope the app may not have', () => password({ scope: 'UserAuthenticationMethod.ReadWrite.All' }), 400, 'invalid_grant', 65001],
      ['client credentials with a named permission', () => token({ ...cc, scope: 'https://graph.microsoft.com/UserAuthenticationMethod.Read.All' }), 400, 'invalid_scope', 1002012],
      ['a resource other than Graph', () => token({ ...cc, scope: 'api://other/.default' }), 400, 'invalid_resource', 500011],
      ['a tenant given by name', () => token(cc, { tenant: 'contoso.onmicrosoft.com' }), 400, 'invalid_request', 90002],
      ['no grant_type', () => token({ client_id: WORKER.clientId }), 400, 'invalid_request', 900144],
      ['a refresh token that is not one', () => token({ grant_type: 'refresh_token', client_id: READER.clientId, refresh_token: 'garbage' }), 400, 'invalid_grant', 9002313],
    ];
    for (const [what, request, status, error, code] of cases) {
      it(`${what}: ${status} ${error} AADSTS${code}`, async () => assertEntraError(await request(), status, error, code));
    }

    it('the correlation id is the client-request-id sent, the trace id the request-id answered', async () => {
      const correlation = 'b7f1c0de-1111-4222-8333-444455556666';
      const answer = await token({ grant_type: 'client_credentials', client_id: WORKER.clientId, client_secret: 'wrong', scope: GRAPH_DEFAULT }, { headers: { 'client-request-id': correlation } });
      assert.equal(answer.body['correlation_id'], correlation);
      assert.equal(answer.body['trace_id'], answer.headers.get('request-id'));
      assert.match(answer.body['error_description'], new RegExp(`Correlation ID: ${correlation}`));
    });

    it('a GET of the token endpoint: Entra\'s answer, not Graph\'s', async () => {
      const response = await fetch(`${lro.url}/${TENANT}/oauth2/v2.0/token`);
      assert.equal(response.status, 400);
      assert.equal(response.headers.get('allow'), 'POST');
      const body = (await response.json()) as Record<string, string>;
      assert.match(String(body['error_description']), /^AADSTS900561: The endpoint only accepts POST requests\. Received a GET request\./);
    });

    it('a JSON body is not a token request', async () => {
      const response = await fetch(`${lro.url}/${TENANT}/oauth2/v2.0/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'client_credentials' }) });
      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as Record<string, string>)['error'], 'invalid_request');
    });
  });

  describe('the state format', () => {
    it('exports hashes, never a secret or a password, and an import takes plain values or hashes', async () => {
      const state = await lro.exportState();
      const text = JSON.stringify(state);
      for (const secret of [WORKER.clientSecret, ADELE.password]) assert.ok(!text.includes(secret), 'no secret in the export');
      const worker = state.applications?.find((app) => app.clientId === WORKER.clientId);
      assert.match(String(worker?.clientSecretHash), /^scrypt\$16384\$8\$1\$/);
      assert.match(String(state.users.find((user) => user.id === ADELE.id)?.passwordHash), /^scrypt\$/);
      const newcomer = { tenantId: TENANT, id: '2c3d4e5f-0000-4000-8000-0000000000ce', userPrincipalName: 'cecile@contoso.com', password: 'Cecile-pw' };
      await lro.importState({ ...state, users: [...state.users, newcomer] });
      assert.equal((await password()).status, 200, 'the exported hash still verifies Adele\'s password');
      assert.equal((await password({ username: newcomer.userPrincipalName, password: newcomer.password })).status, 200, 'a plain password imported');
      const withoutApps = { ...state, applications: [] };
      await lro.importState(withoutApps);
      assertEntraError(await password(), 400, 'unauthorized_client', 700016);
      await lro.importState(state);
    });

    it('an import with a bad registration changes nothing', async () => {
      const state = await lro.exportState();
      const bad = { ...state, applications: [{ clientId: 'not-a-guid', tenantId: TENANT }] };
      await assert.rejects(lro.importState(bad as never), /applications\[0\]\.clientId: must be a GUID/);
      assert.equal((await password()).status, 200);
    });
  });
});

describe('under a real identity provider', () => {
  let idp: FakeIdentityProvider;
  let lro: GraphLro;

  before(async () => {
    idp = await startIdentityProvider();
    lro = await startGraphLro({ jwksUrl: idp.jwksUrl, issuer: idp.issuer, audience: idp.audience });
  });
  after(async () => {
    await lro.close();
    await idp.close();
  });

  for (const [method, path] of [
    ['GET', `/${TENANT}/v2.0/.well-known/openid-configuration`],
    ['GET', '/common/.well-known/openid-configuration'],
    ['GET', `/${TENANT}/discovery/v2.0/keys`],
    ['POST', `/${TENANT}/oauth2/v2.0/token`],
    ['GET', '/organizations/oauth2/v2.0/authorize'],
  ] as const) {
    it(`${method} ${path}: 404, nothing of the dev identity is served`, async () => {
      const response = await fetch(`${lro.url}${path}`, { method, ...(method === 'POST' && { body: new URLSearchParams({ grant_type: 'client_credentials' }) }) });
      assert.equal(response.status, 404);
    });
  }

  it('refuses applications under a provider, and bad registrations under either identity', async () => {
    await assert.rejects(startGraphLro({ applications: [{ clientId: 'app' }] }), /option 'applications'\[0\]\.clientId: must be a GUID/);
    await assert.rejects(startGraphLro({ users: [{ ...ADELE, password: '' }] }), /option 'users'\[0\]\.password: must be a non-empty text/);
    await assert.rejects(
      startGraphLro({ jwksUrl: idp.jwksUrl, issuer: idp.issuer, audience: idp.audience, applications: [{ clientId: WORKER.clientId }] }),
      /register them there/,
    );
  });
});

function assertEntraError(answer: Answer, status: number, error: string, code: number): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.body['error'], error);
  assert.ok(String(answer.body['error_description']).startsWith(`AADSTS${code}: `), answer.body['error_description']);
  assert.deepEqual(answer.body['error_codes'], [code]);
  assert.match(answer.body['timestamp'], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  assert.match(answer.body['trace_id'], /^[0-9a-f-]{36}$/);
  assert.match(answer.body['correlation_id'], /^[0-9a-f-]{36}$/);
  assert.equal(answer.body['error_uri'], `https://login.microsoftonline.com/error?code=${code}`);
}
