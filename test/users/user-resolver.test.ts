import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DelegatedPrincipal, Principal } from '../../src/auth/principal.js';
import type { DirectoryUser, UserDirectory } from '../../src/store/store.js';
import { UserResolver } from '../../src/users/user-resolver.js';

const TENANT = '11111111-1111-4111-8111-111111111111';
const USER = 'AAAAAAAA-0000-4000-8000-000000000001';

function delegated(userPrincipalName: string | undefined): DelegatedPrincipal {
  return { kind: 'delegated', tenantId: TENANT, userId: USER, userPrincipalName, scopes: new Set(['LongRunningOperation.ReadWrite']), appId: undefined };
}

/** A directory that records what it is asked to write. */
function recordingDirectory() {
  const upserts: DirectoryUser[] = [];
  const directory: UserDirectory = {
    upsert: async (user) => void upserts.push(user),
    findById: async () => undefined,
    findByUserPrincipalName: async () => undefined,
  };
  return { directory, upserts };
}

describe('UserResolver.remember', () => {
  it('writes a signed-in user once, then answers at once for the same principal and for a new token of the same user', async () => {
    const { directory, upserts } = recordingDirectory();
    const users = new UserResolver(directory);
    const principal = delegated('ada@contoso.com');
    await users.remember(principal);
    assert.equal(users.remember(principal), undefined);
    assert.equal(users.remember(delegated('ada@contoso.com')), undefined); // a new token's principal: same user, same UPN
    assert.deepEqual(upserts, [{ tenantId: TENANT, id: USER.toLowerCase(), userPrincipalName: 'ada@contoso.com' }]);
  });

  it('writes again when a token names a new UPN for the user', async () => {
    const { directory, upserts } = recordingDirectory();
    const users = new UserResolver(directory);
    await users.remember(delegated('ada@contoso.com'));
    await users.remember(delegated('ada.lovelace@contoso.com'));
    assert.deepEqual(
      upserts.map((user) => user.userPrincipalName),
      ['ada@contoso.com', 'ada.lovelace@contoso.com'],
    );
  });

  it('writes every user again after forget(), even for a principal it has seen', async () => {
    const { directory, upserts } = recordingDirectory();
    const users = new UserResolver(directory);
    const principal = delegated('ada@contoso.com');
    await users.remember(principal);
    users.forget();
    const again = users.remember(principal);
    assert.ok(again instanceof Promise);
    await again;
    assert.equal(upserts.length, 2);
    assert.equal(users.remember(principal), undefined);
  });

  it('writes nothing for an app acting as itself or a token without a UPN', () => {
    const { directory, upserts } = recordingDirectory();
    const users = new UserResolver(directory);
    const app: Principal = { kind: 'application', tenantId: TENANT, appId: 'app', roles: new Set(['LongRunningOperation.Read.All']) };
    assert.equal(users.remember(app), undefined);
    assert.equal(users.remember(delegated(undefined)), undefined);
    assert.deepEqual(upserts, []);
  });
});
