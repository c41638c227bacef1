/**
 * The authorization code flow with PKCE, driven end to end by an HTTP client that does what a browser
 * does: it opens the authorize URL, fills the sign-in page's form and posts it, follows the redirect to the
 * app's redirect URI, and the app redeems the code with its verifier. Then every way that can go wrong.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { startGraphLro, type GraphLro } from '../../src/graph-lro.js';

const TENANT = '00000000-0000-4000-8000-00000000d3e0';
const REDIRECT = 'http://localhost/auth/callback';
const SPA = { clientId: '3c4d5e6f-0000-4000-8000-0000000005ba', displayName: 'Single-page app', scopes: ['UserAuthenticationMethod.ReadWrite'], redirectUris: [REDIRECT, 'https://app.example.test/callback'] };
const WEB = { clientId: '3c4d5e6f-0000-4000-8000-000000000eb0', clientSecret: 'web-secret', redirectUris: ['https://web.example.test/signin'] };
const ADELE = { id: '4d5e6f70-0000-4000-8000-0000000ade1e', userPrincipalName: 'adele@contoso.com', password: 'Adele-passw0rd' };

/** A PKCE pair (RFC 7636, S256). */
function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

describe('the authorization code flow with PKCE', () => {
  let lro: GraphLro;

  before(async () => {
    lro = await startGraphLro({ users: [ADELE], applications: [SPA, WEB] });
  });
  after(() => lro.close());

  function authorizeUrl(parameters: Record<string, string>, tenant = 'organizations'): string {
    const query = new URLSearchParams({ client_id: SPA.clientId, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid offline_access UserAuthenticationMethod.ReadWrite', state: 'st4te', ...parameters });
    return `${lro.url}/${tenant}/oauth2/v2.0/authorize?${query}`;
  }

  /** What a browser does with the page: every field of its form, the user's name and password typed in, posted to the form's URL. */
  async function signIn(url: string, username: string, secret: string): Promise<Response> {
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(String(page.headers.get('content-security-policy')), /frame-ancestors 'none'/);
    const html = await page.text();
    const fields = new URLSearchParams();
    for (const [, name, value] of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields.append(name!, unescapeHtml(value!));
    fields.set('username', username);
    fields.set('password', secret);
    return fetch(new URL(url).pathname.replace(/^/, lro.url), { method: 'POST', body: fields, redirect: 'manual' });
  }

  async function redeem(form: Record<string, string>) {
    const response = await fetch(`${lro.url}/${TENANT}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', client_id: SPA.clientId, redirect_uri: REDIRECT, ...form }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  }

  async function codeFor(parameters: Record<string, string>): Promise<URL> {
    const answer = await signIn(authorizeUrl(parameters), ADELE.userPrincipalName, ADELE.password);
    assert.equal(answer.status, 302);
    return new URL(answer.headers.get('location')!);
  }

  it('signs a registered user in on the page, redirects with a code, and the code with its verifier gives tokens the API takes', async () => {
    const { verifier, challenge } = pkce();
    const callback = await codeFor({ code_challenge: challenge, code_challenge_method: 'S256', nonce: 'n-0nce' });
    assert.equal(`${callback.origin}${callback.pathname}`, REDIRECT);
    assert.equal(callback.searchParams.get('state'), 'st4te');
    const code = callback.searchParams.get('code')!;
    const tokens = await redeem({ code, code_verifier: verifier });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    assert.equal(decodeJwt(tokens.body['access_token'])['scp'], 'UserAuthenticationMethod.ReadWrite');
    assert.equal(decodeJwt(tokens.body['id_token'])['nonce'], 'n-0nce');
    assert.ok(tokens.body['refresh_token']);
    const me = await fetch(`${lro.url}/v1.0/me/authentication/operations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.body['access_token']}`, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(me.status, 201);

    const again = await redeem({ code, code_verifier: verifier });
    assert.equal(again.status, 400);
    assert.match(again.body['error_description'], /^AADSTS54005: /, 'a code is redeemed once');
  });

  it('a wrong verifier, a missing one, another redirect URI: refused, each as Entra does', async () => {
    const { verifier, challenge } = pkce();
    const code = (await codeFor({ code_challenge: challenge, code_challenge_method: 'S256' })).searchParams.get('code')!;
    assert.match((await redeem({ code, code_verifier: pkce().verifier })).body['error_description'], /^AADSTS501481: /);
    assert.match((await redeem({ code })).body['error_description'], /^AADSTS900144: .*'code_verifier'/);
    assert.match((await redeem({ code, code_verifier: verifier, redirect_uri: 'https://app.example.test/callback' })).body['error_description'], /^AADSTS50011: /);
    assert.equal((await redeem({ code, code_verifier: verifier })).status, 200, 'refusals do not use the code up');
    assert.match((await redeem({ code: 'not-a-code', code_verifier: verifier })).body['error_description'], /^AADSTS70000: /);
  });

  it('a loopback redirect URI matches on any port; fragment and form_post response modes', async () => {
    const { challenge } = pkce();
    const onPort = await codeFor({ redirect_uri: 'http://localhost:51234/auth/callback', code_challenge: challenge, code_challenge_method: 'S256' });
    assert.equal(onPort.port, '51234');
    const fragment = await codeFor({ response_mode: 'fragment', code_challenge: challenge, code_challenge_method: 'S256' });
    assert.equal(fragment.search, '');
    assert.match(fragment.hash, /^#code=[\w.-]+&state=st4te$/);
    const posted = await signIn(authorizeUrl({ response_mode: 'form_post', code_challenge: challenge, code_challenge_method: 'S256' }), ADELE.userPrincipalName, ADELE.password);
    assert.equal(posted.status, 200);
    const html = await posted.text();
    assert.match(html, new RegExp(`<form method="post" action="${REDIRECT}">`));
    assert.match(html, /name="code" value="[\w.-]+"/);
  });

  it('a wrong password shows the page again, with the AADSTS code, and sends nothing to the app', async () => {
    const answer = await signIn(authorizeUrl({ code_challenge: pkce().challenge, code_challenge_method: 'S256' }), ADELE.userPrincipalName, 'wrong');
    assert.equal(answer.status, 200);
    const html = await answer.text();
    assert.match(html, /AADSTS50126: Error validating credentials/);
    assert.match(html, /value="adele@contoso.com"/, 'the name stays filled in');
    assert.doesNotMatch(html, /wrong/, 'the password is never written back');
  });

  it('PKCE: S256 only, and a public client must use it; the answer goes back to the app as an error', async () => {
    for (const [parameters, code] of [
      [{ code_challenge: pkce().challenge, code_challenge_method: 'plain' }, 50149],
      [{ code_challenge: pkce().challenge }, 50149],
      [{}, 9002325],
      [{ code_challenge: pkce().challenge, code_challenge_method: 'S256', response_type: 'token' }, 700054],
      [{ code_challenge: pkce().challenge, code_challenge_method: 'S256', scope: 'UserAuthenticationMethod.ReadWrite.All' }, 65001],
      [{ code_challenge: pkce().challenge, code_challenge_method: 'S256', prompt: 'none' }, 50058],
    ] as const) {
      const answer = await fetch(authorizeUrl(parameters), { redirect: 'manual' });
      assert.equal(answer.status, 302, JSON.stringify(parameters));
      const location = new URL(answer.headers.get('location')!);
      assert.equal(location.searchParams.get('state'), 'st4te');
      assert.match(String(location.searchParams.get('error_description')), new RegExp(`^AADSTS${code}: `));
    }
  });

  it('an unknown app or an unregistered redirect URI: an error page, never a redirect', async () => {
    for (const [parameters, code] of [
      [{ client_id: '99999999-0000-4000-8000-000000000000' }, 700016],
      [{ redirect_uri: 'https://evil.example.test/callback' }, 50011],
      [{ redirect_uri: 'http://localhost/other' }, 50011],
    ] as const) {
      const answer = await fetch(authorizeUrl(parameters), { redirect: 'manual' });
      assert.equal(answer.status, 400);
      assert.equal(answer.headers.get('location'), null);
      assert.match(await answer.text(), new RegExp(`AADSTS${code}: `));
    }
  });

  it('a confidential client may skip PKCE and redeem with its secret', async () => {
    const url = `${lro.url}/${TENANT}/oauth2/v2.0/authorize?${new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUris[0]!, scope: 'UserAuthenticationMethod.ReadWrite' })}`;
    const answer = await signIn(url, ADELE.userPrincipalName, ADELE.password);
    const code = new URL(answer.headers.get('location')!).searchParams.get('code')!;
    const form = { grant_type: 'authorization_code', client_id: WEB.clientId, redirect_uri: WEB.redirectUris[0]!, code };
    const withoutSecret = await fetch(`${lro.url}/${TENANT}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams(form) });
    assert.match(((await withoutSecret.json()) as Record<string, string>)['error_description']!, /^AADSTS9002325: /);
    const withSecret = await fetch(`${lro.url}/${TENANT}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams({ ...form, client_secret: WEB.clientSecret }) });
    assert.equal(withSecret.status, 200);
  });
});

function unescapeHtml(text: string): string {
  return text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}
