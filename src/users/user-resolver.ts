import { LRUCache } from 'lru-cache';
import type { Principal } from '../auth/principal.js';
import type { Target } from '../auth/permissions.js';
import { GraphError } from '../errors.js';
import type { Owner } from '../operations/long-running-operation.js';
import type { DirectoryUser, UserDirectory } from '../store/store.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * How many users a process remembers having written: the active users of a large tenant, in well under a
 * megabyte. One forgotten costs a directory write at its next new token, nothing more.
 */
export const REMEMBERED_USERS = 10_000;

/** The user a path addresses: the owner of its operations, and the key `@odata.context` shows. */
export interface AddressedUser {
  readonly owner: Owner;
  readonly contextKey: string;
}

/**
 * Turns `/me` and `/users/{id | userPrincipalName}` into a user of the caller's tenant. Users become
 * known from verified token claims (and seed files): an object id (`oid`) and a UPN (`upn`, never
 * `preferred_username`: see `principal.ts`) name the same user.
 */
export class UserResolver {
  /**
   * Users already written to the directory by this process, so a request costs no write when nothing
   * changed. The least recently seen go first once it is full: every token names a user, so a map that kept
   * them all would grow for as long as the process runs.
   */
  private readonly remembered: LRUCache<string, string>;
  /**
   * Principals already checked against `remembered`: the token cache hands out the same principal object for
   * every request with the same token, so the usual request is answered without building a key. A token once
   * checked never writes again, so two live tokens naming different UPNs for one user (around a rename) do
   * not take turns rewriting it.
   */
  private confirmed = new WeakSet<Principal>();

  constructor(
    private readonly directory: UserDirectory,
    capacity: number = REMEMBERED_USERS,
  ) {
    this.remembered = new LRUCache({ max: capacity });
  }

  /** Records the signed-in user of a delegated token; `undefined` (nothing to wait for) when already recorded. */
  remember(principal: Principal): Promise<void> | undefined {
    if (principal.kind !== 'delegated' || principal.userPrincipalName === undefined || this.confirmed.has(principal)) return undefined;
    const key = `${principal.tenantId}/${principal.userId}`;
    const userPrincipalName = principal.userPrincipalName;
    const confirmed = this.confirmed;
    if (this.remembered.get(key) === userPrincipalName) return void confirmed.add(principal);
    return this.directory.upsert({ tenantId: principal.tenantId, id: objectId(principal.userId), userPrincipalName }).then(() => {
      this.remembered.set(key, userPrincipalName);
      confirmed.add(principal);
    });
  }

  /** Forgets which users this process wrote, after the directory was replaced: each is written again at its next request. */
  forget(): void {
    this.remembered.clear();
    this.confirmed = new WeakSet();
  }

  /** Whether the path names the caller; answered from the token alone, so a 403 never needs a lookup. */
  target(principal: Principal, userKey: string | undefined): Target {
    if (userKey === undefined) return 'me';
    if (principal.kind !== 'delegated') return 'other';
    const isSelf =
      userKey.toLowerCase() === principal.userId.toLowerCase() ||
      userKey.toLowerCase() === principal.userPrincipalName?.toLowerCase();
    return isSelf ? 'self' : 'other';
  }

  async resolve(principal: Principal, userKey: string | undefined): Promise<AddressedUser> {
    if (userKey === undefined) {
      if (principal.kind !== 'delegated') throw new GraphError('forbidden', '/me request is only valid with delegated authentication flow.');
      const userId = objectId(principal.userId);
      return { owner: { tenantId: principal.tenantId, userId }, contextKey: userId };
    }
    const user = await this.lookUp(principal, userKey);
    if (user === undefined) {
      throw new GraphError(
        'userNotFound',
        `Resource '${userKey}' does not exist or one of its queried reference-property objects are not present.`,
      );
    }
    return { owner: { tenantId: user.tenantId, userId: user.id }, contextKey: userKey };
  }

  private async lookUp(principal: Principal, userKey: string): Promise<DirectoryUser | undefined> {
    if (this.target(principal, userKey) === 'self' && principal.kind === 'delegated') {
      return { tenantId: principal.tenantId, id: objectId(principal.userId), userPrincipalName: principal.userPrincipalName ?? userKey };
    }
    return GUID.test(userKey)
      ? this.directory.findById(principal.tenantId, objectId(userKey))
      : this.directory.findByUserPrincipalName(principal.tenantId, userKey);
  }
}

/** Object ids are GUIDs, which compare case-insensitively: one spelling is kept everywhere. */
function objectId(id: string): string {
  return id.toLowerCase();
}
