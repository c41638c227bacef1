/**
 * The admin dashboard's files over HTTP (inject): served without a token, with the right media types and a
 * strict Content-Security-Policy, while the data routes behind it still need one. What the page does in a
 * browser is `test/browser/dashboard.test.ts`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { DASHBOARD_CSP } from '../../src/routes/dashboard.js';
import { startHarness, type Harness } from '../support/harness.js';

const FILES = [
  { url: '/admin/dashboard', file: 'index.html', type: 'text/html; charset=utf-8' },
  { url: '/admin/dashboard/app.js', file: 'app.js', type: 'text/javascript; charset=utf-8' },
  { url: '/admin/dashboard/app.css', file: 'app.css', type: 'text/css; charset=utf-8' },
];

const source = (file: string) => readFileSync(new URL(`../../dashboard/${file}`, import.meta.url), 'utf8');

describe('the admin dashboard page', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  for (const { url, file, type } of FILES) {
    it(`${url}: the file, without a token, with its media type and the security headers`, async () => {
      const res = await h.request(undefined, { method: 'GET', url });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], type);
      assert.equal(res.body, source(file));
      assert.equal(res.headers['content-security-policy'], DASHBOARD_CSP);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['x-frame-options'], 'DENY');
      assert.equal(res.headers['referrer-policy'], 'no-referrer');
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.ok(res.headers['request-id'], 'the service-wide headers too');
    });
  }

  it('the policy allows scripts, styles and requests of this origin only, no inline code, no frames', () => {
    const directives = new Map(DASHBOARD_CSP.split(';').map((d) => d.trim().split(/\s+/) as [string, ...string[]]).map(([k, ...v]) => [k, v]));
    assert.deepEqual(directives.get('default-src'), ["'none'"]);
    for (const name of ['script-src', 'style-src', 'connect-src']) assert.deepEqual(directives.get(name), ["'self'"], name);
    assert.deepEqual(directives.get('frame-ancestors'), ["'none'"]);
    assert.deepEqual(directives.get('base-uri'), ["'none'"]);
    assert.doesNotMatch(DASHBOARD_CSP, /unsafe-|data:|https?:|\*/);
  });

  it('the page needs nothing the policy forbids: no inline script, style or handler, nothing from elsewhere', () => {
    const html = source('index.html');
    for (const script of html.match(/<script\b[^>]*>/g) ?? []) assert.match(script, /\ssrc="\/admin\/dashboard\/app\.js"/);
    assert.doesNotMatch(html, /<script\b[^>]*>\s*[^<\s]/, 'no inline script');
    assert.doesNotMatch(html, /<style\b|\sstyle=/, 'no inline style');
    assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handler');
    assert.doesNotMatch(html + source('app.css'), /(?:src|href|url)\s*[=(]\s*["']?(?:https?:)?\/\//, 'nothing from another origin');
  });

  it('the script renders data as text only', () => {
    const js = source('app.js').replace(/^\s*\/\/.*$/gm, '');
    assert.doesNotMatch(js, /\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(|setAttribute\(\s*['"](?:style|on)/);
    assert.doesNotMatch(js, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/, 'fetches only this origin');
  });

  it('HEAD and a trailing slash work; other methods are 405 with Allow', async () => {
    const head = await h.request(undefined, { method: 'HEAD', url: '/admin/dashboard/' });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['content-security-policy'], DASHBOARD_CSP);
    const post = await h.request(undefined, { method: 'POST', url: '/admin/dashboard', payload: {} });
    assert.equal(post.statusCode, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    assert.equal(post.json.error.code, 'Request_BadRequest');
  });

  it('serving the page opens none of the admin data: its routes still need a token', async () => {
    for (const url of ['/admin/operations', '/admin/statistics']) {
      const res = await h.request(undefined, { method: 'GET', url });
      assert.equal(res.statusCode, 401, url);
      assert.equal(res.json.error.code, 'InvalidAuthenticationToken');
    }
    const unknown = await h.request(undefined, { method: 'GET', url: '/admin/dashboard/secrets.json' });
    assert.equal(unknown.statusCode, 404);
  });
});
