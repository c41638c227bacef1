import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_QUEUED_SCRIPTS, ResetScripts } from '../../src/emulator/reset-scripts.js';
import { DomainError } from '../../src/operations/domain-error.js';
import type { DirectoryUser } from '../../src/operations/ports/user-directory.js';

const TENANT = '00000000-0000-4000-8000-00000000d3e0';
const ADELE: DirectoryUser = { tenantId: TENANT, id: '1a1a1a1a-2b2b-4c3c-8d4d-000000000001', userPrincipalName: 'Adele@contoso.com' };
const BOB: DirectoryUser = { tenantId: TENANT, id: '1a1a1a1a-2b2b-4c3c-8d4d-000000000002', userPrincipalName: 'bob@contoso.com' };
const owner = (user: DirectoryUser) => ({ tenantId: user.tenantId, userId: user.id });

/** A queue over a directory of Adele and Bob; `lookups` counts the directory reads. */
function queue() {
  const users = new Map([ADELE, BOB].map((user) => [user.id, user]));
  const counts = { lookups: 0 };
  const scripts = new ResetScripts({
    findById: async (_tenantId, id) => {
      counts.lookups += 1;
      return users.get(id);
    },
  });
  return { scripts, counts, users };
}

/** A script whose outcome's statusDetail tells which one a reset took. */
const script = (label: string, user?: string) => ({ ...(user && { user }), steps: [{ after: 'PT1S', status: 'failed', statusDetail: label }] });
const taken = async (scripts: ResetScripts, user: DirectoryUser) => (await scripts.take(owner(user)))?.finish.statusDetail;

describe('the queue of reset scripts', () => {
  it('a reset takes the first script for its user, by object id or UPN (any case), before any script for anyone', async () => {
    const { scripts } = queue();
    scripts.add(script('anyone 1'));
    scripts.add(script('bob by id', BOB.id.toUpperCase()));
    scripts.add(script('adele by UPN', 'ADELE@contoso.com'));
    scripts.add(script('adele by id', ADELE.id));
    scripts.add(script('anyone 2'));
    assert.equal(await taken(scripts, ADELE), 'adele by UPN', 'her first, though one for anyone was queued before');
    assert.equal(await taken(scripts, ADELE), 'adele by id');
    assert.equal(await taken(scripts, ADELE), 'anyone 1', 'none left for her: the first for anyone');
    assert.equal(await taken(scripts, BOB), 'bob by id');
    assert.equal(await taken(scripts, BOB), 'anyone 2');
    assert.equal(await scripts.take(owner(BOB)), undefined, 'an empty queue: the configured behaviour');
  });

  it('a script for another user stays queued, however many resets pass', async () => {
    const { scripts } = queue();
    scripts.add(script('bob', BOB.userPrincipalName!));
    for (let i = 0; i < 3; i++) assert.equal(await scripts.take(owner(ADELE)), undefined);
    assert.deepEqual(scripts.list().map((s) => s.user), ['bob@contoso.com']);
  });

  it('a UPN names whoever holds it at the reset: after a rename, the new holder', async () => {
    const { scripts, users } = queue();
    scripts.add(script('renamed', 'adele.new@contoso.com'));
    assert.equal(await scripts.take(owner(ADELE)), undefined);
    users.set(ADELE.id, { ...ADELE, userPrincipalName: 'adele.new@contoso.com' });
    assert.equal(await taken(scripts, ADELE), 'renamed');
  });

  it('reads the directory only while a queued script names a UPN', async () => {
    const { scripts, counts } = queue();
    await scripts.take(owner(ADELE));
    scripts.add(script('by id', ADELE.id));
    scripts.add(script('anyone'));
    await scripts.take(owner(ADELE));
    await scripts.take(owner(ADELE));
    assert.equal(counts.lookups, 0);
    scripts.add(script('by UPN', 'bob@contoso.com'));
    await scripts.take(owner(ADELE));
    assert.equal(counts.lookups, 1);
  });

  it('two resets at once never take the same script', async () => {
    const { scripts } = queue();
    scripts.add(script('one', 'adele@contoso.com'));
    scripts.add(script('two', 'adele@contoso.com'));
    const both = await Promise.all([taken(scripts, ADELE), taken(scripts, ADELE), taken(scripts, ADELE)]);
    assert.deepEqual(both.sort(), ['one', 'two', undefined]);
  });

  it('lists in order, removes one by id (404 kind for an unknown id), empties, and holds at most 1,000', () => {
    const { scripts } = queue();
    const first = scripts.add(script('first'));
    const second = scripts.add(script('second'));
    assert.deepEqual(scripts.list().map((s) => s.id), [first.id, second.id]);
    scripts.remove(first.id.toUpperCase());
    assert.deepEqual(scripts.list(), [second]);
    assert.throws(() => scripts.remove(first.id), (error) => error instanceof DomainError && error.kind === 'notFound');
    scripts.replace([]);
    assert.deepEqual(scripts.list(), []);
    for (let i = 0; i < MAX_QUEUED_SCRIPTS; i++) scripts.add(script(`${i}`));
    assert.throws(
      () => scripts.add(script('one too many')),
      (error) => error instanceof DomainError && error.kind === 'conflict' && /already holds 1000 scripts/.test(error.message),
    );
    assert.equal(scripts.list().length, MAX_QUEUED_SCRIPTS);
  });
});
