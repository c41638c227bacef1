// CommonJS, so Jest runs it without its experimental ES module support; only the global setup imports graph-lro.
const base = `${process.env.GRAPH_URL}/v1.0/me/authentication/operations`;
const headers = { Authorization: `Bearer ${process.env.GRAPH_TOKEN}`, 'Content-Type': 'application/json' };

const create = async (body) => (await fetch(base, { method: 'POST', headers, body: JSON.stringify(body) })).json();

test('the running operations are listed with $filter', async () => {
  const running = await create({ status: 'running', statusDetail: 'copying' });
  await create({ status: 'succeeded' });

  const listed = await fetch(`${base}?$filter=status eq 'running'`, { headers });
  expect(listed.status).toBe(200);
  const { value } = await listed.json();
  expect(value.map((operation) => operation.id)).toContain(running.id);
  expect(value.every((operation) => operation.status === 'running')).toBe(true);
});

test('an operation that does not exist is 404, in Graph’s error envelope', async () => {
  const missing = await fetch(`${base}/00000000-0000-4000-8000-000000000000`, { headers });
  expect(missing.status).toBe(404);
  expect((await missing.json()).error.code).toMatch(/NotFound/i);
});
