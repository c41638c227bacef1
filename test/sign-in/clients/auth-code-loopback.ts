// A desktop app's interactive sign-in with MSAL Node, the way a desktop app takes the code: a local HTTP
// server at a loopback redirect URI, the user's browser sent to the authorization URL, the code taken from
// the redirect and redeemed with the PKCE verifier, then the token used on Graph. Where the app would open
// the system browser it prints the URL instead (one JSON line), for test/browser/sign-in.test.ts to open in
// Chromium and sign in as a person.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CryptoProvider, PublicClientApplication } from '@azure/msal-node';
import { env, msalAuth } from './environment.js';

const scopes = ['https://graph.microsoft.com/UserAuthenticationMethod.ReadWrite'];
const state = new CryptoProvider().createNewGuid();
const app = new PublicClientApplication({ auth: msalAuth });

const server = createServer();
server.listen(0, '127.0.0.1');
await once(server, 'listening');
// Registered as http://127.0.0.1/callback: a loopback redirect URI matches on any port, so the app takes a free one.
const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
let callbacks = 0;
const redirected = new Promise<URL>((resolve) => {
  server.on('request', (request, response) => {
    const url = new URL(request.url ?? '/', redirectUri);
    if (url.pathname !== '/callback') return void response.writeHead(404).end(); // the browser's own (favicon.ico)
    callbacks++;
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>Signed in</title><p>Signed in: you can close this window.</p>');
    resolve(url);
  });
});

const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
const authorizeUrl = await app.getAuthCodeUrl({ scopes, redirectUri, codeChallenge: challenge, codeChallengeMethod: 'S256', state });
console.log(JSON.stringify({ authorizeUrl, redirectUri }));

const callback = await redirected;
// The app's own check: an answer to a request it did not make (another state) is refused.
if (callback.searchParams.get('state') !== state) throw new Error(`the redirect's state is not the request's: ${callback.search}`);
const result = await app.acquireTokenByCode({ code: callback.searchParams.get('code')!, scopes, redirectUri, codeVerifier: verifier });
const created = await fetch(`${env.origin}/v1.0/me/authentication/operations`, {
  method: 'POST',
  headers: { authorization: `Bearer ${result.accessToken}`, 'content-type': 'application/json' },
  body: JSON.stringify({ statusDetail: 'signed in in a browser' }),
});
server.close();
server.closeAllConnections();
console.log(JSON.stringify({ callbacks, username: result.account?.username, token: result.accessToken, status: created.status, created: await created.json() }));
