/**
 * The admin dashboard in a real browser: headless Debian Chromium (`/usr/bin/chromium`, which `.ci/run`
 * installs) driven by playwright-core, against the app on a real socket. Operations are made and changed
 * through the Graph API, as clients would; the page must show them, filter them, follow their changes live
 * and draw them, with a token from the URL's fragment or the sign-in field, and refuse non-admin tokens.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ADMIN_PERMISSION } from '../../src/auth/permissions.js';
import { CHROMIUM, CHROMIUM_ARGS, chromiumAvailable } from '../support/chromium.js';
import { startHarness, type Harness } from '../support/harness.js';
import { until as eventually } from '../support/until.js';

/** Several refresh periods of the page (2 s): a change must show within one, and CI machines are slow. */
const WAIT_MS = 15_000;
const TOKEN_KEY = 'graph-lro.admin-token';

interface Row {
  id: string;
  status: string;
  badge: string;
  user: string;
  detail: string;
}

interface Created {
  id: string;
  status: string;
  upn: string;
}

/** The table as the admin sees it, read in one go so that a refresh cannot tear it. */
function readRows(page: Page): Promise<Row[]> {
  return page.locator('#operations tbody tr').evaluateAll((trs) =>
    trs.map((tr) => ({
      id: tr.getAttribute('data-id') ?? '',
      status: tr.getAttribute('data-status') ?? '',
      badge: tr.querySelector('td.status')?.textContent ?? '',
      user: tr.querySelector('td.user')?.textContent ?? '',
      detail: tr.querySelector('td.detail')?.textContent ?? '',
    })),
  );
}

/** Polls `read` until `ok` holds: the page refreshes on its own schedule, so tests wait for an outcome, never for a time. */
const until = <T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> =>
  eventually(what, read, ok, { timeoutMs: WAIT_MS, intervalMs: 100 });

const sorted = (values: string[]) => [...values].sort();

if (chromiumAvailable('the dashboard')) {
  describe('the admin dashboard in Chromium', () => {
    let h: Harness;
    let origin: string;
    let browser: Browser;
    let shots: string;
    let adminToken: string;
    let userToken: string;
    let adeleId: string;
    const created: Created[] = [];
    const contexts: BrowserContext[] = [];
    /** Script errors and policy violations on any page: the page must run under its CSP without either. */
    const problems: string[] = [];

    async function graph(token: string, method: string, path: string, body?: unknown) {
      const response = await fetch(`${origin}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = (await response.json()) as Record<string, unknown>;
      assert.ok(response.ok, `${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
      return json;
    }

    async function createOperation(upn: string, token: string, detail: string, status?: string): Promise<Created> {
      const operation = await graph(token, 'POST', '/v1.0/me/authentication/operations', { statusDetail: detail });
      const id = String(operation.id);
      if (status) await graph(token, 'PATCH', `/v1.0/me/authentication/operations/${id}`, { status });
      const made = { id, status: status ?? 'notStarted', upn };
      created.push(made);
      return made;
    }

    /** `requested` collects the path of every request the page makes, from the first. */
    async function openPage(fragment = '', requested: string[] = []): Promise<Page> {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      contexts.push(context);
      const page = await context.newPage();
      page.on('request', (request) => requested.push(new URL(request.url()).pathname));
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (/Content[- ]Security[- ]Policy|Refused to/i.test(message.text())) problems.push(`console: ${message.text()}`);
      });
      await page.goto(`${origin}/admin/dashboard${fragment}`);
      return page;
    }

    // An expression, not a function: the tests compile without the DOM's types.
    const storedToken = async (page: Page) => (await page.evaluate(`sessionStorage.getItem(${JSON.stringify(TOKEN_KEY)})`)) as string | null;

    before(async () => {
      h = await startHarness();
      origin = await h.app.listen({ port: 0, host: '127.0.0.1' });
      adminToken = (await h.user('admin@contoso.com', { scopes: [ADMIN_PERMISSION] })).token;
      const { user, token: adele } = await h.user('adele@contoso.com');
      adeleId = user.id;
      const alex = (await h.user('alex@contoso.com')).token;
      userToken = adele;
      await createOperation('adele@contoso.com', adele, 'adele waiting');
      await createOperation('adele@contoso.com', adele, 'adele copying', 'running');
      await createOperation('adele@contoso.com', adele, 'adele done', 'succeeded');
      await createOperation('alex@contoso.com', alex, 'alex waiting');
      await createOperation('alex@contoso.com', alex, 'alex broken', 'failed');
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      // GRAPH_LRO_SCREENSHOTS=<folder> keeps the pictures, to look at them.
      shots = process.env.GRAPH_LRO_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'graph-lro-dashboard-'));
    });

    after(async () => {
      for (const context of contexts) await context.close();
      await browser?.close();
      await h?.close();
      if (shots && !process.env.GRAPH_LRO_SCREENSHOTS) rmSync(shots, { recursive: true, force: true });
      assert.deepEqual(problems, [], 'no script error and no CSP violation on any page');
    });

    it('without a token it asks for one and requests no data', async () => {
      const requested: string[] = [];
      const page = await openPage('', requested);
      await page.locator('#sign-in').waitFor({ state: 'visible' });
      assert.match(await page.locator('#sign-in-message').innerText(), /GraphLro\.Admin/);
      assert.equal(await page.locator('#dashboard').isHidden(), true);
      assert.equal(await page.locator('#token-input:focus').count(), 1, 'the field has the focus');
      const asked = requested.filter((path) => path !== '/favicon.ico').sort(); // the browser's own, in some versions
      assert.deepEqual(asked, ['/admin/dashboard', '/admin/dashboard/app.css', '/admin/dashboard/app.js'], 'the page and its two files, nothing else');
    });

    it('a token without GraphLro.Admin gets the forbidden message and the sign-in field, and is forgotten', async () => {
      const page = await openPage(`#token=${userToken}`);
      await page.locator('#sign-in').waitFor({ state: 'visible' });
      assert.match(await page.locator('#sign-in-message').innerText(), /does not carry the GraphLro\.Admin permission/);
      assert.equal(await page.locator('#status-line').getAttribute('data-kind'), 'error');
      assert.equal(await page.locator('#dashboard').isHidden(), true);
      assert.equal(await storedToken(page), null);
      assert.doesNotMatch(page.url(), /token/, 'the token left the address bar');
    });

    it('a token the server refuses (401) says so; the sign-in field then takes an admin token', async () => {
      const page = await openPage('#token=not-a-token');
      await page.locator('#sign-in').waitFor({ state: 'visible' });
      assert.match(await page.locator('#sign-in-message').innerText(), /refused/);
      await page.locator('#token-input').fill(adminToken);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await until('the rows after signing in', () => readRows(page), (rows) => rows.length === created.length);
      assert.equal(await page.locator('#sign-in').isHidden(), true);
      assert.equal(await storedToken(page), adminToken, 'kept for this tab');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.locator('#sign-in').waitFor({ state: 'visible' });
      assert.equal(await storedToken(page), null);
      assert.equal(await page.locator('#operations tbody tr').count(), 0);
    });

    it('shows every user\'s operations live, filters by status and user, draws the chart', async () => {
      const page = await openPage(`#token=${adminToken}`);
      assert.doesNotMatch(page.url(), /token/, 'the token left the address bar');

      // Every user's operations, with the status each has.
      let rows = await until('all operations', () => readRows(page), (r) => r.length === created.length);
      assert.deepEqual(sorted(rows.map((r) => r.id)), sorted(created.map((c) => c.id)));
      for (const row of rows) {
        const made = created.find((c) => c.id === row.id)!;
        assert.equal(row.status, made.status, row.detail);
        assert.equal(row.badge, made.status, 'the status is written in the row');
        assert.equal(row.user, made.upn);
      }
      assert.match(await page.locator('#status-line').innerText(), /Live/);

      // Totals by status and a stacked bar per status in the chart.
      const total = (status: string) => page.locator(`#totals .status-${status} .count`).innerText();
      assert.deepEqual(
        [await total('notStarted'), await total('running'), await total('succeeded'), await total('failed')],
        ['2', '1', '1', '1'],
      );
      assert.equal(await page.locator('#totals .total .count').innerText(), '5');
      for (const status of ['notStarted', 'running', 'succeeded', 'failed']) {
        assert.ok((await page.locator(`#chart svg rect.bar.status-${status}`).count()) >= 1, `a ${status} bar`);
      }
      assert.match((await page.locator('#chart svg').getAttribute('aria-label')) ?? '', /^5 operations created/);
      assert.equal(await page.locator('#legend li').count(), 4);

      // By status: the select narrows the table.
      await page.getByLabel('Status', { exact: true }).selectOption('notStarted');
      rows = await until('notStarted only', () => readRows(page), (r) => r.length === 2 && r.every((row) => row.status === 'notStarted'));
      assert.deepEqual(sorted(rows.map((r) => r.user)), ['adele@contoso.com', 'alex@contoso.com']);

      // By user, typed: status and user together, then the user alone.
      await page.getByLabel('User', { exact: true }).fill('alex@contoso.com');
      await page.getByLabel('User', { exact: true }).press('Enter');
      rows = await until('alex, notStarted', () => readRows(page), (r) => r.length === 1 && r[0]?.user === 'alex@contoso.com');
      await page.getByLabel('Status', { exact: true }).selectOption('');
      rows = await until('alex only', () => readRows(page), (r) => r.length === 2 && r.every((row) => row.user === 'alex@contoso.com'));

      // By user, clicked: a user's name in the table filters by that user.
      await page.getByRole('button', { name: 'Clear' }).click();
      await until('all again', () => readRows(page), (r) => r.length === created.length);
      await page.locator('#operations tbody tr td.user button', { hasText: 'adele@contoso.com' }).first().click();
      rows = await until('adele only', () => readRows(page), (r) => r.length === 3 && r.every((row) => row.user === 'adele@contoso.com'));
      assert.equal(await page.getByLabel('User', { exact: true }).inputValue(), adeleId, 'by object id');

      // Live: a change made through the API shows without touching the page.
      const waiting = created.find((c) => c.upn === 'adele@contoso.com' && c.status === 'notStarted')!;
      await graph(userToken, 'PATCH', `/v1.0/me/authentication/operations/${waiting.id}`, { status: 'running', statusDetail: 'adele started' });
      waiting.status = 'running';
      rows = await until('the PATCH on the page', () => readRows(page), (r) => r.find((row) => row.id === waiting.id)?.status === 'running');
      assert.equal(rows.find((row) => row.id === waiting.id)?.detail, 'adele started');
      await page.getByRole('button', { name: 'Clear' }).click();
      await until('the new total', () => total('running'), (n) => n === '2');

      const file = join(shots, 'dashboard.png');
      await page.screenshot({ path: file, fullPage: true });
      const png = readFileSync(file);
      assert.ok(png.length > 10_000, `a real picture (${png.length} bytes)`);
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG');
    });

    it('renders what clients wrote as text, never as markup', async () => {
      const { token } = await h.user('mallory@contoso.com');
      const hostile = '<img src=x onerror="document.title=\'pwned\'">';
      const made = await createOperation('mallory@contoso.com', token, hostile);
      const page = await openPage(`#token=${adminToken}`);
      await page.getByLabel('User', { exact: true }).fill('mallory@contoso.com');
      await page.getByLabel('User', { exact: true }).press('Enter');
      const rows = await until('mallory\'s operation', () => readRows(page), (r) => r.length === 1 && r[0]?.id === made.id);
      assert.equal(rows[0]?.detail, hostile);
      assert.equal(await page.locator('#operations img').count(), 0);
      assert.notEqual(await page.title(), 'pwned');
    });

    it('"Load more" follows nextLink, and the live refresh keeps the rows loaded', async () => {
      const { token } = await h.user('bulk@contoso.com');
      for (let i = 0; i < 60; i++) await createOperation('bulk@contoso.com', token, `bulk ${i}`);
      const page = await openPage(`#token=${adminToken}`);
      await page.getByLabel('User', { exact: true }).fill('bulk@contoso.com');
      await page.getByLabel('User', { exact: true }).press('Enter');
      const first = await until('the first page', () => readRows(page), (r) => r.length === 50 && r.every((row) => row.user === 'bulk@contoso.com'));
      await page.getByRole('button', { name: 'Load more' }).click();
      const all = await until('the second page', () => readRows(page), (r) => r.length === 60);
      assert.deepEqual(all.slice(0, 50).map((r) => r.id), first.map((r) => r.id), 'appended, newest first');
      assert.equal(new Set(all.map((r) => r.id)).size, 60);
      assert.equal(await page.getByRole('button', { name: 'Load more' }).isHidden(), true);
      // Past the next refresh the 60 are all still there.
      const updated = () => page.locator('#updated').getAttribute('datetime');
      const before = await updated();
      await until('a refresh', updated, (at) => at !== before);
      assert.equal((await readRows(page)).length, 60);
    });
  });
}
