import { GraphError } from '../graph/errors.js';
import { namesCaller } from '../users/user-resolver.js';
import { CONSUMER_TENANT_ID, type Principal } from './principal.js';

export type Access = 'read' | 'write';

/** Whose operations a request addresses, relative to the caller: the `/me` path, or `/users/{key}`. */
export type Target = 'me' | 'self' | 'other';

/** Whether the path names the caller; answered from the token alone, so a 403 never needs a lookup. */
export function targetOf(principal: Principal, userKey: string | undefined): Target {
  if (userKey === undefined) return 'me';
  return namesCaller(principal, userKey) ? 'self' : 'other';
}

const READ_OWN = ['UserAuthenticationMethod.Read', 'UserAuthenticationMethod.Read.All', 'UserAuthenticationMethod.ReadWrite', 'UserAuthenticationMethod.ReadWrite.All'];
const READ_ANY = ['UserAuthenticationMethod.Read.All', 'UserAuthenticationMethod.ReadWrite.All'];
const WRITE_OWN = ['UserAuthenticationMethod.ReadWrite', 'UserAuthenticationMethod.ReadWrite.All'];
const WRITE_ANY = ['UserAuthenticationMethod.ReadWrite.All'];

/**
 * The permission policy (docs/api.md, "Permissions"): any read scope for one's own operations, a `.All` scope
 * for anyone else's, `ReadWrite` to change them; applications need an `.All` role and cannot use `/me`.
 * Personal Microsoft accounts are not supported, as the API's own documentation says.
 */
export function authorize(principal: Principal, access: Access, target: Target): void {
  refusePersonalAccounts(principal);
  if (principal.kind === 'application') {
    if (target === 'me') throw new GraphError('forbidden', '/me request is only valid with delegated authentication flow.');
    requireAny(principal.roles, access === 'read' ? READ_ANY : WRITE_ANY);
    return;
  }
  const own = target !== 'other';
  requireAny(principal.scopes, access === 'read' ? (own ? READ_OWN : READ_ANY) : own ? WRITE_OWN : WRITE_ANY);
}

function requireAny(granted: ReadonlySet<string>, needed: readonly string[]): void {
  if (!needed.some((permission) => granted.has(permission))) throw new GraphError('forbidden');
}

/** The API's documentation says it: personal Microsoft accounts (the consumer tenant) are not supported. */
export function refusePersonalAccounts(principal: Principal): void {
  if (principal.tenantId === CONSUMER_TENANT_ID) {
    throw new GraphError('forbidden', 'Personal Microsoft accounts are not supported by this API.');
  }
}

const RESET_PASSWORD = 'UserAuthenticationMethod.ReadWrite.All';

/**
 * `resetPassword`'s own rule, stricter than the operations': a delegated token with
 * `UserAuthenticationMethod.ReadWrite.All`, for another user than the caller. Graph supports no
 * application permission for it, and a user cannot reset their own password through it.
 */
export function authorizePasswordReset(principal: Principal, target: Target): void {
  refusePersonalAccounts(principal);
  if (principal.kind === 'application') {
    throw new GraphError('forbidden', `Resetting a password is not supported with application permissions; it needs a delegated token with ${RESET_PASSWORD}.`);
  }
  if (!principal.scopes.has(RESET_PASSWORD)) throw new GraphError('forbidden');
  if (target !== 'other') {
    throw new GraphError('forbidden', 'A user cannot reset their own password with resetPassword; it resets the passwords of other users only.');
  }
}

/**
 * The permission of this service's own administration (the dashboard, the emulator's clock, reset, export
 * and import): not a Graph permission, so an identity provider grants it as an app role or a delegated
 * scope of the API's own registration. `graph-lro token --scopes GraphLro.Admin` mints one in dev mode.
 */
export const ADMIN_PERMISSION = 'GraphLro.Admin';

/** Administration needs {@link ADMIN_PERMISSION}, as a role (an app) or a scope (a signed-in user). */
export function authorizeAdmin(principal: Principal): void {
  refusePersonalAccounts(principal);
  requireAny(principal.kind === 'application' ? principal.roles : principal.scopes, [ADMIN_PERMISSION]);
}
