/**
 * The authorization code flow as a person goes through it, in headless Debian Chromium driven by
 * playwright-core: a desktop app (MSAL Node's PublicClientApplication, in
 * test/sign-in/clients/auth-code-loopback.ts) gets the authorization URL with PKCE and listens at a loopback
 * redirect URI; the user types a name and a password into graph-lro's sign-in page; the browser lands on the
 * app's loopback server with the code, which the app redeems and uses on /me.
 *
 * Over HTTPS, since MSAL takes only an https:// authority, and each side trusts graph-lro as it would in
 * real use, no more: the app runs in a process of its own with graph-lro's CA in `NODE_EXTRA_CA_CERTS`
 * (Node.js reads it only at start, so this process could not trust it for an in-process MSAL), and Chromium
 * accepts the one certificate Node.js verified against that CA (see trustServerCertificate). Not
 * `ignoreHTTPSErrors`: it would take any certificate, a wrong one too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startGraphLro, type GraphLro } from '../../src/graph-lro.js';
import { CHROMIUM, CHROMIUM_ARGS, chromiumAvailable, trustServerCertificate } from '../support/chromium.js';
import type { RunningCommand } from '../support/process.js';
import { clientReport, parsed, startClient } from '../support/sign-in-clients.js';
import { tempDirs } from '../support/temp-dirs.js';

const TENANT = '00000000-0000-4000-8000-00000000d3e0';
const CLIENT = 'auth-code-loopback';
// Registered without a port: a loopback redirect URI matches on any, as a desktop app's needs.
const DESKTOP = { clientId: '7b8c9d0e-0000-4000-8000-000000000003', displayName: 'Contoso Desktop', scopes: ['UserAuthenticationMethod.ReadWrite'], redirectUris: ['http://127.0.0.1/callback'] };
const ADELE = { id: '8c9d0e1f-0000-4000-8000-00000000ade1', userPrincipalName: 'adele@contoso.com', password: 'Adele-passw0rd' };

if (chromiumAvailable('the sign-in page')) {
  describe('the sign-in page in Chromium, for a desktop app using MSAL Node', () => {
    let lro: GraphLro;
    let browser: Browser;
    let caFolder: string;
    const tempDir = tempDirs('graph-lro-browser-sign-in-');
    const contexts: BrowserContext[] = [];
    const apps: RunningCommand[] = [];
    /** Script errors and policy violations on any page: the sign-in page runs no script and must not try to. */
    const problems: string[] = [];

    before(async () => {
      lro = await startGraphLro({ https: true, users: [ADELE], applications: [DESKTOP] });
      caFolder = tempDir();
      browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, await trustServerCertificate(lro.url, lro.caCertificate!)] });
    });

    after(async () => {
      apps.forEach((app) => app.kill()); // one a failed test left waiting for its redirect
      for (const context of contexts) await context.close();
      await browser?.close();
      await lro?.close();
      assert.deepEqual(problems, [], 'no script error and no CSP violation on any page');
    });

    /** The app started, and the browser at the authorization URL it asks the user to open. */
    async function startSignIn() {
      const app = startClient(lro, caFolder, CLIENT, { tenant: TENANT, app: DESKTOP });
      apps.push(app);
      const asked = parsed(await app.line((line) => line.startsWith('{"authorizeUrl"')));
      const context = await browser.newContext();
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (/Content[- ]Security[- ]Policy|Refused to/i.test(message.text())) problems.push(`console: ${message.text()}`);
      });
      const response = await page.goto(String(asked['authorizeUrl']));
      assert.equal(response?.status(), 200);
      return { app, page, response: response!, redirectUri: String(asked['redirectUri']) };
    }

    /** As a person signs in: the two fields typed into, the button clicked. */
    async function signIn(page: Page, username: string, password: string) {
      await page.getByLabel('Email or user principal name').fill(username);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
    }

    it('the page names the app and runs no script; signed in, the browser lands on the app with a code whose token creates an operation on /me', async () => {
      const { app, page, response, redirectUri } = await startSignIn();
      assert.equal(await page.title(), 'Sign in — graph-lro');
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Sign in');
      assert.equal(await page.locator('strong').innerText(), DESKTOP.displayName, 'the user sees which app asks');
      assert.equal(await page.locator('script').count(), 0);
      assert.match(response.headers()['content-security-policy'] ?? '', /script-src 'none'/);

      await signIn(page, ADELE.userPrincipalName, ADELE.password);
      await page.waitForURL((url) => url.href.startsWith(`${redirectUri}?`));
      assert.ok(new URL(page.url()).searchParams.get('code'), 'the code in the query, the response mode MSAL Node asks for');
      assert.match(await page.locator('body').innerText(), /Signed in/);

      const seen = await clientReport(app, CLIENT);
      assert.equal(seen['callbacks'], 1);
      assert.equal(seen['username'], ADELE.userPrincipalName);
      assert.equal(seen['status'], 201, JSON.stringify(seen['created']));
      const claims = decodeJwt(String(seen['token']));
      assert.equal(claims['oid'], ADELE.id);
      assert.equal(claims['appid'], DESKTOP.clientId);
      assert.equal(claims['scp'], 'UserAuthenticationMethod.ReadWrite');
      const created = seen['created'] as { id: string };
      const state = await lro.exportState();
      assert.equal(state.operations.find((op) => op.id === created.id)?.userId, ADELE.id, 'the operation is Adele\'s');
    });

    it('a wrong password shows the page again with AADSTS50126 and sends nothing to the app; the right one then signs in', async () => {
      const { app, page, redirectUri } = await startSignIn();
      const authorize = new URL(page.url());
      await signIn(page, ADELE.userPrincipalName, 'not-Adele-passw0rd');
      const alert = page.getByRole('alert');
      await alert.waitFor({ state: 'visible' });
      assert.match(await alert.innerText(), /^AADSTS50126: Error validating credentials due to invalid username or password/);
      const shown = new URL(page.url());
      assert.equal(`${shown.origin}${shown.pathname}`, `${authorize.origin}${authorize.pathname}`, 'still on graph-lro\'s page');
      assert.equal(await page.getByLabel('Email or user principal name').inputValue(), ADELE.userPrincipalName, 'the name stays filled in');
      assert.equal(await page.getByLabel('Password').inputValue(), '', 'the password is not');
      assert.equal(await page.locator('strong').innerText(), DESKTOP.displayName);
      assert.equal(await page.locator('script').count(), 0);

      await signIn(page, ADELE.userPrincipalName, ADELE.password);
      await page.waitForURL((url) => url.href.startsWith(`${redirectUri}?`));
      const seen = await clientReport(app, CLIENT);
      assert.equal(seen['callbacks'], 1, 'the wrong password sent the browser nowhere; the right one once');
      assert.equal(seen['status'], 201, JSON.stringify(seen['created']));
    });
  });
}
