import { expect, inject, test } from 'vitest';

const base = `${inject('graphUrl')}/v1.0/me/authentication/operations`;
const headers = { Authorization: `Bearer ${inject('graphToken')}`, 'Content-Type': 'application/json' };

test('an operation moves from notStarted to succeeded', async () => {
  const created = await fetch(base, { method: 'POST', headers, body: '{}' });
  expect(created.status).toBe(201);
  const { id, status } = await created.json();
  expect(status).toBe('notStarted');

  const patched = await fetch(`${base}/${id}`, { method: 'PATCH', headers, body: JSON.stringify({ status: 'succeeded', statusDetail: 'done' }) });
  expect(patched.status).toBe(200);
  expect(await patched.json()).toMatchObject({ id, status: 'succeeded', statusDetail: 'done' });
});

test('Graph refuses to move a finished operation backwards', async () => {
  const { id } = await (await fetch(base, { method: 'POST', headers, body: JSON.stringify({ status: 'failed' }) })).json();
  const patched = await fetch(`${base}/${id}`, { method: 'PATCH', headers, body: JSON.stringify({ status: 'running' }) });
  expect(patched.status).toBe(409);
  expect((await patched.json()).error.code).toBe('conflict');
});
