import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp, type AppOptions } from '../../src/app.js';
import { openDevAuthority, type DevAuthority } from '../../src/auth/dev-authority.js';
import type { Clock } from '../../src/operations/clock.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/operations/ports/store.js';
import type { NamedUser } from '../../src/operations/ports/user-directory.js';
import { DEV_TENANT_ID, ensureUser } from '../../src/users/seed-users.js';

export { DEV_TENANT_ID };

export interface TokenOptions {
  tenantId?: string;
  scopes?: string[];
  roles?: string[];
}

/** A graph-lro app on an in-memory store with its own dev authority, for inject() or a real socket. */
export interface Harness {
  readonly app: FastifyInstance;
  readonly store: Store;
  readonly authority: DevAuthority;
  /** A user known to the directory (created on first use) and a delegated token for them. */
  user(upn: string, options?: TokenOptions): Promise<{ user: NamedUser; token: string }>;
  /** An application (client-credentials) token. */
  appToken(roles: string[], tenantId?: string): Promise<string>;
  /** inject() with a Bearer token and JSON bodies; answers the response with `json` parsed when there is a body. */
  request(token: string | undefined, options: InjectOptions): Promise<LightMyRequestResponse & { json: any }>;
  close(): Promise<void>;
}

export async function startHarness(options: Partial<AppOptions> & { clock?: Clock } = {}): Promise<Harness> {
  const store = options.store ?? openSqliteStore({ path: ':memory:' });
  const authority = await openDevAuthority({ secrets: store.secrets });
  const app = await buildApp({ store, verifier: authority.verifier, jwks: () => authority.jwks(), logLevel: false, ...options });
  await app.ready();
  return {
    app,
    store,
    authority,
    async user(upn, tokenOptions = {}) {
      const tenantId = tokenOptions.tenantId ?? DEV_TENANT_ID;
      const user = await ensureUser(store.users, tenantId, upn);
      const token = await authority.mint({ tenantId, user, scopes: tokenOptions.scopes, roles: tokenOptions.roles });
      return { user, token };
    },
    appToken(roles, tenantId = DEV_TENANT_ID) {
      return authority.mint({ tenantId, roles });
    },
    async request(token, injectOptions) {
      const headers: Record<string, string> = { ...(injectOptions.headers as Record<string, string>) };
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      let payload = injectOptions.payload;
      if (payload !== undefined && typeof payload === 'object' && !Buffer.isBuffer(payload)) payload = JSON.stringify(payload);
      if (payload !== undefined) headers['content-type'] ??= 'application/json';
      const response = await app.inject({ ...injectOptions, headers, payload } as InjectOptions);
      const json = response.body.length > 0 && /json/.test(String(response.headers['content-type'])) ? response.json() : undefined;
      return Object.assign(response, { json });
    },
    async close() {
      await app.close();
      await store.close();
    },
  };
}

export const OPERATIONS = '/v1.0/me/authentication/operations';

/** The path and query of an absolute URL (a Location, a nextLink), for inject(). */
export function pathOf(url: unknown): string {
  const parsed = new URL(String(url));
  return `${parsed.pathname}${parsed.search}`;
}
