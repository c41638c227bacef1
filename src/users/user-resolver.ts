import { LRUCache } from 'lru-cache';
import { DomainError } from '../operations/domain-error.js';
import type { Owner } from '../operations/long-running-operation.js';
import type { DirectoryUser, UserDirectory } from '../operations/ports/user-directory.js';
import { isGuid } from './object-id.js';

/**
 * The caller, as far as the directory cares: a signed-in user (a delegated token: its object id and, when
 * the token carries one, its UPN) or an application, in a tenant. `auth/principal.ts`'s `Principal` is one.
 */
export type Caller =
  | { readonly kind: 'delegated'; readonly tenantId: string; readonly userId: string; readonly userPrincipalName: string | undefined }
  | { readonly kind: 'application'; readonly tenantId: string };

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
  private confirmed = new WeakSet<Caller>();

  constructor(
    private readonly directory: UserDirectory,
    capacity: number = REMEMBERED_USERS,
  ) {
    this.remembered = new LRUCache({ max: capacity });
  }

  /** Records the signed-in user of a delegated token; `undefined` (nothing to wait for) when already recorded. */
  remember(caller: Caller): Promise<void> | undefined {
    if (caller.kind !== 'delegated' || caller.userPrincipalName === undefined || this.confirmed.has(caller)) return undefined;
    const key = `${caller.tenantId}/${caller.userId}`;
    const userPrincipalName = caller.userPrincipalName;
    const confirmed = this.confirmed;
    if (this.remembered.get(key) === userPrincipalName) return void confirmed.add(caller);
    return this.directory.upsert({ tenantId: caller.tenantId, id: objectId(caller.userId), userPrincipalName }).then(() => {
      this.remembered.set(key, userPrincipalName);
      confirmed.add(caller);
    });
  }

  /** Forgets which users this process wrote, after the directory was replaced: each is written again at its next request. */
  forget(): void {
    this.remembered.clear();
    this.confirmed = new WeakSet();
  }

  async resolve(caller: Caller, userKey: string | undefined): Promise<AddressedUser> {
    if (userKey === undefined) {
      if (caller.kind !== 'delegated') throw new DomainError('noSignedInUser', '/me request is only valid with delegated authentication flow.');
      const userId = objectId(caller.userId);
      return { owner: { tenantId: caller.tenantId, userId }, contextKey: userId };
    }
    const user = await this.lookUp(caller, userKey);
    if (user === undefined) {
      throw new DomainError(
        'userNotFound',
        `Resource '${userKey}' does not exist or one of its queried reference-property objects are not present.`,
      );
    }
    return { owner: { tenantId: user.tenantId, userId: user.id }, contextKey: userKey };
  }

  private async lookUp(caller: Caller, userKey: string): Promise<DirectoryUser | undefined> {
    if (caller.kind === 'delegated' && namesCaller(caller, userKey)) {
      return { tenantId: caller.tenantId, id: objectId(caller.userId), userPrincipalName: caller.userPrincipalName ?? userKey };
    }
    return isGuid(userKey)
      ? this.directory.findById(caller.tenantId, objectId(userKey))
      : this.directory.findByUserPrincipalName(caller.tenantId, userKey);
  }
}

/** Whether `userKey` names the caller: a signed-in user's object id or UPN (case-insensitively); an app is named by neither. */
export function namesCaller(caller: Caller, userKey: string): boolean {
  if (caller.kind !== 'delegated') return false;
  const key = userKey.toLowerCase();
  return key === caller.userId.toLowerCase() || key === caller.userPrincipalName?.toLowerCase();
}

/** Object ids are GUIDs, which compare case-insensitively: one spelling is kept everywhere. */
function objectId(id: string): string {
  return id.toLowerCase();
}
