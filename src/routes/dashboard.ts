import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { methodNotAllowed } from './method-not-allowed.js';

/** `dashboard/` at the package root: one level above both `src/routes/` (under tsx) and `dist/routes/` (built). */
const ASSETS = new URL('../../dashboard/', import.meta.url);

export const DASHBOARD_PATH = '/admin/dashboard';

const FILES = {
  [DASHBOARD_PATH]: { file: 'index.html', type: 'text/html; charset=utf-8' },
  [`${DASHBOARD_PATH}/app.js`]: { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  [`${DASHBOARD_PATH}/app.css`]: { file: 'app.css', type: 'text/css; charset=utf-8' },
} as const;

/**
 * The page reads operation data with the admin's token through `fetch` and renders it with the DOM: no inline
 * script or style, nothing from another origin, no form that navigates, and never inside a frame.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const HEADERS = {
  'Content-Security-Policy': DASHBOARD_CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  // The files change only with a release, but a stale script against a newer API is worse than a reload.
  'Cache-Control': 'no-store',
};

let loaded: Map<string, { body: Buffer; type: string }> | undefined;

/** Read once per process: a missing file fails at start, not at the first visit. */
function assets(): Map<string, { body: Buffer; type: string }> {
  loaded ??= new Map(Object.entries(FILES).map(([url, { file, type }]) => [url, { body: readFileSync(new URL(file, ASSETS)), type }]));
  return loaded;
}

/**
 * `GET /admin/dashboard` and its script and stylesheet. The page holds no data, so it is served without a
 * token: register this plugin outside the authenticated `/admin` scope. The data comes from `/admin/…`
 * JSON routes, which need the admin permission.
 */
export async function dashboardRoutes(app: FastifyInstance): Promise<void> {
  for (const [url, asset] of assets()) {
    app.get(url, async (_request, reply) => reply.headers(HEADERS).type(asset.type).send(asset.body));
    methodNotAllowed(app, url, ['GET']);
  }
}
