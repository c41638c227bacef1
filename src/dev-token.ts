import type { DevAuthority } from './auth/dev-authority.js';
import { ConfigError, integerSetting, TOKEN_SETTINGS } from './config.js';
import type { UserDirectory } from './operations/ports/user-directory.js';
import { DEV_TENANT_ID, ensureUser } from './users/seed-users.js';

/** What a dev token is for: the flags of `graph-lro token`, and what the package API's `token()` takes. */
export interface DevTokenRequest {
  /** userPrincipalName of the signed-in user: a delegated token. */
  readonly user?: string | undefined;
  /** The tenant id (`tid`); the dev tenant when absent. */
  readonly tenant?: string | undefined;
  /** Delegated scopes; every UserAuthenticationMethod scope when absent. */
  readonly scopes?: readonly string[] | undefined;
  /** Application roles; without `user`, an application (client-credentials) token. */
  readonly roles?: readonly string[] | undefined;
  /** Seconds until the token expires (default 86400). */
  readonly lifetime?: string | number | undefined;
}

export interface CheckedTokenRequest {
  readonly tenantId: string;
  readonly user?: string;
  readonly scopes?: string[];
  readonly roles: string[];
  readonly lifetimeSeconds: number;
}

/** Checks a request before anything is opened: a user or roles, at least one scope when scopes are named. */
export function checkTokenRequest(request: DevTokenRequest): CheckedTokenRequest {
  const lifetime = request.lifetime === undefined ? TOKEN_SETTINGS.lifetime.default : String(request.lifetime);
  const lifetimeSeconds = integerSetting(TOKEN_SETTINGS.lifetime, lifetime, 60, 365 * 24 * 3600);
  const roles = [...(request.roles ?? [])];
  if (request.user === undefined && roles.length === 0) {
    throw new ConfigError('Name a user (--user <upn>) for a delegated token, or --roles for an application token.');
  }
  if (request.scopes?.length === 0) throw new ConfigError('--scopes needs at least one scope.');
  return {
    tenantId: (request.tenant ?? DEV_TENANT_ID).toLowerCase(),
    ...(request.user !== undefined && { user: request.user }),
    ...(request.scopes !== undefined && { scopes: [...request.scopes] }),
    roles,
    lifetimeSeconds,
  };
}

/** Mints the token with `authority`; a named user becomes known to the directory (the id it knows, or a derived one). */
export async function mintDevToken(authority: DevAuthority, directory: UserDirectory, request: CheckedTokenRequest): Promise<string> {
  const { tenantId, scopes, roles, lifetimeSeconds } = request;
  const user = request.user === undefined ? undefined : await ensureUser(directory, tenantId, request.user);
  return authority.mint({ tenantId, user, scopes, roles, lifetimeSeconds });
}
