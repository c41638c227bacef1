import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { call, startServer } from '../support/process.js';

const OPS = '/v1.0/me/authentication/operations';

describe('graceful shutdown', () => {
  const dir = mkdtempSync(join(tmpdir(), 'graph-lro-shutdown-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('on SIGTERM finishes the requests in flight, refuses new connections, exits 0, and loses no acknowledged write', async () => {
    const server = await startServer(['--data', dir]);
    const created: string[] = [];
    for (let i = 0; i < 20; i++) created.push((await call(server.origin, server.token, 'POST', OPS, {})).json.id);

    // 200 writes in flight at once, then SIGTERM while they are still being answered
    const writes = created.flatMap((id, i) =>
      Array.from({ length: 10 }, (_, j) =>
        call(server.origin, server.token, 'PATCH', `${OPS}/${id}`, { statusDetail: `write ${i}.${j}` }).then(
          (res) => ({ id, status: res.status, detail: res.json?.statusDetail as string | undefined, version: res.headers.get('etag') }),
          () => ({ id, status: 0, detail: undefined, version: null }),
        ),
      ),
    );
    // SIGTERM as soon as the server is answering them: at the first answer, with the rest still in flight.
    let answered = 0;
    for (const write of writes) void write.then(() => answered++);
    await Promise.race(writes);
    const inFlightAtSignal = writes.length - answered;
    const exited = server.stop('SIGTERM');
    const results = await Promise.all(writes);
    assert.equal(await exited, 0, 'a clean exit');
    await assert.rejects(fetch(`${server.origin}/healthz`), 'no new connections after shutdown');

    assert.ok(inFlightAtSignal > 0, `writes were in flight at SIGTERM (${inFlightAtSignal})`);
    const acknowledged = results.filter((r) => r.status === 200);
    assert.ok(acknowledged.length > 0, 'some writes were in flight and answered');
    assert.ok(results.every((r) => r.status === 200 || r.status === 0 || r.status === 503), `only answers or refusals: ${[...new Set(results.map((r) => r.status))]}`);

    const again = await startServer(['--data', dir]);
    try {
      for (const id of created) {
        const last = acknowledged.filter((r) => r.id === id).sort((a, b) => Number(JSON.parse(b.version!)) - Number(JSON.parse(a.version!)))[0];
        if (!last) continue;
        const read = await call(again.origin, again.token, 'GET', `${OPS}/${id}`);
        assert.equal(read.status, 200);
        const stored = Number(JSON.parse(read.headers.get('etag')!));
        assert.ok(stored >= Number(JSON.parse(last.version!)), `the acknowledged version of ${id} is there`);
        if (stored === Number(JSON.parse(last.version!))) assert.equal(read.json.statusDetail, last.detail);
      }
    } finally {
      await again.stop();
    }
  });
});
