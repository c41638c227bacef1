/**
 * The dashboard from the built process, as `npm start` serves it: the files resolve from `dist/`, and the
 * link printed in dev mode carries an admin token that the admin routes accept.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { startServer } from '../support/process.js';

describe('graph-lro serve: the dashboard', () => {
  it('prints a dashboard link with an admin token in its fragment, and serves the page from the build', async () => {
    const server = await startServer(['--memory']);
    try {
      const link = /^\s+(http:\/\/\S+\/admin\/dashboard)#token=(eyJ[\w-]+\.[\w-]+\.[\w-]+)$/m.exec(server.output());
      assert.ok(link, `a dashboard link in:\n${server.output()}`);
      const [, page, token] = link;
      assert.equal(page, `${server.origin}/admin/dashboard`);
      const claims = decodeJwt(token!);
      assert.equal(claims.upn, 'admin@contoso.com');
      assert.equal(claims.scp, 'GraphLro.Admin');
      assert.notEqual(token, server.token, 'not the dev token, which has no admin permission');

      for (const [path, type] of [['', 'text/html'], ['/app.js', 'text/javascript'], ['/app.css', 'text/css']] as const) {
        const response = await fetch(`${page}${path}`);
        assert.equal(response.status, 200, path);
        assert.ok(response.headers.get('content-type')?.startsWith(type), path);
        assert.ok((await response.text()).length > 100, path);
      }
      const data = await fetch(`${server.origin}/admin/statistics`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(data.status, 200, 'the printed token is an admin token');
      const refused = await fetch(`${server.origin}/admin/statistics`, { headers: { authorization: `Bearer ${server.token}` } });
      assert.equal(refused.status, 403, 'the dev token is not');
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });
});
