import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALL_DELEGATED_SCOPES, readApplications, Registrations, RegistrationError } from '../../src/sign-in/registrations.js';
import { DEV_TENANT_ID } from '../../src/users/seed-users.js';

const CLIENT = '9b0c1d2e-0000-4000-8000-000000000001';

describe('application registrations', () => {
  it('reads an apps file\'s entry with its defaults: the dev tenant, every delegated scope, no role, no redirect URI', () => {
    const [app] = readApplications([{ clientId: CLIENT.toUpperCase(), clientSecret: 's' }], 'apps.json');
    assert.deepEqual(app, {
      tenantId: DEV_TENANT_ID,
      clientId: CLIENT,
      displayName: CLIENT,
      secret: { plain: 's' },
      roles: [],
      scopes: ALL_DELEGATED_SCOPES,
      redirectUris: [],
    });
  });

  for (const [entry, path] of [
    [{ clientId: 'app' }, 'apps.json[0].clientId'],
    [{ clientId: CLIENT, clientSecret: '' }, 'apps.json[0].clientSecret'],
    [{ clientId: CLIENT, clientSecret: 's', clientSecretHash: 'scrypt$' }, 'apps.json[0].clientSecret'],
    [{ clientId: CLIENT, clientSecretHash: 'plain' }, 'apps.json[0].clientSecretHash'],
    [{ clientId: CLIENT, roles: ['has space'] }, 'apps.json[0].roles[0]'],
    [{ clientId: CLIENT, redirectUris: ['http://example.test/cb'] }, 'apps.json[0].redirectUris[0]'],
    [{ clientId: CLIENT, redirectUris: ['https://example.test/cb#x'] }, 'apps.json[0].redirectUris[0]'],
    [{ clientId: CLIENT, secret: 's' }, 'apps.json[0].secret'],
  ] as const) {
    it(`refuses ${JSON.stringify(entry)} at ${path}`, () => {
      assert.throws(() => readApplications([entry], 'apps.json'), (error) => error instanceof RegistrationError && error.path === path);
    });
  }

  it('refuses one client id twice', () => {
    assert.throws(() => readApplications([{ clientId: CLIENT }, { clientId: CLIENT.toUpperCase() }], 'apps.json'), /apps\.json\[1\]\.clientId: repeats/);
  });

  it('keeps only hashes, adds over what it holds, and an import replaces it all', async () => {
    const registrations = await Registrations.of(readApplications([{ clientId: CLIENT, clientSecret: 's' }], 'a'), [
      { tenantId: DEV_TENANT_ID, userId: CLIENT, secret: { plain: 'p' } },
    ]);
    assert.match(String(registrations.application(CLIENT.toUpperCase())?.secretHash), /^scrypt\$/);
    assert.match(String(registrations.passwordHash(DEV_TENANT_ID.toUpperCase(), CLIENT)), /^scrypt\$/);
    registrations.adopt(await Registrations.of([]));
    assert.equal(registrations.application(CLIENT), undefined);
    assert.equal(registrations.passwordHash(DEV_TENANT_ID, CLIENT), undefined);
  });
});
