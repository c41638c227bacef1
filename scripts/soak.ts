/**
 * Soak test: a mixed load for a bounded time against one graph-lro process, reporting throughput, errors
 * and the server's memory over time, so that a leak shows as a rising line. Not part of `npm test`.
 *
 *   npm run soak -- --minutes 10 [--connections 20] [--database postgres://…]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    connections: { type: 'string', default: '20' },
    database: { type: 'string' },
    'sample-seconds': { type: 'string', default: '10' },
  },
});
const durationMs = Number(values.minutes) * 60_000;
const connections = Number(values.connections);
const sampleMs = Number(values['sample-seconds']) * 1000;

const dir = mkdtempSync(join(tmpdir(), 'graph-lro-soak-'));
const args = ['dist/cli.js', 'serve', '--port', '0', '--log-level', 'warn', '--retention', '1m'];
args.push(...(values.database ? ['--database', values.database, '--db-schema', `soak_${process.pid}`] : ['--data', dir]));
const server = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
server.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));

function rssKb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0);
}

async function started(): Promise<{ origin: string; token: string }> {
  for (let i = 0; i < 200; i++) {
    const origin = /serving (http:\/\/[\d.:]+)\/v1\.0/.exec(out)?.[1];
    const token = /^(eyJ[\w-]+\.[\w-]+\.[\w-]+)$/m.exec(out)?.[1];
    if (origin && token) return { origin, token };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`graph-lro did not start:\n${out}`);
}

const counts = { requests: 0, errors: 0, byStatus: new Map<number, number>() };

/** One client's loop: create, read, patch a few times, list, finish, sometimes delete. */
async function client(origin: string, token: string, until: number): Promise<void> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const request = async (method: string, path: string, body?: unknown) => {
    try {
      const res = await fetch(`${origin}/v1.0/me/authentication/operations${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      counts.requests++;
      counts.byStatus.set(res.status, (counts.byStatus.get(res.status) ?? 0) + 1);
      if (res.status >= 500) counts.errors++;
      return text ? JSON.parse(text) : undefined;
    } catch {
      counts.requests++;
      counts.errors++;
      return undefined;
    }
  };
  while (Date.now() < until) {
    const created = await request('POST', '', { statusDetail: 'soak' });
    if (!created?.id) continue;
    await request('GET', `/${created.id}`);
    for (let i = 0; i < 3; i++) await request('PATCH', `/${created.id}`, { status: 'running', statusDetail: `step ${i}` });
    await request('GET', `?$top=20&$filter=${encodeURIComponent("status eq 'running'")}&$orderby=lastActionDateTime desc`);
    await request('PATCH', `/${created.id}`, { status: Math.random() < 0.9 ? 'succeeded' : 'failed' });
    if (Math.random() < 0.3) await request('DELETE', `/${created.id}`);
  }
}

async function main(): Promise<void> {
  const { origin, token } = await started();
  const start = Date.now();
  const until = start + durationMs;
  console.log(`soak: ${values.minutes} min, ${connections} clients, ${values.database ? 'PostgreSQL' : 'SQLite'}; server pid ${server.pid}`);
  console.log('elapsed_s  requests/s  errors  rss_mb');
  const samples: { elapsed: number; rps: number; errors: number; rssMb: number }[] = [];
  let lastRequests = 0;
  const sampler = setInterval(() => {
    const elapsed = Math.round((Date.now() - start) / 1000);
    const rps = Math.round((counts.requests - lastRequests) / (sampleMs / 1000));
    lastRequests = counts.requests;
    const rssMb = Math.round(rssKb(server.pid!) / 1024);
    samples.push({ elapsed, rps, errors: counts.errors, rssMb });
    console.log(`${String(elapsed).padStart(9)}  ${String(rps).padStart(10)}  ${String(counts.errors).padStart(6)}  ${String(rssMb).padStart(6)}`);
  }, sampleMs);
  await Promise.all(Array.from({ length: connections }, () => client(origin, token, until)));
  clearInterval(sampler);
  const half = samples.slice(Math.floor(samples.length / 2));
  const firstHalf = samples.slice(1, Math.max(2, Math.floor(samples.length / 2)));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const growth = mean(half.map((s) => s.rssMb)) - mean(firstHalf.map((s) => s.rssMb));
  console.log(`\nrequests: ${counts.requests}, 5xx or failed: ${counts.errors}, by status: ${JSON.stringify(Object.fromEntries(counts.byStatus))}`);
  console.log(`RSS: first half mean ${mean(firstHalf.map((s) => s.rssMb)).toFixed(1)} MB, second half mean ${mean(half.map((s) => s.rssMb)).toFixed(1)} MB (${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MB)`);
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => {
    server.kill('SIGTERM');
    server.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  });
