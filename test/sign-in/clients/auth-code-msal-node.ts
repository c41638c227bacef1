// A desktop app's sign-in with MSAL Node: the authorization code flow with PKCE, then a silent refresh.
// The browser's part (the sign-in page, its form posted, the redirect followed) is done here by fetch.
import { CryptoProvider, PublicClientApplication } from '@azure/msal-node';
import { env, msalAuth } from './environment.js';

const redirectUri = 'http://localhost/callback';
const scopes = ['https://graph.microsoft.com/UserAuthenticationMethod.ReadWrite'];
const app = new PublicClientApplication({ auth: msalAuth });
const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
const authorizeUrl = await app.getAuthCodeUrl({ scopes, redirectUri, codeChallenge: challenge, codeChallengeMethod: 'S256', state: 'app-state' });

const callback = await signInLikeABrowser(authorizeUrl);
const result = await app.acquireTokenByCode({ code: callback.searchParams.get('code')!, scopes, redirectUri, codeVerifier: verifier });
const refreshed = await app.acquireTokenSilent({ account: result.account!, scopes, forceRefresh: true });
console.log(
  JSON.stringify({
    state: callback.searchParams.get('state'),
    username: result.account?.username,
    homeAccountId: result.account?.homeAccountId,
    scopes: result.scopes,
    token: result.accessToken,
    refreshed: refreshed.accessToken !== result.accessToken && refreshed.account?.homeAccountId === result.account?.homeAccountId,
  }),
);

/** Opens the page, fills its form in with the user's name and password, posts it, and answers where it redirects. */
async function signInLikeABrowser(url: string): Promise<URL> {
  const html = await (await fetch(url)).text();
  const form = new URLSearchParams();
  for (const [, name, value] of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    form.append(name!, value!.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))));
  }
  form.set('username', env.username);
  form.set('password', env.password);
  const answer = await fetch(url.split('?')[0]!, { method: 'POST', body: form, redirect: 'manual' });
  if (answer.status !== 302) throw new Error(`the sign-in page answered ${answer.status}: ${await answer.text()}`);
  return new URL(answer.headers.get('location')!);
}
