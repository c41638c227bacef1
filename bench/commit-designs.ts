/**
 * Where should the embedded store's sync run? The bare SQLite server (bench/ceiling-sqlite.ts) in its three
 * `--commit` modes on one seeded database, loaded one at a time, alternating per round:
 *
 * - each:   a transaction and a sync per PATCH (the ceiling as run.ts measures it);
 * - loop:   group commit on the event loop, graph-lro's design: the loop serves nothing while the disk syncs;
 * - thread: the same group commit in a writer thread; the main thread's own connection keeps reading.
 *
 * Scenarios: `patch` (PATCH of a random open operation, as run.ts's) and `mixed` (as many PATCH connections
 * and GET connections at once: how reads fare during writes, where the thread should help). Before any load,
 * each mode's writes are checked: one read back, a failing write in a group that fails alone.
 *
 *   node --import tsx bench/commit-designs.ts [--rows 1m] [--duration 10] [--rounds 2] [--connections 10,100] [--warmup 2]
 *   node --import tsx bench/commit-designs.ts --rows 10000 --duration 3 --rounds 1    # smoke run, under a minute
 *
 * Results: a markdown table on stdout and bench/results/<ISO date>-commit-designs.json.
 */
import type autocannon from 'autocannon';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { COMMIT_MODES, loopWriter, openConnection, threadWriter, type CommitMode, type Owner, type Writer, type WriterStatistics } from './ceiling-sqlite-writer.js';
import { COLLECTION, getRequests, load, loadFigures, loadMixed, patchRequests, randomTag, type LoadFigures } from './load.js';
import { cpuSeconds, sleep, startNode, stopChild, tempDirs, waitFor } from './processes.js';
import { fmt, loadAverage, loadAverages, mean, mib, ms, writeResults } from './report.js';
import { DATABASE_FILE, OWNER, seedSqlite, type SeedResult } from './seed.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CEILING = join(ROOT, 'bench', 'ceiling-sqlite.ts');
const OWNER_KEY: Owner = { tenantId: OWNER.tenantId, userId: OWNER.userId };

type ScenarioName = 'patch' | 'mixed' | 'get';
const SCENARIOS: readonly ScenarioName[] = ['patch', 'mixed', 'get'];
const SCENARIO_TITLES: Record<ScenarioName, string> = {
  patch: 'PATCH (random open id)',
  mixed: 'PATCH + GET at once',
  get: 'GET alone (random id)',
};

interface Options {
  readonly rows: number;
  readonly duration: number;
  readonly rounds: number;
  readonly warmup: number;
  readonly connections: number[];
  readonly scenarios: ScenarioName[];
}

function readOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      rows: { type: 'string', default: '1m' },
      duration: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '2' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '10,100' },
      scenarios: { type: 'string', default: 'patch,mixed' },
    },
    strict: true,
  });
  const count = (text: string, what: string, min: number) => {
    const value = Number(text.trim().replace(/k$/i, 'e3').replace(/m$/i, 'e6').replaceAll('_', ''));
    if (!Number.isSafeInteger(value) || value < min) throw new Error(`--${what}: '${text}' is not a whole number ≥ ${min}`);
    return value;
  };
  const scenarios = values.scenarios.split(',').map((name) => name.trim());
  for (const name of scenarios) if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`--scenarios: '${name}' is not one of ${SCENARIOS.join(', ')}`);
  return {
    rows: count(values.rows, 'rows', 100),
    duration: count(values.duration, 'duration', 1),
    rounds: count(values.rounds, 'rounds', 1),
    warmup: count(values.warmup, 'warmup', 0),
    connections: values.connections.split(',').map((text) => count(text, 'connections', 1)),
    scenarios: scenarios as ScenarioName[],
  };
}

// ---------------------------------------------------------------------------------------------------------
// The servers: one per mode, all on the same database, each loaded alone.

interface Server {
  readonly mode: CommitMode;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly origin: string;
  output(): string;
  /** The `commits {…}` lines printed so far (one per SIGUSR2). */
  readonly statisticsLines: string[];
  /** The kernel id of the thread that commits (grouped modes). */
  writerTid?: number;
}

// On Ctrl-C or SIGTERM, exit: bench/processes.ts's exit handler then kills the servers and removes the database.
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) process.once(signal, () => process.exit(code));

async function startServer(mode: CommitMode, dataDir: string): Promise<Server> {
  const child = startNode(['--import', 'tsx', CEILING, '--port', '0', '--data', dataDir, '--commit', mode], { cwd: ROOT });
  let output = '';
  let partial = '';
  const statisticsLines: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith('commits ')) statisticsLines.push(line.slice('commits '.length));
      else output = (output + line + '\n').slice(-16_384);
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-16_384)));
  const origin = await waitFor(`the ${mode} server to listen`, () => {
    if (child.exitCode !== null) throw new Error(`the ${mode} server exited with code ${child.exitCode}:\n${output}`);
    return /^listening on (http:\/\/\S+)$/m.exec(output)?.[1];
  });
  const server: Server = { mode, child, pid: child.pid!, origin, output: () => output, statisticsLines };
  const statistics = await commitStatistics(server);
  if (statistics?.tid !== undefined) server.writerTid = statistics.tid;
  return server;
}

function stopServer(server: Server): Promise<void> {
  return stopChild(server.child);
}

/** The server's grouping so far (`undefined` in `each` mode): it prints it on SIGUSR2. */
async function commitStatistics(server: Server): Promise<WriterStatistics | undefined> {
  const seen = server.statisticsLines.length;
  server.child.kill('SIGUSR2');
  const line = await waitFor(`${server.mode}'s commit statistics`, () => server.statisticsLines[seen], 5_000);
  return (JSON.parse(line) as WriterStatistics | null) ?? undefined;
}

// ---------------------------------------------------------------------------------------------------------
// CPU, from /proc: the process (every thread, the writer thread included) and its main thread alone.

interface CpuReading {
  readonly process: number;
  readonly mainThread: number;
  /** `thread` mode only: the writer thread. */
  readonly writerThread?: number;
}

function readCpu(server: Server): CpuReading {
  const { pid, writerTid } = server;
  return {
    process: cpuSeconds(pid),
    mainThread: cpuSeconds(pid, pid),
    ...(writerTid !== undefined && writerTid !== pid && { writerThread: cpuSeconds(pid, writerTid) }),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Correctness, before any load

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

async function ask(origin: string, method: 'GET' | 'PATCH', id: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${origin}${COLLECTION}/${encodeURIComponent(id)}`, {
    method,
    ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Ids the checks can use: open ones that no two checks share, one that does not exist, one finished. */
interface CheckIds {
  nextOpen(): string;
  readonly missing: string;
  readonly finished: string;
}

function checkIds(seeded: SeedResult): CheckIds {
  const open = new Set(seeded.open);
  const finished = seeded.all.find((id) => !open.has(id));
  if (finished === undefined) throw new Error('no finished operation was seeded');
  let next = 0;
  return { nextOpen: () => seeded.open[next++ % seeded.open.length]!, missing: '00000000-0000-4000-8000-000000000000', finished };
}

interface ModeCheck {
  readonly mode: CommitMode;
  /** `http`: through the server; `savepoint`: a throwing write, in-process on the writer itself. */
  readonly what: 'http' | 'savepoint';
  readonly checks: number;
  readonly problems: string[];
  /** Writes and commits of the burst of concurrent PATCHes (grouped modes): were they grouped at all? */
  readonly burst?: { readonly writes: number; readonly commits: number };
}

/**
 * Through HTTP: a PATCH read back by GET; then a burst of concurrent PATCHes, two of which cannot apply (an
 * unknown and a finished operation: 409, as the ceiling answers), whose others must all be stored.
 */
async function checkServer(server: Server, ids: CheckIds): Promise<ModeCheck> {
  const problems: string[] = [];
  let checks = 0;
  const expect = (ok: boolean, problem: string) => {
    checks++;
    if (!ok) problems.push(problem);
  };
  const one = ids.nextOpen();
  const detail = `check ${server.mode} ${randomTag()}`;
  const written = await ask(server.origin, 'PATCH', one, { status: 'running', statusDetail: detail });
  expect(written.status === 200 && written.body.statusDetail === detail, `PATCH ${one} answered ${written.status} ${JSON.stringify(written.body)}`);
  const read = await ask(server.origin, 'GET', one);
  expect(JSON.stringify(read.body) === JSON.stringify(written.body), `GET ${one} after its PATCH: ${JSON.stringify(read.body)}`);

  const good = Array.from({ length: 8 }, () => ({ id: ids.nextOpen(), detail: `burst ${server.mode} ${randomTag()}` }));
  // Connections opened first (fetch keeps them alive): new ones would bring their PATCHes one handshake apart,
  // each in a turn, hence a group, of its own.
  await Promise.all([...good.map(({ id }) => id), ids.missing, ids.finished].map((id) => ask(server.origin, 'GET', id)));
  const before = await commitStatistics(server);
  const answers = await Promise.all([
    ...good.map(({ id, detail }) => ask(server.origin, 'PATCH', id, { status: 'running', statusDetail: detail })),
    ask(server.origin, 'PATCH', ids.missing, { status: 'running', statusDetail: 'must fail' }),
    ask(server.origin, 'PATCH', ids.finished, { status: 'running', statusDetail: 'must fail' }),
  ]);
  const after = await commitStatistics(server);
  good.forEach(({ id }, i) => expect(answers[i]!.status === 200, `burst PATCH ${id} answered ${answers[i]!.status}`));
  expect(answers[8]!.status === 409, `PATCH of an unknown id answered ${answers[8]!.status}`);
  expect(answers[9]!.status === 409, `PATCH of a finished operation answered ${answers[9]!.status}`);
  for (const { id, detail } of good) {
    const stored = await ask(server.origin, 'GET', id);
    expect(stored.body.statusDetail === detail, `burst PATCH ${id} not stored: ${JSON.stringify(stored.body)}`);
  }
  const burst = before && after && { writes: after.writes - before.writes, commits: after.commits - before.commits };
  return { mode: server.mode, what: 'http', checks, problems, ...(burst && { burst }) };
}

/**
 * In-process, on each grouped writer: a write that throws (a CHECK constraint, which no HTTP request can
 * reach: the ceiling refuses the status first) shares a group with two good ones, and fails alone.
 */
async function checkSavepoints(file: string, ids: CheckIds): Promise<ModeCheck[]> {
  const results: ModeCheck[] = [];
  for (const mode of ['loop', 'thread'] as const) {
    const db = openConnection(file, 'FULL');
    const writer: Writer = mode === 'loop' ? await loopWriter(db, OWNER_KEY) : await threadWriter(file, 'FULL', OWNER_KEY);
    try {
      results.push({ mode, what: 'savepoint', ...(await failAlone(writer, db, ids)) });
    } finally {
      await writer.close();
      db.close();
    }
  }
  return results;
}

async function failAlone(writer: Writer, db: Database.Database, ids: CheckIds): Promise<Omit<ModeCheck, 'mode' | 'what'>> {
  const problems: string[] = [];
  const [a, bad, c] = [ids.nextOpen(), ids.nextOpen(), ids.nextOpen()];
  const detail = `savepoint ${randomTag()}`;
  const before = (await writer.statistics())!;
  // All three asked in the same turn: one group, if the writer groups at all.
  const settled = await Promise.allSettled([
    writer.update(a, { status: 1, statusDetail: detail }),
    writer.update(bad, { status: 9, statusDetail: detail }),
    writer.update(c, { status: 1, statusDetail: detail }),
  ]);
  const after = (await writer.statistics())!;
  if (settled[0].status !== 'fulfilled' || settled[2].status !== 'fulfilled') problems.push(`a good write failed beside a failing one: ${JSON.stringify(settled.map((s) => s.status))}`);
  if (settled[1].status !== 'rejected' || !/CHECK/i.test(String((settled[1].reason as Error).message))) problems.push(`the status-9 write did not fail on its CHECK: ${settled[1].status}`);
  const stored = db.prepare<[string, string, string], { id: string; status_detail: string | null }>('SELECT id, status_detail FROM operations WHERE tenant_id = ? AND user_id = ? AND id = ?');
  const detailOf = (id: string) => stored.get(OWNER_KEY.tenantId, OWNER_KEY.userId, id)?.status_detail;
  if (detailOf(a) !== detail || detailOf(c) !== detail) problems.push('a good write of the group is not stored');
  if (detailOf(bad) === detail) problems.push('the failing write is stored');
  return { checks: 4, problems, burst: { writes: after.writes - before.writes, commits: after.commits - before.commits } };
}

// ---------------------------------------------------------------------------------------------------------
// Load

interface Traffic extends LoadFigures {
  readonly failures: number;
}

function traffic(result: autocannon.Result): Traffic {
  return { ...loadFigures(result), failures: result.non2xx + result.errors + result.timeouts };
}

interface CpuUs {
  readonly process: number;
  readonly mainThread: number;
  readonly writerThread?: number;
}

interface Run {
  readonly mode: CommitMode;
  readonly round: number;
  readonly patch?: Traffic;
  readonly get?: Traffic;
  /** CPU µs per request (PATCH and GET together): the whole process, its main thread, its writer thread (`thread`). */
  readonly cpuUs: CpuUs;
  /** Grouped modes: the commits of the run, the writes they held and the time spent committing. */
  readonly groups?: { readonly commits: number; readonly writes: number; readonly commitMs: number };
  readonly walBytes: number;
  readonly loadAverage: number;
}

/**
 * The scenario's load (run.ts's PATCH, GET and mixed scenarios, bench/load.ts). No authorization header: the bare server
 * checks none (run.ts sends graph-lro's dev token only so that both of its sides get identical bytes; here there is
 * no graph-lro to mint one, and every side is the bare server).
 */
async function loadScenario(server: Server, scenario: ScenarioName, connections: number, seconds: number, seeded: SeedResult): Promise<{ patch?: Traffic; get?: Traffic }> {
  if (scenario === 'mixed') {
    const { patch, get } = await loadMixed(server.origin, seeded, connections, seconds);
    return { patch: traffic(patch), get: traffic(get) };
  }
  const result = traffic(await load(server.origin, scenario === 'patch' ? patchRequests(seeded) : getRequests(seeded), connections, seconds));
  return scenario === 'patch' ? { patch: result } : { get: result };
}

async function measure(server: Server, scenario: ScenarioName, connections: number, round: number, options: Options, seeded: SeedResult, walPath: string): Promise<Run> {
  const statsBefore = await commitStatistics(server);
  const cpuBefore = readCpu(server);
  const { patch, get } = await loadScenario(server, scenario, connections, options.duration, seeded);
  const cpuAfter = readCpu(server);
  const statsAfter = await commitStatistics(server);
  const requests = (patch?.requests ?? 0) + (get?.requests ?? 0);
  const perRequest = (seconds: number) => (requests === 0 ? 0 : (seconds * 1e6) / requests);
  return {
    mode: server.mode,
    round,
    ...(patch && { patch }),
    ...(get && { get }),
    cpuUs: {
      process: perRequest(cpuAfter.process - cpuBefore.process),
      mainThread: perRequest(cpuAfter.mainThread - cpuBefore.mainThread),
      ...(cpuAfter.writerThread !== undefined && { writerThread: perRequest(cpuAfter.writerThread - cpuBefore.writerThread!) }),
    },
    ...(statsBefore &&
      statsAfter && {
        groups: { commits: statsAfter.commits - statsBefore.commits, writes: statsAfter.writes - statsBefore.writes, commitMs: statsAfter.commitMs - statsBefore.commitMs },
      }),
    walBytes: existsSync(walPath) ? statSync(walPath).size : 0,
    loadAverage: loadAverage(),
  };
}

interface ScenarioResult {
  readonly scenario: ScenarioName;
  readonly connections: number;
  readonly runs: Run[];
  readonly summary: ModeSummary[];
}

/** Round r loads the modes starting from the r-th, so that no mode always goes first (or last). */
function order(round: number): CommitMode[] {
  return COMMIT_MODES.map((_, i) => COMMIT_MODES[(i + round - 1) % COMMIT_MODES.length]!);
}

async function benchScenario(servers: Map<CommitMode, Server>, scenario: ScenarioName, connections: number, options: Options, seeded: SeedResult, walPath: string): Promise<ScenarioResult> {
  const runs: Run[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    for (const mode of order(round)) {
      await sleep(250);
      const run = await measure(servers.get(mode)!, scenario, connections, round, options, seeded, walPath);
      runs.push(run);
      logRun(scenario, connections, options.rounds, run);
    }
  }
  return { scenario, connections, runs, summary: COMMIT_MODES.map((mode) => summarize(mode, runs.filter((run) => run.mode === mode))) };
}

function logRun(scenario: ScenarioName, connections: number, rounds: number, run: Run): void {
  const side = (name: string, t: Traffic | undefined) =>
    t ? `  ${name} ${fmt(t.rps).padStart(6)} req/s p50 ${t.p50} p99 ${t.p99} ms${t.failures > 0 ? ` !! ${t.failures} failed` : ''}` : '';
  const groups = run.groups && run.groups.commits > 0 ? `  ${(run.groups.writes / run.groups.commits).toFixed(1)} writes/commit, ${(run.groups.commitMs / run.groups.commits).toFixed(2)} ms/commit` : '';
  process.stdout.write(
    `${scenario.padEnd(5)} c=${String(connections).padEnd(3)} round ${run.round}/${rounds} ${run.mode.padEnd(6)}${side('PATCH', run.patch)}${side('GET', run.get)}` +
      `  cpu ${cpuText(run.cpuUs)}${groups}  wal ${mib(run.walBytes)}\n`,
  );
}

// ---------------------------------------------------------------------------------------------------------
// Summary and report

interface ModeSummary {
  readonly mode: CommitMode;
  readonly patch?: Traffic;
  readonly get?: Traffic;
  readonly cpuUs: CpuUs;
  readonly writesPerCommit?: number;
  readonly msPerCommit?: number;
  readonly walBytesMax: number;
}

function meanTraffic(traffics: Traffic[]): Traffic | undefined {
  if (traffics.length === 0) return undefined;
  const sum = (key: 'requests' | 'failures') => traffics.reduce((total, t) => total + t[key], 0);
  return { rps: mean(traffics.map((t) => t.rps)), p50: mean(traffics.map((t) => t.p50)), p99: mean(traffics.map((t) => t.p99)), requests: sum('requests'), failures: sum('failures') };
}

function summarize(mode: CommitMode, runs: Run[]): ModeSummary {
  const patch = meanTraffic(runs.flatMap((run) => (run.patch ? [run.patch] : [])));
  const get = meanTraffic(runs.flatMap((run) => (run.get ? [run.get] : [])));
  const groups = runs.flatMap((run) => (run.groups ? [run.groups] : []));
  const commits = groups.reduce((sum, g) => sum + g.commits, 0);
  return {
    mode,
    ...(patch && { patch }),
    ...(get && { get }),
    cpuUs: meanCpu(runs.map((run) => run.cpuUs)),
    ...(commits > 0 && {
      writesPerCommit: groups.reduce((sum, g) => sum + g.writes, 0) / commits,
      msPerCommit: groups.reduce((sum, g) => sum + g.commitMs, 0) / commits,
    }),
    walBytesMax: Math.max(...runs.map((run) => run.walBytes)),
  };
}

function meanCpu(readings: CpuUs[]): CpuUs {
  const writer = readings.flatMap((cpu) => (cpu.writerThread === undefined ? [] : [cpu.writerThread]));
  return {
    process: mean(readings.map((cpu) => cpu.process)),
    mainThread: mean(readings.map((cpu) => cpu.mainThread)),
    ...(writer.length > 0 && { writerThread: mean(writer) }),
  };
}

/** `241 µs (main 97, writer 120)`. */
function cpuText(cpu: CpuUs): string {
  return `${cpu.process.toFixed(0)} µs (main ${cpu.mainThread.toFixed(0)}${cpu.writerThread === undefined ? '' : `, writer ${cpu.writerThread.toFixed(0)}`})`;
}

function markdown(report: Report): string {
  const trafficCells = (t: Traffic | undefined) => (t ? [fmt(t.rps), `${ms(t.p50)} / ${ms(t.p99)}`] : ['—', '—']);
  const lines = [
    `# Commit designs on the bare SQLite server — ${report.startedAt}`,
    '',
    `${report.machine.cpu} × ${report.machine.cores} cores, Node ${report.machine.node}; ${fmt(report.options.rows)} rows; ` +
      `${report.options.duration} s per run, ${report.options.rounds} round(s), ${report.options.warmup} s warm-up per mode and scenario; ${report.elapsedSeconds.toFixed(0)} s in all.`,
    '',
    '| scenario | conns | commit | PATCH req/s | PATCH p50 / p99 ms | GET req/s | GET p50 / p99 ms | CPU / request: process (threads) | writes / commit | ms / commit | WAL max |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of report.scenarios) {
    for (const m of s.summary) {
      lines.push(
        `| ${SCENARIO_TITLES[s.scenario]} | ${s.scenario === 'mixed' ? `${s.connections} + ${s.connections}` : s.connections} | ${m.mode} | ` +
          `${[...trafficCells(m.patch), ...trafficCells(m.get)].join(' | ')} | ${cpuText(m.cpuUs)} | ` +
          `${m.writesPerCommit?.toFixed(1) ?? (m.mode === 'each' && m.patch ? '1' : '—')} | ${m.msPerCommit?.toFixed(2) ?? '—'} | ${mib(m.walBytesMax)} |`,
      );
    }
  }
  lines.push(
    '',
    'CPU / request: user + system time of the server process (all its threads: V8\'s and libuv\'s too) during a run, ÷ the requests it answered; ' +
      'in brackets its main thread and, in `thread` mode, its writer thread alone. ms / commit: time inside each group transaction (statements and sync), during which the committing thread ' +
      '(the event loop in `loop`, the writer thread in `thread`) did nothing else.',
    '',
    `Correctness: ${report.valid ? 'every check passed' : 'FAILED'} — ${report.checks
      .map((c) => `${c.mode} ${c.what} ${c.checks - c.problems.length}/${c.checks}${c.burst ? ` (${c.burst.writes} writes in ${c.burst.commits} commit(s))` : ''}`)
      .join(', ')}.`,
    ...report.checks.flatMap((c) => c.problems.map((problem) => `- ${c.mode} ${c.what}: ${problem}`)),
  );
  return `${lines.join('\n')}\n`;
}

interface Report {
  readonly startedAt: string;
  readonly elapsedSeconds: number;
  readonly options: Options;
  readonly machine: { readonly cpu: string; readonly cores: number; readonly node: string; readonly os: string; readonly loadAverageAtStart: string };
  readonly seed: { readonly seconds: number; readonly statusCounts: Record<string, number> };
  readonly checks: ModeCheck[];
  readonly scenarios: ScenarioResult[];
  readonly valid: boolean;
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  const startedAt = new Date();
  const loadAverageAtStart = loadAverages();
  const runSeconds = options.scenarios.length * (COMMIT_MODES.length * options.warmup + options.connections.length * options.rounds * COMMIT_MODES.length * (options.duration + 0.3));
  process.stdout.write(`commit designs: ${COMMIT_MODES.join(', ')} × ${options.scenarios.join(', ')} × connections ${options.connections.join(', ')} × ${options.rounds} round(s); load ≈ ${Math.ceil(runSeconds)} s plus seeding\n`);

  const dataDir = mkdtempSync(join(tmpdir(), 'graph-lro-commit-designs-'));
  tempDirs.add(dataDir);
  const seeded = seedSqlite(dataDir, options.rows);
  process.stdout.write(`seeded ${fmt(options.rows)} rows in ${seeded.seconds.toFixed(1)} s\n`);
  const file = join(dataDir, DATABASE_FILE);
  const ids = checkIds(seeded);
  const checks = await checkSavepoints(file, ids);

  const servers = new Map<CommitMode, Server>();
  try {
    for (const mode of COMMIT_MODES) servers.set(mode, await startServer(mode, dataDir));
    for (const server of servers.values()) checks.push(await checkServer(server, ids));
    for (const check of checks) process.stdout.write(`check ${check.mode} ${check.what}: ${check.problems.length === 0 ? 'ok' : check.problems.join('; ')}${check.burst ? ` (${check.burst.writes} writes in ${check.burst.commits} commit(s))` : ''}\n`);

    const scenarios: ScenarioResult[] = [];
    for (const scenario of options.scenarios) {
      for (const mode of COMMIT_MODES) if (options.warmup > 0) await loadScenario(servers.get(mode)!, scenario, Math.max(...options.connections), options.warmup, seeded);
      for (const connections of options.connections) scenarios.push(await benchScenario(servers, scenario, connections, options, seeded, `${file}-wal`));
    }

    const finishedAt = new Date();
    const failures = scenarios.flatMap((s) => s.runs).reduce((sum, run) => sum + (run.patch?.failures ?? 0) + (run.get?.failures ?? 0), 0);
    const report: Report = {
      startedAt: startedAt.toISOString(),
      elapsedSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
      options,
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, os: `${process.platform} ${release()}`, loadAverageAtStart },
      seed: { seconds: seeded.seconds, statusCounts: seeded.statusCounts },
      checks,
      scenarios,
      valid: failures === 0 && checks.every((check) => check.problems.length === 0),
    };
    const out = writeResults(report, 'commit-designs');
    process.stdout.write(`\n${markdown(report)}\nWrote ${out}\n`);
    if (!report.valid) process.exitCode = 1;
  } finally {
    for (const server of servers.values()) await stopServer(server);
    rmSync(dataDir, { recursive: true, force: true });
    tempDirs.delete(dataDir);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`commit-designs: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
