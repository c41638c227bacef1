// node:test: each test file runs in a process of its own, so each starts a server of its own — in memory,
// on a free port, ready in a fraction of a second — and the file drives its clock and scripts in-process.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startGraphLro } from 'graph-lro';

const PASSWORD_METHOD = '28c10230-6103-485e-b985-444c60001490'; // the same for every user

let lro;
let headers;
before(async () => {
  lro = await startGraphLro();
  headers = { Authorization: `Bearer ${await lro.token({ user: 'helpdesk@contoso.com' })}`, 'Content-Type': 'application/json' };
  await lro.token({ user: 'adele@contoso.com' }); // makes Adele a user the server knows
});
after(() => lro.close());

/** What the app under test does: start a reset and answer the URL to poll. */
async function startReset(user) {
  const started = await fetch(`${lro.url}/v1.0/users/${user}/authentication/methods/${PASSWORD_METHOD}/resetPassword`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ newPassword: 'Correct-Horse-9' }),
  });
  assert.equal(started.status, 202);
  return started.headers.get('Location');
}

const poll = async (location) => (await fetch(location, { headers })).json();

test('a reset that fails on policy reads as failed once its time has come', async () => {
  await lro.script(
    [
      { after: 'PT1S', status: 'running', statusDetail: 'checking policy' },
      { after: 'PT3S', status: 'failed', statusDetail: 'PasswordPolicyViolation' },
    ],
    { user: 'adele@contoso.com' },
  );
  const location = await startReset('adele@contoso.com');
  assert.equal((await poll(location)).status, 'notStarted');
  await lro.clock.advance('PT1S'); // no waiting: the service's clock moves
  assert.deepEqual(await poll(location).then(({ status, statusDetail }) => ({ status, statusDetail })), { status: 'running', statusDetail: 'checking policy' });
  await lro.clock.advance('PT2S');
  assert.equal((await poll(location)).statusDetail, 'PasswordPolicyViolation');
});

test('an unscripted reset succeeds after the configured duration', async () => {
  await lro.reset(); // every operation gone, users kept: tests do not see each other's work
  const location = await startReset('adele@contoso.com');
  await lro.clock.advance('PT5S');
  assert.equal((await poll(location)).status, 'succeeded');
});
