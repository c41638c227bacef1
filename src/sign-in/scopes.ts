import type { Application } from './registrations.js';
import { SignInError } from './sign-in-error.js';

/** Microsoft Graph as a resource: its app id URI and its app id, the two ways a scope may name it. */
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
const GRAPH_RESOURCES = new Set([GRAPH_RESOURCE, '00000003-0000-0000-c000-000000000000']);
/** OpenID Connect's scopes: about the sign-in itself, never in an access token's `scp`. */
const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);
const DEFAULT = '.default';
const PERMISSION = /^[A-Za-z][\w.-]{0,127}$/;

/** A `scope` parameter, read: OpenID scopes, and Graph permissions (bare names) or `.default`. */
export interface RequestedScopes {
  readonly oidc: readonly string[];
  readonly graph: readonly string[];
  readonly graphDefault: boolean;
}

/**
 * Reads a space-separated `scope`: `https://graph.microsoft.com/X` and a bare `X` both name Graph's
 * permission X, as Entra reads them (a bare name means Graph); any other resource is not served here.
 */
export function readScopes(scope: string, tenant: string): RequestedScopes {
  const oidc: string[] = [];
  const graph: string[] = [];
  let graphDefault = false;
  for (const item of scope.split(' ').filter((part) => part !== '')) {
    if (OIDC_SCOPES.has(item.toLowerCase())) {
      oidc.push(item.toLowerCase());
      continue;
    }
    const slash = item.lastIndexOf('/');
    const resource = slash < 0 ? GRAPH_RESOURCE : item.slice(0, slash).replace(/\/+$/, '');
    const name = item.slice(slash + 1);
    if (!GRAPH_RESOURCES.has(resource.toLowerCase())) throw new SignInError('resourceNotFound', { resource, tenant });
    if (name === DEFAULT) graphDefault = true;
    else if (PERMISSION.test(name)) graph.push(name);
    else throw new SignInError('invalidScope', { scope: item });
  }
  if (graphDefault && graph.length > 0) throw new SignInError('invalidScope', { scope: `${GRAPH_RESOURCE}/${DEFAULT} with ${graph.join(' ')}` });
  return { oidc: [...new Set(oidc)], graph: [...new Set(graph)], graphDefault };
}

/**
 * The delegated permissions a user's token carries: those asked for, each one the app may be granted
 * (its `scopes`), else consent is missing; `.default`, or nothing of Graph's, means every one it may.
 */
export function grantDelegated(application: Application, requested: RequestedScopes): string[] {
  const consented = new Map(application.scopes.map((name) => [name.toLowerCase(), name]));
  const refuse = () => new SignInError('consentRequired', { clientId: application.clientId, appName: application.displayName });
  if (requested.graphDefault || requested.graph.length === 0) {
    if (consented.size === 0) throw refuse();
    return [...consented.values()];
  }
  return requested.graph.map((name) => consented.get(name.toLowerCase()) ?? throwError(refuse()));
}

/** Client credentials take exactly `{resource}/.default`: an app's permissions are its registration's, not asked for. */
export function checkClientCredentialsScope(scope: string, tenant: string): void {
  const requested = readScopes(scope, tenant);
  if (!requested.graphDefault || requested.oidc.length > 0) throw new SignInError('clientCredentialsScope', { scope });
}

/** The `scope` member of a token response: Graph's permissions as full URIs, then the OpenID scopes that were asked. */
export function grantedScopeText(scopes: readonly string[], requested: RequestedScopes): string {
  return [...scopes.map((name) => `${GRAPH_RESOURCE}/${name}`), ...requested.oidc].join(' ');
}

function throwError(error: Error): never {
  throw error;
}
