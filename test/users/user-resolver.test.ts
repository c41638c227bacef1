import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DelegatedPrincipal, Principal } from '../../src/auth/principal.js';
import type { DirectoryUser, UserDirectory } from '../../src/operations/ports/user-directory.js';
import { UserResolver } from '../../src/users/user-resolver.js';

const TENANT = '11111111-1111-4111-8111-111111111111';
const USER = 'AAAAAAAA-0000-4000-8000-000000000001';

function delegated(userPrincipalName: string | undefined, userId: string = USER): DelegatedPrincipal {
  return { kind: 'delegated', tenantId: TENANT, userId, userPrincipalName, scopes: new Set(['LongRunningOperation.ReadWrite']), appId: undefined };
}

/** A new token's principal (a new object, as each token has) of the `n`th of many users. */
function userNumber(n: number): DelegatedPrincipal {
  return delegated(`user${n}@contoso.com`, `aaaaaaaa-0000-4000-8000-${String(n).padStart(12, '0')}`);
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

describe('UserResolver: what it remembers is bounded', () => {
  it('past its capacity, the first user is written to the directory again at its next request', async () => {
    const { directory, upserts } = recordingDirectory();
    const users = new UserResolver(directory, 3);
    for (let n = 1; n <= 4; n++) await users.remember(userNumber(n));
    assert.equal(upserts.length, 4);
    const again = users.remember(userNumber(1));
    assert.ok(again instanceof Promise, 'user 1 was forgotten');
    await again;
    assert.equal(upserts.length, 5);
    assert.equal(upserts[4]?.userPrincipalName, 'user1@contoso.com');
  });

  it('forgets the user seen least recently, not the one written first', async () => {
    const { directory, upserts } = recordingDirectory();
    const users = new UserResolver(directory, 2);
    await users.remember(userNumber(1));
    await users.remember(userNumber(2));
    assert.equal(users.remember(userNumber(1)), undefined, 'user 1 seen again: now the most recent');
    await users.remember(userNumber(3));
    assert.equal(users.remember(userNumber(1)), undefined);
    await users.remember(userNumber(2));
    assert.deepEqual(
      upserts.map((user) => user.userPrincipalName),
      ['user1@contoso.com', 'user2@contoso.com', 'user3@contoso.com', 'user2@contoso.com'],
    );
  });
});
