/**
 * graph-lro against its ceiling: the same storage work on the same seeded database, served by a minimal
 * `node:http` server (bench/ceiling-*.ts). Loads both with autocannon, alternating A/B, and reports
 * throughput, latency, memory and start-up time side by side.
 *
 *   npm run bench                       # sqlite + postgres, 1k + 1M rows, 10 + 100 connections, 10 s, 2 rounds
 *                                       # scenarios patch, get, list, mixed (C PATCH + C GET connections at once)
 *   npm run bench -- --quick            # smoke run: 1k rows, 3 s, 1 round (~1–2 min)
 *   npm run bench -- --engines sqlite --rows 1000 --connections 10,100 --duration 10 --rounds 2
 *   npm run bench -- --parts startup    # only `npm start` to first answer, cold and warm (~1 min)
 *
 * Results: bench/results/<ISO date>-<engines>-<rows>.json and bench/results/latest.md.
 */
import autocannon from 'autocannon';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import ts from 'typescript';
import { openSqliteDatabase } from '../src/store/sqlite/sqlite-store.js';
import { COLLECTION, getRequests, load, loadFigures, loadMixed, patchRequests, pick, type LoadFigures } from './load.js';
import { children, cpuSeconds, sleep, startNode, stopChild, tempDirs, waitFor } from './processes.js';
import { breakdown, breakdownTable, profilerFlags, readProfile, type ProfileBreakdown } from './profile.js';
import { fmt, loadAverage, loadAverages, mean, median, mib, ms, percentile, RESULTS_DIR, writeResults } from './report.js';
import { DATABASE_FILE, dropPostgresSchema, seedPostgres, seedSqlite, type SeedResult } from './seed.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_DATABASE_URL =
  process.env.GRAPH_LRO_BENCH_DATABASE_URL ?? process.env.GRAPH_LRO_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

type Engine = 'sqlite' | 'postgres';
/** `mixed`: C connections sending `patch`'s requests and C sending `get`'s, at the same time (bench/load.ts). */
type ScenarioName = 'patch' | 'get' | 'list' | 'mixed';
/**
 * The second ceiling of each engine: on SQLite the bare server at `synchronous = NORMAL` (what group commit
 * is measured against), on PostgreSQL the minimal one (a table of the Graph columns only).
 */
type SecondCeiling = 'ceiling-normal' | 'ceiling-minimal';
type Side = 'graph-lro' | 'ceiling' | SecondCeiling;
const SECOND_CEILING: Record<Engine, { side: SecondCeiling; args: string[]; title: string }> = {
  sqlite: { side: 'ceiling-normal', args: ['--synchronous', 'NORMAL'], title: 'bare NORMAL' },
  postgres: { side: 'ceiling-minimal', args: ['--minimal'], title: 'minimal pg' },
};
type Part = 'load' | 'startup' | 'waiters';
const ENGINES: readonly Engine[] = ['sqlite', 'postgres'];
const PARTS: readonly Part[] = ['load', 'startup', 'waiters'];
const SCENARIOS: readonly ScenarioName[] = ['patch', 'get', 'list', 'mixed'];
const SCENARIO_TITLES: Record<ScenarioName, string> = {
  patch: 'PATCH one (random id)',
  get: 'GET one (random id)',
  list: 'GET page ($top=100)',
  mixed: 'PATCH + GET one at once',
};

// ---------------------------------------------------------------------------------------------------------
// Options

interface Options {
  /** What to measure: graph-lro against its ceiling under load, and `npm start` to its first answer. */
  readonly parts: Part[];
  /** Starts of each kind (cold, warm) for the start-up figure; its median is reported. */
  readonly startupRuns: number;
  /** Requests held waiting at once (`Prefer: wait`) for the waiters part. */
  readonly waiters: number;
  readonly rows: number[];
  readonly engines: Engine[];
  readonly connections: number[];
  /** The connection counts of `mixed` (C PATCH + C GET connections each): `connections`, or with `--quick` only its first. */
  readonly mixedConnections: number[];
  readonly scenarios: ScenarioName[];
  readonly duration: number;
  readonly rounds: number;
  readonly warmup: number;
  readonly database: string;
  readonly quick: boolean;
  /** Run the ceilings through tsx instead of as transpiled JavaScript. */
  readonly ceilingTsx: boolean;
  /** Run both servers under V8's CPU profiler, keeping the profiles in this folder. */
  readonly profile?: string;
}

const USAGE = `npm run bench -- [options]

  --rows 1000,1000000        seeded operations (k/m suffixes work: 1k,1m)      default: both
  --engines sqlite,postgres  storage engines                                    default: both
  --connections 10,100       autocannon connections                             default: 10,100
  --scenarios patch,get,list,mixed  what to load                                default: all four
                             patch: PATCH of a random open operation; get: GET of a random one;
                             list: GET of the first page; mixed: C PATCH and C GET connections at once
                             (C = each connection count), PATCH and GET reported separately
  --duration 10              seconds per measured run                           default: 10
  --rounds 2                 A/B alternations per scenario and connection count default: 2
  --warmup 2                 seconds of warm-up per server and scenario         default: 2
  --database URL             PostgreSQL (a schema bench_<pid> is created, then dropped)
                             default: $GRAPH_LRO_BENCH_DATABASE_URL or ${DEFAULT_DATABASE_URL}
  --quick                    smoke run: rows 1000, duration 3, rounds 1, startup-runs 1, mixed at the first
                             connection count only (explicit flags still win)
  --parts load,startup       load: graph-lro against its ceiling (the options above);
                             startup: \`npm start\` to its first answer, cold (no build) and warm (built)
                             waiters: memory and idle CPU per waiting request, and how soon a PATCH reaches its waiter
                             default: both; a run without load leaves latest.md as it was
  --waiters 10000            waiters: this many GETs with Prefer: wait held open at once, per engine    default: 10000 (--quick: 1000)
  --startup-runs 3           starts of each kind for the start-up figure (the median is reported)   default: 3 (--quick: 1)
  --profile DIR              run both servers under V8's CPU profiler (node --cpu-prof): profiles kept in
                             DIR/<engine>-<rows>/<side>/, where each side's CPU went per request in the
                             report; figures carry the profiler's cost, so latest.md is left as it was
  --ceiling-tsx              run the ceilings as \`node --import tsx bench/ceiling-*.ts\` (default: transpiled
                             to bench/.build/ and run by plain node, as graph-lro runs from dist/, so that
                             tsx's loader does not count in the ceiling's start-up time and RSS)
`;

function readOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      rows: { type: 'string' },
      engines: { type: 'string' },
      connections: { type: 'string' },
      scenarios: { type: 'string' },
      duration: { type: 'string' },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      database: { type: 'string' },
      quick: { type: 'boolean', default: false },
      parts: { type: 'string' },
      'startup-runs': { type: 'string' },
      waiters: { type: 'string' },
      'ceiling-tsx': { type: 'boolean', default: false },
      profile: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const quick = values.quick;
  const list = (text: string, what: string) => {
    const items = text.split(',').map((item) => item.trim()).filter((item) => item !== '');
    if (items.length === 0) throw new UsageError(`--${what} needs at least one value`);
    return items;
  };
  const count = (text: string, what: string, min: number) => {
    const match = /^(\d[\d_]*)([km]?)$/i.exec(text.trim());
    const value = match ? Number(match[1]!.replaceAll('_', '')) * ({ k: 1e3, m: 1e6 }[match[2]!.toLowerCase()] ?? 1) : NaN;
    if (!Number.isSafeInteger(value) || value < min) throw new UsageError(`--${what}: '${text}' is not a whole number ≥ ${min}`);
    return value;
  };
  const oneOf = <T extends string>(text: string, allowed: readonly T[], what: string): T => {
    if (!(allowed as readonly string[]).includes(text)) throw new UsageError(`--${what}: '${text}' is not one of ${allowed.join(', ')}`);
    return text as T;
  };
  const connections = list(values.connections ?? '10,100', 'connections').map((text) => count(text, 'connections', 1));
  return {
    parts: [...new Set(list(values.parts ?? PARTS.join(','), 'parts').map((text) => oneOf(text, PARTS, 'parts')))],
    startupRuns: count(values['startup-runs'] ?? (quick ? '1' : '3'), 'startup-runs', 1),
    waiters: count(values.waiters ?? (quick ? '1000' : '10000'), 'waiters', 10),
    rows: list(values.rows ?? (quick ? '1000' : '1000,1000000'), 'rows').map((text) => count(text, 'rows', 100)),
    engines: [...new Set(list(values.engines ?? ENGINES.join(','), 'engines').map((text) => oneOf(text, ENGINES, 'engines')))],
    connections,
    mixedConnections: quick && values.connections === undefined ? connections.slice(0, 1) : connections,
    scenarios: [...new Set(list(values.scenarios ?? SCENARIOS.join(','), 'scenarios').map((text) => oneOf(text, SCENARIOS, 'scenarios')))],
    duration: count(values.duration ?? (quick ? '3' : '10'), 'duration', 1),
    rounds: count(values.rounds ?? (quick ? '1' : '2'), 'rounds', 1),
    warmup: count(values.warmup ?? '2', 'warmup', 0),
    database: values.database ?? DEFAULT_DATABASE_URL,
    quick,
    ceilingTsx: values['ceiling-tsx'],
    ...(values.profile !== undefined && { profile: resolve(values.profile) }),
  };
}

class UsageError extends Error {}

// ---------------------------------------------------------------------------------------------------------
// Child processes: every one is tracked (bench/processes.ts), and none outlives the runner (exit, Ctrl-C,
// SIGTERM, a crash).

const schemas = new Set<{ url: string; schema: string }>();

interface Server {
  readonly side: Side;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  readonly origin: string;
  /** The last 64 KiB of stdout and stderr, for diagnostics and the token. */
  output(): string;
}

/** The environment of every child: settings from ours (rate limits, pool size…) would silently change what is measured. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('GRAPH_LRO_')) delete env[key];
  return env;
}

function startServer(side: Side, args: string[], port: number, cwd: string = ROOT): Server {
  const child = startNode(args, { cwd, env: childEnv() });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-65_536);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  if (child.pid === undefined) throw new Error(`could not start ${side}: ${child.spawnargs.slice(1).join(' ')}`);
  return { side, child, pid: child.pid, port, origin: `http://127.0.0.1:${port}`, output: () => output };
}

function stopServer(server: Server): Promise<void> {
  return stopChild(server.child);
}

let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  return (cleaning ??= (async () => {
    await Promise.all([...children].map((child) => stopChild(child, 5_000)));
    for (const { url, schema } of schemas) await dropPostgresSchema(url, schema).catch(() => undefined);
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  })());
}

function onSignal(signal: NodeJS.Signals, code: number): void {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping the servers and cleaning up…\n`);
    cleanup().finally(() => process.exit(code));
  });
}
onSignal('SIGINT', 130);
onSignal('SIGTERM', 143);
onSignal('SIGHUP', 129);
// Last resort, synchronous, on exit: bench/processes.ts kills the children left and removes the temporary folders.

/**
 * The ceilings as plain JavaScript in bench/.build/ (TypeScript's transpileModule: no type check, no
 * bundling), so both sides start as compiled code: graph-lro from dist/, the ceiling from here. Inside the
 * repository so that `better-sqlite3` and `pg` resolve from its node_modules.
 */
function ceilingCommand(engine: Engine, useTsx: boolean): string[] {
  return benchScript(`ceiling-${engine}`, engine === 'sqlite' ? ['ceiling-common', 'ceiling-sqlite-writer'] : ['ceiling-common'], useTsx);
}

/** The node arguments that run bench/<main>.ts: through tsx, or transpiled (with the modules it imports) to bench/.build/. */
function benchScript(main: string, imports: readonly string[], useTsx = false): string[] {
  const source = join(ROOT, 'bench', `${main}.ts`);
  if (useTsx) return ['--import', 'tsx', source];
  const out = join(ROOT, 'bench', '.build');
  mkdirSync(out, { recursive: true });
  for (const name of [...imports, main]) {
    const { outputText } = ts.transpileModule(readFileSync(join(ROOT, 'bench', `${name}.ts`), 'utf8'), {
      fileName: `${name}.ts`,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    writeFileSync(join(out, `${name}.js`), outputText);
  }
  return [join(out, `${main}.js`)];
}

// ---------------------------------------------------------------------------------------------------------
// HTTP helpers

interface Answer {
  readonly status: number;
  readonly body: string;
}

function call(origin: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, origin);
    const request = httpRequest(
      url,
      { method, agent: false, headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.setTimeout(10_000, () => request.destroy(new Error(`${method} ${path}: no answer in 10 s`)));
    request.on('error', reject);
    request.end(body);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls until `path` answers 200; the milliseconds since `spawnedAt`. */
async function firstAnswer(server: Server, path: string, spawnedAt: number, headers: Record<string, string> = {}): Promise<number> {
  const deadline = spawnedAt + 60_000;
  while (performance.now() < deadline) {
    if (server.child.exitCode !== null) throw new Error(`${server.side} exited with code ${server.child.exitCode}:\n${server.output()}`);
    try {
      const answer = await call(server.origin, 'GET', path, headers);
      if (answer.status === 200) return performance.now() - spawnedAt;
      if (answer.status !== 503) throw new Error(`${server.side}: GET ${path} answered ${answer.status}: ${answer.body.slice(0, 500)}`);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ECONNREFUSED' && code !== 'ECONNRESET') throw error;
    }
    await sleep(5);
  }
  throw new Error(`${server.side} did not answer GET ${path} within 60 s:\n${server.output()}`);
}

// ---------------------------------------------------------------------------------------------------------
// Measurements

/** VmRSS and VmHWM (peak) of a process, in KiB. */
function memory(pid: number): { rssKiB: number; peakKiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKiB: field('VmRSS'), peakKiB: field('VmHWM') };
}

/**
 * CPU seconds of each PostgreSQL server process, by pid: its backends serve whichever side is under load.
 * By pid, so that a process that ends during a run (an autovacuum worker, a connection closed) does not
 * subtract its whole past from the total.
 */
function databaseCpuSeconds(): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') byPid.set(Number(entry), cpuSeconds(Number(entry)));
    } catch {
      // the process ended meanwhile
    }
  }
  return byPid;
}

/** CPU used between two readings: by the processes alive at the second, from their first reading or from 0 if new. */
function databaseCpuSince(before: Map<number, number>, after: Map<number, number>): number {
  let used = 0;
  for (const [pid, seconds] of after) used += seconds - (before.get(pid) ?? 0);
  return used;
}

/**
 * CPU time per request during a run: of the server process, and on PostgreSQL of the database's processes.
 * Far steadier than req/s on a machine shared with the load generator and the database, it shows where a
 * difference goes.
 */
interface CpuPerRequest {
  readonly serverUs: number;
  readonly databaseUs?: number;
}

/** Starts counting; the function it answers gives the CPU per request for `requests` requests since. */
function cpuMeter(pid: number, engine: Engine): (requests: number) => CpuPerRequest {
  const server = cpuSeconds(pid);
  const database = engine === 'postgres' ? databaseCpuSeconds() : undefined;
  return (requests) => {
    const perRequest = (seconds: number) => (requests === 0 ? 0 : (seconds * 1e6) / requests);
    return {
      serverUs: perRequest(cpuSeconds(pid) - server),
      ...(database !== undefined && { databaseUs: perRequest(databaseCpuSince(database, databaseCpuSeconds())) }),
    };
  };
}

function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

/** One autocannon run's figures (bench/load.ts) and its answers that were not 2xx, failed or timed out. */
interface RunFigures extends LoadFigures {
  readonly ok2xx: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly statusCodes: Record<string, number>;
}

function runFigures(result: autocannon.Result): RunFigures {
  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stats.count ?? 0;
  return { ...loadFigures(result), ok2xx: result['2xx'], non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts, statusCodes };
}

/** A measured run of one side. In `mixed`, its own figures are the GET requests' and `patch` the PATCH requests'. */
interface LoadResult extends RunFigures {
  readonly side: Side;
  readonly round: number;
  /** `mixed`: the PATCH requests sent at the same time as the GETs. */
  readonly patch?: RunFigures;
  readonly rssKiB: number;
  readonly cpu: CpuPerRequest;
  readonly walBytes?: number;
  /** The machine's 1-minute load average when the run ended: other work on the machine shows here. */
  readonly loadAverage: number;
  /** graph-lro on SQLite: the writes and commits of the run (from /metrics), and the largest group so far. */
  readonly groups?: GroupCommits;
}

interface GroupCommits {
  readonly commits: number;
  readonly writes: number;
  readonly largestGroup: number;
}

/** graph-lro's embedded-store group commits so far, as its /metrics shows them. */
async function groupCommits(server: Server): Promise<GroupCommits> {
  const text = await (await fetch(`${server.origin}/metrics`)).text();
  const value = (measure: string) => Number(new RegExp(`^graph_lro_db_group_commits\\{measure="${measure}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  return { commits: value('commits'), writes: value('writes'), largestGroup: value('largest_group') };
}

interface Target {
  readonly server: Server;
  readonly headers: Record<string, string>;
}

function requestsFor(scenario: Exclude<ScenarioName, 'mixed'>, ids: SeedResult): autocannon.Request[] {
  switch (scenario) {
    case 'patch':
      return patchRequests(ids);
    case 'get':
      return getRequests(ids);
    case 'list':
      return [{ method: 'GET', path: `${COLLECTION}?$top=100` }];
  }
}

function summarizeLoad(
  side: Side,
  round: number,
  result: autocannon.Result,
  server: Server,
  cpu: (requests: number) => CpuPerRequest,
  walPath?: string,
  patch?: autocannon.Result,
): LoadResult {
  const figures = runFigures(result);
  const patchFigures = patch && runFigures(patch);
  return {
    side,
    round,
    ...figures,
    ...(patchFigures && { patch: patchFigures }),
    rssKiB: memory(server.pid).rssKiB,
    // Every request of the run: in `mixed`, the PATCHes and the GETs together.
    cpu: cpu(figures.requests + (patchFigures?.requests ?? 0)),
    loadAverage: loadAverage(),
    ...(walPath !== undefined && { walBytes: fileSize(walPath) }),
  };
}

// ---------------------------------------------------------------------------------------------------------
// One engine and row count

interface TrafficSummary {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly non2xxRatio: number;
}

/** A side's runs averaged over the rounds; in `mixed` its own figures are the GET requests', `patch` the PATCH requests'. */
interface SideSummary extends TrafficSummary {
  /** CPU per request (in `mixed`, PATCHes and GETs together), averaged over the rounds. */
  readonly cpu: CpuPerRequest;
  readonly patch?: TrafficSummary;
}

interface ScenarioResult {
  readonly scenario: ScenarioName;
  readonly connections: number;
  readonly runs: LoadResult[];
  readonly graphLro: SideSummary;
  readonly ceiling: SideSummary;
  /** graph-lro req/s ÷ ceiling req/s, each averaged over the rounds (in `mixed`, of the GETs). */
  readonly ratio: number;
  /** The lowest and highest ratio of a single round (A and B of the same round): the noise. */
  readonly ratioRange: [number, number];
  /** `mixed`: the same two for the PATCH requests. */
  readonly patchRatio?: number;
  readonly patchRatioRange?: [number, number];
  /** The engine's second ceiling (see SECOND_CEILING), and graph-lro req/s ÷ its req/s (`mixed`: GET, and PATCH in patchRatio). */
  readonly second?: { readonly side: SecondCeiling; readonly summary: SideSummary; readonly ratio: number; readonly patchRatio?: number };
  /** SQLite: graph-lro's writes per commit over the rounds (0 writes: a read-only scenario). */
  readonly writesPerCommit?: number;
  readonly largestGroup?: number;
}

interface Verification {
  readonly ok: boolean;
  readonly checks: number;
  readonly problems: string[];
}

interface EngineResult {
  readonly engine: Engine;
  readonly rows: number;
  readonly seed: { seconds: number; phases: Record<string, number>; statusCounts: Record<string, number>; location: string };
  readonly startupMs: { graphLro: number; ceiling: number };
  readonly synchronous: { graphLro: string; ceiling: string };
  readonly verification: Verification;
  readonly scenarios: ScenarioResult[];
  readonly memory: {
    graphLro: { rssKiB: number; peakKiB: number };
    ceiling: { rssKiB: number; peakKiB: number };
    /** graph-lro RSS ÷ ceiling RSS after the load. */
    rssRatio: number;
  };
  readonly storage: Record<string, number>;
  /** SQLite, after the load with both servers still up: can a checkpoint take the whole WAL? */
  readonly walCheckpoint?: WalCheckpoint;
  readonly graphLroLogErrors: string[];
  /** With `--profile`: each side's CPU by origin, per request of the block's load (warm-ups included). */
  readonly profile?: { readonly graphLro: ProfileBreakdown; readonly ceiling: ProfileBreakdown };
  readonly valid: boolean;
}

const SQLITE_SYNCHRONOUS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

async function benchEngine(engine: Engine, rows: number, options: Options): Promise<EngineResult> {
  const tag = `[${engine} ${rows.toLocaleString('en')}]`;
  const log = (line: string) => process.stdout.write(`${tag} ${line}\n`);

  // 1. Seed, straight into the store.
  const store = await seedStore(engine, rows, options);
  const { seeded, location, dataDir, schema, storeArgs } = store;
  log(`seeded in ${seeded.seconds.toFixed(1)} s (${Object.entries(seeded.phases).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')}) — ${location}`);

  const walPath = engine === 'sqlite' ? join(dataDir, `${DATABASE_FILE}-wal`) : undefined;
  const dbPath = engine === 'sqlite' ? join(dataDir, DATABASE_FILE) : undefined;
  let graphLroSynchronous: string;
  if (engine === 'sqlite') {
    // graph-lro's own opening function: the pragmas it sets are the ones its server runs with.
    const db = openSqliteDatabase(dbPath!);
    graphLroSynchronous = `${SQLITE_SYNCHRONOUS[Number(db.pragma('synchronous', { simple: true }))]} (journal_mode=${String(db.pragma('journal_mode', { simple: true }))})`;
    db.close();
  } else {
    graphLroSynchronous = await postgresSynchronous(options.database);
  }
  const storageBefore = await storageSizes(engine, options.database, schema, dbPath, walPath);

  // 2. Start graph-lro, then the ceiling, one after the other; time each to its first answer.
  const graphPort = await freePort();
  let spawnedAt = performance.now();
  // Every default stays, overload protection included; only the per-request access line (info) is off, as
  // the ceiling writes none: it is a line on stdout per request, an operator's choice, not the service's work.
  const profileDir = (side: Side) => options.profile && join(options.profile, `${engine}-${rows}`, side);
  const profiling = (side: Side) => {
    const dir = profileDir(side);
    return dir ? profilerFlags(dir) : [];
  };
  const graph = startServer(
    'graph-lro',
    [...profiling('graph-lro'), join(ROOT, 'dist', 'cli.js'), 'serve', '--port', String(graphPort), ...storeArgs, '--log-level', 'warn'],
    graphPort,
  );
  let ceiling: Server | undefined;
  let second: Server | undefined;
  try {
    const graphStartupMs = await firstAnswer(graph, '/healthz', spawnedAt);
    const token = await waitFor('graph-lro to print its dev token', () => /^(eyJ[\w-]+\.[\w-]+\.[\w-]+)$/m.exec(graph.output())?.[1]);

    const ceilingPort = await freePort();
    spawnedAt = performance.now();
    ceiling = startServer('ceiling', [...profiling('ceiling'), ...ceilingCommand(engine, options.ceilingTsx), '--port', String(ceilingPort), ...storeArgs], ceilingPort);
    const ceilingStartupMs = await firstAnswer(ceiling, `${COLLECTION}/${seeded.all[0]}`, spawnedAt);
    const secondPort = await freePort();
    const { side: secondSide, args: secondArgs } = SECOND_CEILING[engine];
    second = startServer(secondSide, [...ceilingCommand(engine, options.ceilingTsx), '--port', String(secondPort), ...storeArgs, ...secondArgs], secondPort);
    await firstAnswer(second, `${COLLECTION}/${seeded.all[0]}`, performance.now());
    const ceilingInfo = JSON.parse(/^ceiling (\{.*\})$/m.exec(ceiling.output())?.[1] ?? '{}') as Record<string, unknown>;
    const ceilingSynchronous =
      engine === 'sqlite'
        ? `${SQLITE_SYNCHRONOUS[Number(ceilingInfo.synchronous)]} (journal_mode=${String(ceilingInfo.journal_mode)})`
        : `synchronous_commit=${String(ceilingInfo.synchronous_commit)}, fsync=${String(ceilingInfo.fsync)}`;
    log(`first answer: graph-lro ${graphStartupMs.toFixed(0)} ms, ceiling ${ceilingStartupMs.toFixed(0)} ms`);

    // The same headers to both: identical requests on the wire (the ceiling ignores the token).
    const headers = { authorization: `Bearer ${token}` };
    const targets: Targets = { 'graph-lro': { server: graph, headers }, ceiling: { server: ceiling, headers }, [secondSide]: { server: second, headers } };
    const sides = Object.keys(targets) as Side[];

    // 3. Correctness before load: both answer the same data for the same requests.
    const verification = await verify(targets, seeded);
    log(verification.ok ? `verified: ${verification.checks} checks agree` : `VERIFICATION FAILED: ${verification.problems.join('; ')}`);

    // 4. Load: per scenario, a warm-up per server, then A, B, A, B… at each connection count.
    const scenarios: ScenarioResult[] = [];
    const answered: Record<Side, number> = { 'graph-lro': 0, ceiling: 0, 'ceiling-normal': 0, 'ceiling-minimal': 0 };
    /** The scenario's load on one side; in `mixed`, `result` is the GET run and `patch` the PATCH run started with it. */
    const loadCounted = async (side: Side, scenario: ScenarioName, connections: number, seconds: number): Promise<{ result: autocannon.Result; patch?: autocannon.Result }> => {
      const { server, headers } = targets[side]!;
      if (scenario === 'mixed') {
        const { patch, get } = await loadMixed(server.origin, seeded, connections, seconds, headers);
        answered[side] += patch.requests.total + get.requests.total;
        return { result: get, patch };
      }
      const result = await load(server.origin, requestsFor(scenario, seeded), connections, seconds, headers);
      answered[side] += result.requests.total;
      return { result };
    };
    /** A side's profile, written as it exited: its CPU by origin per request it answered under load. */
    const profiled = (side: Side): ProfileBreakdown => {
      const { file, profile } = readProfile(profileDir(side)!);
      return breakdown(profile, file, answered[side], { graphLro: join(ROOT, 'dist'), ceiling: join(ROOT, 'bench') });
    };
    for (const scenario of options.scenarios) {
      const connectionCounts = scenarioConnections(scenario, options);
      if (options.warmup > 0) {
        for (const side of sides) await loadCounted(side, scenario, Math.max(...connectionCounts), options.warmup);
      }
      for (const connections of connectionCounts) {
        const runs: LoadResult[] = [];
        for (let round = 1; round <= options.rounds; round++) {
          for (const side of sides) {
            await sleep(250);
            const server = targets[side]!.server;
            const counting = side === 'graph-lro' && engine === 'sqlite';
            const groupsBefore = counting ? await groupCommits(server) : undefined;
            const cpu = cpuMeter(server.pid, engine);
            const { result, patch } = await loadCounted(side, scenario, connections, options.duration);
            const summary = summarizeLoad(side, round, result, server, cpu, walPath, patch);
            const groupsAfter = groupsBefore && (await groupCommits(server));
            const run: LoadResult = groupsBefore && groupsAfter
              ? { ...summary, groups: { commits: groupsAfter.commits - groupsBefore.commits, writes: groupsAfter.writes - groupsBefore.writes, largestGroup: groupsAfter.largestGroup } }
              : summary;
            runs.push(run);
            const figures = (t: RunFigures) => `${fmt(t.rps).padStart(7)} req/s  p50 ${t.p50} ms  p99 ${t.p99} ms`;
            const failures = (t: RunFigures, what: string) =>
              t.non2xx + t.errors > 0 ? `  !! ${what}non-2xx ${t.non2xx} errors ${t.errors} ${JSON.stringify(t.statusCodes)}` : '';
            log(
              `${scenario.padEnd(5)} c=${String(connections).padEnd(3)} round ${round}/${options.rounds} ${side.padEnd(9)} ` +
                `${run.patch ? `GET ${figures(run)}  PATCH ${figures(run.patch)}` : figures(run)}  cpu ${cpuText(run.cpu)}` +
                `${failures(run, run.patch ? 'GET ' : '')}${run.patch ? failures(run.patch, 'PATCH ') : ''}` +
                `${run.walBytes !== undefined ? `  wal ${mib(run.walBytes)}` : ''}` +
                `${run.groups && run.groups.commits > 0 ? `  ${(run.groups.writes / run.groups.commits).toFixed(1)} writes/commit` : ''}`,
            );
          }
        }
        const graphLro = sideSummary(runs.filter((run) => run.side === 'graph-lro'));
        const ceilingSummary = sideSummary(runs.filter((run) => run.side === 'ceiling'));
        const perRound = (figures: (run: LoadResult) => RunFigures) =>
          Array.from({ length: options.rounds }, (_, i) => {
            const [a, b] = [runs.find((r) => r.round === i + 1 && r.side === 'graph-lro')!, runs.find((r) => r.round === i + 1 && r.side === 'ceiling')!];
            return figures(a).rps / figures(b).rps;
          });
        const range = (ratios: number[]): [number, number] => [Math.min(...ratios), Math.max(...ratios)];
        const secondSummary = sideSummary(runs.filter((run) => run.side === secondSide));
        const groups = runs.flatMap((run) => (run.groups ? [run.groups] : []));
        const commits = groups.reduce((sum, g) => sum + g.commits, 0);
        scenarios.push({
          scenario,
          connections,
          runs,
          graphLro,
          ceiling: ceilingSummary,
          ratio: graphLro.rps / ceilingSummary.rps,
          ratioRange: range(perRound((run) => run)),
          ...(graphLro.patch &&
            ceilingSummary.patch && { patchRatio: graphLro.patch.rps / ceilingSummary.patch.rps, patchRatioRange: range(perRound((run) => run.patch!)) }),
          second: {
            side: secondSide,
            summary: secondSummary,
            ratio: graphLro.rps / secondSummary.rps,
            ...(graphLro.patch && secondSummary.patch && { patchRatio: graphLro.patch.rps / secondSummary.patch.rps }),
          },
          ...(groups.length > 0 && {
            writesPerCommit: commits === 0 ? 0 : groups.reduce((sum, g) => sum + g.writes, 0) / commits,
            largestGroup: Math.max(...groups.map((g) => g.largestGroup)),
          }),
        });
      }
    }

    // 5. After the load: memory of both, storage growth, graph-lro's logged errors.
    const graphMemory = memory(graph.pid);
    const ceilingMemory = memory(ceiling.pid);
    const storageAfter = await storageSizes(engine, options.database, schema, dbPath, walPath);
    const walCheckpoint = dbPath === undefined ? undefined : probeCheckpoint(dbPath);
    const graphLroLogErrors = loggedErrors(graph.output());
    await stopServer(second);
    await stopServer(ceiling);
    await stopServer(graph);
    const profile = options.profile && { graphLro: profiled('graph-lro'), ceiling: profiled('ceiling') };
    const storage: Record<string, number> = {};
    for (const [key, value] of Object.entries(storageBefore)) storage[`${key}BeforeLoad`] = value;
    for (const [key, value] of Object.entries(storageAfter)) storage[`${key}AfterLoad`] = value;
    if (walPath !== undefined) {
      storage.walBytesMaxDuringLoad = Math.max(0, ...scenarios.flatMap((s) => s.runs.map((run) => run.walBytes ?? 0)));
      storage.walBytesAfterShutdown = fileSize(walPath);
    }
    const valid = verification.ok && scenarios.every((s) => failed(s.graphLro) + failed(s.ceiling) === 0);
    return {
      engine,
      rows,
      seed: { seconds: seeded.seconds, phases: seeded.phases, statusCounts: seeded.statusCounts, location },
      startupMs: { graphLro: graphStartupMs, ceiling: ceilingStartupMs },
      synchronous: { graphLro: graphLroSynchronous, ceiling: ceilingSynchronous },
      verification,
      scenarios,
      memory: { graphLro: graphMemory, ceiling: ceilingMemory, rssRatio: graphMemory.rssKiB / ceilingMemory.rssKiB },
      storage,
      ...(walCheckpoint && { walCheckpoint }),
      graphLroLogErrors,
      ...(profile && { profile }),
      valid,
    };
  } finally {
    if (second) await stopServer(second);
    if (ceiling) await stopServer(ceiling);
    await stopServer(graph);
    await store.remove();
  }
}

/** A block's seeded store: where it is, the `serve` flags that reach it, and its removal. */
interface SeededStore {
  readonly seeded: SeedResult;
  readonly location: string;
  /** SQLite's data folder ('' on PostgreSQL). */
  readonly dataDir: string;
  /** PostgreSQL's schema ('' on SQLite). */
  readonly schema: string;
  readonly storeArgs: string[];
  remove(): Promise<void>;
}

async function seedStore(engine: Engine, rows: number, options: Options): Promise<SeededStore> {
  if (engine === 'sqlite') {
    const dataDir = mkdtempSync(join(tmpdir(), 'graph-lro-bench-'));
    tempDirs.add(dataDir);
    const remove = async () => {
      rmSync(dataDir, { recursive: true, force: true });
      tempDirs.delete(dataDir);
    };
    return { seeded: seedSqlite(dataDir, rows), location: dataDir, dataDir, schema: '', storeArgs: ['--data', dataDir], remove };
  }
  const schema = `bench_${process.pid}`;
  const entry = { url: options.database, schema };
  schemas.add(entry);
  await dropPostgresSchema(options.database, schema);
  const remove = async () => {
    await dropPostgresSchema(options.database, schema);
    schemas.delete(entry);
  };
  const storeArgs = ['--database', options.database, '--db-schema', schema];
  return { seeded: await seedPostgres(options.database, schema, rows), location: `schema ${schema}`, dataDir: '', schema, storeArgs, remove };
}

// ---------------------------------------------------------------------------------------------------------
// Waiters at scale: many GETs held open by `Prefer: wait` at once

interface WaiterResult {
  readonly engine: Engine;
  readonly waiters: number;
  /** Seconds from the first waiting GET sent to the server counting them all as waiting. */
  readonly openSeconds: number;
  readonly rssKiB: { readonly before: number; readonly waiting: number };
  readonly kibPerWaiter: number;
  /** Plain node:http holding as many requests, the same way (bench/waiters-floor.ts): Node's own cost of one. */
  readonly floorKibPerRequest: number;
  /** CPU of the server process (and, on PostgreSQL, of the database's) while everyone waits and nothing changes. */
  readonly idle: { readonly seconds: number; readonly serverCpuPercent: number; readonly databaseCpuPercent?: number };
  /** Milliseconds from a PATCH sent to the answer of a request waiting on that operation, one PATCH at a time. */
  readonly delivery: { readonly samples: number; readonly p50: number; readonly p99: number; readonly max: number };
  /** Waiting GETs answered otherwise than 200, or failed. */
  readonly failures: number;
}

/** Longer than the measurement, so that no wait ends on its own while it runs. */
const WAIT_SECONDS = 120;
const IDLE_SECONDS = 10;
const DELIVERY_SAMPLES = 200;
/** Connections opened at a time: the server's accept backlog (somaxconn) is not the subject. */
const OPEN_BATCH = 250;

async function waitingRequests(server: Server): Promise<number> {
  const text = await (await fetch(`${server.origin}/metrics`)).text();
  return Number(/^graph_lro_waiting_requests (\d+)$/m.exec(text)?.[1] ?? NaN);
}

/** GETs held open by `Prefer: wait`, sent a batch at a time, each on a connection of its own; each answer's time kept. */
async function holdRequests(origin: string, ids: readonly string[], headers: Record<string, string>, agent: HttpAgent) {
  let failures = 0;
  const answeredAt = new Map<string, Promise<number>>();
  const wait = (id: string) =>
    new Promise<number>((resolve) => {
      const request = httpRequest(`${origin}${COLLECTION}/${id}`, { agent, headers: { ...headers, prefer: `wait=${WAIT_SECONDS}` } }, (response) => {
        response.resume();
        response.on('end', () => {
          if (response.statusCode !== 200) failures += 1;
          resolve(performance.now());
        });
      });
      request.on('error', () => {
        failures += 1;
        resolve(performance.now());
      });
      request.end();
    });
  for (let i = 0; i < ids.length; i += OPEN_BATCH) {
    for (const id of ids.slice(i, i + OPEN_BATCH)) answeredAt.set(id, wait(id));
    await sleep(20);
  }
  return { answeredAt, failures: () => failures, failed: () => void (failures += 1) };
}

/** RSS per request of bench/waiters-floor.ts holding the same requests, measured as graph-lro's waiters are. */
async function floorKibPerHeldRequest(ids: readonly string[], headers: Record<string, string>): Promise<number> {
  const port = await freePort();
  const floor = startServer('ceiling', [...benchScript('waiters-floor', []), '--port', String(port)], port);
  const agent = new HttpAgent({ keepAlive: true, maxSockets: Infinity });
  try {
    await firstAnswer(floor, '/held', performance.now());
    await sleep(1000);
    const before = memory(floor.pid).rssKiB;
    await holdRequests(floor.origin, ids, headers, agent);
    for (const deadline = performance.now() + 120_000; Number(await (await fetch(`${floor.origin}/held`)).text()) < ids.length; await sleep(200)) {
      if (performance.now() > deadline) throw new Error(`the floor server holds fewer than ${ids.length} requests after 120 s`);
    }
    await sleep(2000);
    return (memory(floor.pid).rssKiB - before) / ids.length;
  } finally {
    agent.destroy();
    await stopServer(floor);
  }
}

async function benchWaiters(engine: Engine, count: number, options: Options): Promise<WaiterResult> {
  const tag = `[waiters ${engine} ${count.toLocaleString('en')}]`;
  const log = (line: string) => process.stdout.write(`${tag} ${line}\n`);
  // Each waiter on an open operation of its own (a finished one answers at once): seed enough rows for that.
  const store = await seedStore(engine, Math.ceil(count / 0.75), options);
  const { seeded, storeArgs } = store;
  if (seeded.open.length < count) {
    await store.remove();
    throw new Error(`${tag} only ${seeded.open.length} open operations seeded`);
  }
  const port = await freePort();
  const graph = startServer('graph-lro', [join(ROOT, 'dist', 'cli.js'), 'serve', '--port', String(port), ...storeArgs, '--log-level', 'warn', '--max-wait', `${WAIT_SECONDS}s`], port);
  const agent = new HttpAgent({ keepAlive: true, maxSockets: Infinity });
  try {
    await firstAnswer(graph, '/healthz', performance.now());
    const token = await waitFor('graph-lro to print its dev token', () => /^(eyJ[\w-]+\.[\w-]+\.[\w-]+)$/m.exec(graph.output())?.[1]);
    const headers = { authorization: `Bearer ${token}` };
    await sleep(1000);
    const before = memory(graph.pid).rssKiB;

    // 1. Open them all, a batch at a time; each answer is timed when it comes.
    const ids = seeded.open.slice(0, count);
    const opening = performance.now();
    const held = await holdRequests(graph.origin, ids, headers, agent);
    let waiting = 0;
    for (const deadline = performance.now() + 120_000; (waiting = await waitingRequests(graph)) < ids.length - held.failures(); ) {
      if (performance.now() > deadline) throw new Error(`${tag} only ${waiting} of ${ids.length} waiting after 120 s (${held.failures()} failed)`);
      await sleep(200);
    }
    const openSeconds = (performance.now() - opening) / 1000;
    await sleep(2000); // settle: allocations of the opening burst collected
    const waitingRss = memory(graph.pid).rssKiB;
    log(`${waiting} waiting after ${openSeconds.toFixed(1)} s; RSS ${before} → ${waitingRss} KiB (${((waitingRss - before) / waiting).toFixed(2)} KiB each)`);

    // 2. Idle: everyone waits, nothing changes.
    const cpuBefore = cpuSeconds(graph.pid);
    const databaseBefore = engine === 'postgres' ? databaseCpuSeconds() : undefined;
    await sleep(IDLE_SECONDS * 1000);
    const serverCpuPercent = ((cpuSeconds(graph.pid) - cpuBefore) / IDLE_SECONDS) * 100;
    const databaseCpuPercent = databaseBefore && (databaseCpuSince(databaseBefore, databaseCpuSeconds()) / IDLE_SECONDS) * 100;
    log(`idle ${IDLE_SECONDS} s: server ${serverCpuPercent.toFixed(2)} % of a core${databaseCpuPercent === undefined ? '' : `, database ${databaseCpuPercent.toFixed(2)} %`}`);

    // 3. Delivery: PATCH one watched operation at a time; time to its waiter's answer.
    const delivery: number[] = [];
    for (const id of ids.slice(0, DELIVERY_SAMPLES)) {
      const sent = performance.now();
      const patched = await call(graph.origin, 'PATCH', `${COLLECTION}/${id}`, { ...headers, 'content-type': 'application/json' }, JSON.stringify({ statusDetail: 'delivered' }));
      if (patched.status !== 200) held.failed();
      delivery.push((await held.answeredAt.get(id)!) - sent);
    }
    delivery.sort((a, b) => a - b);
    const failures = held.failures();
    agent.destroy();
    const floorKibPerRequest = await floorKibPerHeldRequest(ids, headers);
    log(`floor: plain node:http holding as many requests, ${floorKibPerRequest.toFixed(2)} KiB each`);
    const result: WaiterResult = {
      engine,
      waiters: waiting,
      openSeconds,
      rssKiB: { before, waiting: waitingRss },
      kibPerWaiter: (waitingRss - before) / waiting,
      floorKibPerRequest,
      idle: { seconds: IDLE_SECONDS, serverCpuPercent, ...(databaseCpuPercent !== undefined && { databaseCpuPercent }) },
      delivery: { samples: delivery.length, p50: percentile(delivery, 50), p99: percentile(delivery, 99), max: delivery.at(-1)! },
      failures,
    };
    log(`PATCH → waiter: p50 ${result.delivery.p50.toFixed(1)} ms, p99 ${result.delivery.p99.toFixed(1)} ms, max ${result.delivery.max.toFixed(1)} ms over ${delivery.length}; failures ${failures}`);
    return result;
  } finally {
    agent.destroy();
    await stopServer(graph);
    await store.remove();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Start-up as a user sees it: `npm start`, to its first answer

interface StartupResult {
  /** `npm start` with no build: its build step compiles, then the CLI starts. */
  readonly coldMs: number[];
  /** `npm start` with the build a cold start left: its build step finds nothing to do. */
  readonly warmMs: number[];
}

/** What `npm start` reads of the project: copied, so that removing the copy's build disturbs nothing else. */
const PROJECT_FILES = ['src', 'scripts', 'dashboard', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];

/** The commands of package.json's `start` script, each `node …`, run one after the other as npm runs them. */
function startSteps(): string[][] {
  const script = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start ?? '';
  const steps = script.split('&&').map((step) => step.trim().split(/\s+/));
  if (steps.some(([command]) => command !== 'node')) throw new Error(`npm start is no longer a chain of node commands: ${script}`);
  return steps.map(([, ...args]) => args);
}

/** Runs `node args` in `cwd` to its end; rejects, with its output, unless it exits 0. */
function runToEnd(args: string[], cwd: string): Promise<void> {
  const child = spawn(process.execPath, args, { cwd, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-16_384));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      children.delete(child);
      if (code === 0) resolve();
      else reject(new Error(`node ${args.join(' ')} exited with ${code}:\n${output}`));
    });
  });
}

/**
 * `npm start`'s steps (package.json's `start`: the build if stale, then `serve`), timed from the first
 * step's spawn to the first 200 of `/healthz`, on a free port and an empty --data folder. Cold, with no build:
 * the first start of a clone, and as slow as one after a source changed, since the build step then compiles
 * the whole project either way; warm, with the build the cold start left. In a copy of the project (its
 * node_modules linked), so that removing the build disturbs nobody using this checkout's dist/. npm's own
 * start (a few hundred ms) is not included.
 */
async function benchStartup(runs: number): Promise<StartupResult> {
  const log = (line: string) => process.stdout.write(`[startup] ${line}\n`);
  const steps = startSteps();
  const project = mkdtempSync(join(tmpdir(), 'graph-lro-start-'));
  tempDirs.add(project);
  try {
    for (const name of PROJECT_FILES) cpSync(join(ROOT, name), join(project, name), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'), 'dir');
    const start = async (cold: boolean): Promise<number> => {
      if (cold) rmSync(join(project, 'dist'), { recursive: true, force: true });
      const data = mkdtempSync(join(project, 'data-'));
      const port = await freePort();
      const spawnedAt = performance.now();
      for (const step of steps.slice(0, -1)) await runToEnd(step, project);
      const server = startServer('graph-lro', [...steps.at(-1)!, '--port', String(port), '--data', data, '--log-level', 'warn'], port, project);
      try {
        return await firstAnswer(server, '/healthz', spawnedAt);
      } finally {
        await stopServer(server);
      }
    };
    const coldMs: number[] = [];
    const warmMs: number[] = [];
    // Alternated, so that a change in the machine's load falls on both kinds alike.
    for (let run = 1; run <= runs; run++) {
      coldMs.push(await start(true));
      warmMs.push(await start(false));
      log(`${run}/${runs}: cold ${ms(coldMs.at(-1)!)} ms, warm ${ms(warmMs.at(-1)!)} ms`);
    }
    return { coldMs, warmMs };
  } finally {
    rmSync(project, { recursive: true, force: true });
    tempDirs.delete(project);
  }
}

interface WalCheckpoint {
  readonly busy: number;
  readonly walFrames: number;
  readonly checkpointedFrames: number;
  /** Every frame checkpointed: no connection (of either idle server) pins an old snapshot. */
  readonly complete: boolean;
}

/**
 * A PASSIVE checkpoint from a third connection while both servers idle: if some connection kept a read
 * snapshot open (a statement left unreset), the frames after it could not be checkpointed and the WAL
 * would only ever grow. Run after the measurements, so it changes none of them.
 */
function probeCheckpoint(dbPath: string): WalCheckpoint {
  const db = new Database(dbPath);
  try {
    db.pragma('busy_timeout = 2000');
    const [row] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    return { busy: row!.busy, walFrames: row!.log, checkpointedFrames: row!.checkpointed, complete: row!.busy === 0 && row!.log === row!.checkpointed };
  } finally {
    db.close();
  }
}

function sideSummary(runs: LoadResult[]): SideSummary {
  const databaseUs = runs.map((run) => run.cpu.databaseUs).filter((us) => us !== undefined);
  const patches = runs.flatMap((run) => (run.patch ? [run.patch] : []));
  return {
    ...trafficSummary(runs),
    cpu: { serverUs: mean(runs.map((run) => run.cpu.serverUs)), ...(databaseUs.length > 0 && { databaseUs: mean(databaseUs) }) },
    ...(patches.length > 0 && { patch: trafficSummary(patches) }),
  };
}

function trafficSummary(runs: readonly RunFigures[]): TrafficSummary {
  const requests = runs.reduce((sum, run) => sum + run.requests, 0);
  const non2xx = runs.reduce((sum, run) => sum + run.non2xx, 0);
  return {
    rps: mean(runs.map((run) => run.rps)),
    p50: mean(runs.map((run) => run.p50)),
    p99: mean(runs.map((run) => run.p99)),
    requests,
    non2xx,
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    non2xxRatio: requests === 0 ? 0 : non2xx / requests,
  };
}

/** A side's requests that were not 2xx or failed at the connection (in `mixed`, GETs and PATCHes). */
function failed(summary: SideSummary): number {
  return summary.non2xx + summary.errors + (summary.patch ? summary.patch.non2xx + summary.patch.errors : 0);
}

/** The connection counts a scenario runs at (`mixed`: C PATCH + C GET connections each). */
function scenarioConnections(scenario: ScenarioName, options: Pick<Options, 'connections' | 'mixedConnections'>): number[] {
  return scenario === 'mixed' ? options.mixedConnections : options.connections;
}

/** pino lines at error level or above (graph-lro logs at warn in the benchmark). */
function loggedErrors(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => {
      const level = /"level":(\d+)/.exec(line)?.[1];
      return level !== undefined && Number(level) >= 50;
    })
    .slice(-20);
}

async function postgresSynchronous(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ synchronous_commit: string; fsync: string }>(
      `SELECT current_setting('synchronous_commit') AS synchronous_commit, current_setting('fsync') AS fsync`,
    );
    return `synchronous_commit=${rows[0]!.synchronous_commit}, fsync=${rows[0]!.fsync} (server default; graph-lro sets none)`;
  } finally {
    await client.end();
  }
}

async function storageSizes(engine: Engine, url: string, schema: string, dbPath?: string, walPath?: string): Promise<Record<string, number>> {
  if (engine === 'sqlite') return { dbBytes: fileSize(dbPath!), walBytes: fileSize(walPath!) };
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ bytes: string }>(`SELECT pg_total_relation_size($1::regclass) AS bytes`, [
      `"${schema.replaceAll('"', '""')}".operations`,
    ]);
    return { tableWithIndexesBytes: Number(rows[0]!.bytes) };
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Correctness: before any load, the same requests must answer the same operations on both sides.

const FIELDS = ['id', 'createdDateTime', 'lastActionDateTime', 'status', 'statusDetail', 'resourceLocation'] as const;

function project(json: unknown): string {
  const entity = json as Record<string, unknown>;
  return JSON.stringify(FIELDS.map((field) => entity[field]));
}

type Targets = Record<'graph-lro' | 'ceiling', Target> & Partial<Record<SecondCeiling, Target>>;

async function verify(targets: Targets, seeded: SeedResult): Promise<Verification> {
  const problems: string[] = [];
  let checks = 0;
  const ask = async (side: 'graph-lro' | 'ceiling', method: string, path: string, body?: string) => {
    const { server, headers } = targets[side];
    const answer = await call(server.origin, method, path, headers, body);
    if (answer.status !== 200) {
      problems.push(`${side} ${method} ${path} answered ${answer.status}: ${answer.body.slice(0, 200)}`);
      return undefined;
    }
    return JSON.parse(answer.body) as Record<string, unknown>;
  };
  const same = (what: string, a: unknown, b: unknown) => {
    checks++;
    if (a === undefined || b === undefined) return;
    const left = project(a);
    const right = project(b);
    if (left !== right) problems.push(`${what} differs: graph-lro ${left} vs ceiling ${right}`);
  };

  // A sample of single operations, both sides.
  const sample = Array.from({ length: Math.min(25, seeded.all.length) }, () => pick(seeded.all));
  for (const id of sample) {
    same(`GET ${id}`, await ask('graph-lro', 'GET', `${COLLECTION}/${id}`), await ask('ceiling', 'GET', `${COLLECTION}/${id}`));
  }
  // The first page, item by item and in order.
  const pageA = (await ask('graph-lro', 'GET', `${COLLECTION}?$top=100`))?.value as unknown[] | undefined;
  const pageB = (await ask('ceiling', 'GET', `${COLLECTION}?$top=100`))?.value as unknown[] | undefined;
  checks++;
  if (pageA?.length !== Math.min(100, seeded.all.length) || pageB?.length !== pageA?.length) {
    problems.push(`page sizes differ: graph-lro ${pageA?.length}, ceiling ${pageB?.length}`);
  } else {
    pageA.forEach((item, i) => same(`page item ${i}`, item, pageB[i]));
  }
  // A write on each side is read back by the other (the same database, the same answer).
  for (const [writer, reader] of [
    ['graph-lro', 'ceiling'],
    ['ceiling', 'graph-lro'],
  ] as const) {
    const id = pick(seeded.open);
    const detail = `verify ${writer} ${Math.random().toString(36).slice(2, 10)}`;
    const written = await ask(writer, 'PATCH', `${COLLECTION}/${id}`, JSON.stringify({ status: 'running', statusDetail: detail }));
    checks++;
    if (written !== undefined && (written.status !== 'running' || written.statusDetail !== detail)) {
      problems.push(`${writer} PATCH ${id} answered ${project(written)}`);
    }
    same(`PATCH ${id} by ${writer}, read back by ${reader}`, written, await ask(reader, 'GET', `${COLLECTION}/${id}`));
  }
  return { ok: problems.length === 0, checks, problems };
}

// ---------------------------------------------------------------------------------------------------------
// Report

/** 8× SQLite's auto-checkpoint threshold of 1,000 pages of 4 KiB. */
const WAL_WARNING_BYTES = 8 * 1000 * 4096;

/** The PATCH half of a `mixed` scenario, side by side: graph-lro, the ceiling, the second ceiling, and the ratios. */
interface PatchFigures {
  readonly graphLro: TrafficSummary;
  readonly ceiling: TrafficSummary;
  readonly second: TrafficSummary;
  readonly ratio: number;
  readonly ratioRange?: [number, number];
  readonly secondRatio: number;
}

/** A table cell: `get` (the scenario's figure; in `mixed`, the GETs'), then in `mixed` the PATCHes' in brackets: `5,210 (PATCH 2,301)`. */
function withPatch(s: ScenarioResult, get: string, patch: (figures: PatchFigures) => string): string {
  const figures: PatchFigures | undefined = s.graphLro.patch &&
    s.ceiling.patch &&
    s.second?.summary.patch && {
      graphLro: s.graphLro.patch,
      ceiling: s.ceiling.patch,
      second: s.second.summary.patch,
      ratio: s.patchRatio!,
      ...(s.patchRatioRange && { ratioRange: s.patchRatioRange }),
      secondRatio: s.second.patchRatio!,
    };
  return figures ? `${get} (PATCH ${patch(figures)})` : get;
}

/** The scenario's title; in `mixed`, saying which figures are which. */
function scenarioCell(s: ScenarioResult): string {
  return s.scenario === 'mixed' ? `${SCENARIO_TITLES.mixed}: GET (PATCH)` : SCENARIO_TITLES[s.scenario];
}

/** `10`; in `mixed`, `10 + 10` (PATCH + GET connections). */
function connectionsCell(s: ScenarioResult): string {
  return s.scenario === 'mixed' ? `${s.connections} + ${s.connections}` : String(s.connections);
}

function pct(ratio: number): string {
  return `${(ratio * 100).toFixed(0)} %`;
}

/** `52 µs` on SQLite; `105 + 42 µs` (server + database) on PostgreSQL. */
function cpuText(cpu: CpuPerRequest): string {
  return `${cpu.serverUs.toFixed(0)}${cpu.databaseUs === undefined ? '' : ` + ${cpu.databaseUs.toFixed(0)}`} µs`;
}

interface Report {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly elapsedSeconds: number;
  readonly options: Omit<Options, 'database'> & { database?: string };
  readonly machine: Record<string, unknown>;
  readonly graphLro: { commit?: string; srcChanges?: number };
  readonly notes: string[];
  readonly results: EngineResult[];
  /** With `--parts startup`. */
  readonly startup?: StartupResult;
  /** With `--parts waiters`: one per engine. */
  readonly waiters?: WaiterResult[];
  readonly valid: boolean;
}

function markdown(report: Report): string {
  const lines: string[] = [];
  const m = report.machine;
  const o = report.options;
  const loaded = o.parts.includes('load');
  lines.push(`# graph-lro${loaded ? ' vs. ceiling' : `: ${o.parts.join(', ')}`} — ${report.startedAt}`, '');
  lines.push(
    `Machine: ${String(m.cpu)} × ${String(m.cores)} cores, ${String(m.memoryGiB)} GiB, Node ${String(m.node)}, ${String(m.os)}; ` +
      `load average at start ${String(m.loadAverageAtStart)}, at end ${String(m.loadAverageAtEnd)}.`,
  );
  const what = loaded
    ? `engines ${o.engines.join(', ')}; rows ${o.rows.join(', ')}; connections ${o.connections.join(', ')}` +
      `${o.scenarios.includes('mixed') && o.mixedConnections.length < o.connections.length ? ` (mixed: ${o.mixedConnections.map((c) => `${c} + ${c}`).join(', ')})` : ''}; ` +
      `${o.duration} s per run, ${o.rounds} round(s) of A/B, ${o.warmup} s warm-up per server and scenario`
    : 'start-up only';
  lines.push(
    `Run: ${what}; graph-lro ${report.graphLro.commit ?? '?'}${report.graphLro.srcChanges ? ` (+${report.graphLro.srcChanges} uncommitted src/ changes)` : ''}; ` +
      `${report.elapsedSeconds.toFixed(0)} s in all.`,
  );
  if (loaded) lines.push('', ...report.notes.map((note) => `- ${note}`));
  if (!report.valid) lines.push('', '**INVALID: some requests failed or the two sides disagreed — see below.**');
  for (const result of report.results) {
    lines.push('', `## ${result.engine}, ${result.rows.toLocaleString('en')} rows`, '');
    lines.push('| scenario | conns | graph-lro req/s | p50 ms | p99 ms | ceiling req/s | p50 ms | p99 ms | graph-lro/ceiling (round range) | non-2xx (graph-lro / ceiling) |');
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const s of result.scenarios) {
      const ratio = (value: number, range?: [number, number]) =>
        `**${pct(value)}**${range === undefined || range[0] === range[1] ? '' : ` (${pct(range[0])}–${pct(range[1])})`}`;
      const failures = (a: TrafficSummary, b: TrafficSummary) => `${a.non2xx + a.errors} / ${b.non2xx + b.errors} of ${fmt(a.requests)} / ${fmt(b.requests)}`;
      const g = s.graphLro;
      const c = s.ceiling;
      lines.push(
        `| ${scenarioCell(s)} | ${connectionsCell(s)} | ${withPatch(s, fmt(g.rps), (p) => fmt(p.graphLro.rps))} | ` +
          `${withPatch(s, ms(g.p50), (p) => ms(p.graphLro.p50))} | ${withPatch(s, ms(g.p99), (p) => ms(p.graphLro.p99))} | ` +
          `${withPatch(s, fmt(c.rps), (p) => fmt(p.ceiling.rps))} | ${withPatch(s, ms(c.p50), (p) => ms(p.ceiling.p50))} | ` +
          `${withPatch(s, ms(c.p99), (p) => ms(p.ceiling.p99))} | ` +
          `${withPatch(s, ratio(s.ratio, s.ratioRange), (p) => ratio(p.ratio, p.ratioRange))} | ${withPatch(s, failures(g, c), (p) => failures(p.graphLro, p.ceiling))} |`,
      );
    }
    lines.push('', '| scenario | conns | graph-lro CPU / request | ceiling CPU / request | ceiling ÷ graph-lro (server) |', '|---|---:|---:|---:|---:|');
    for (const s of result.scenarios) {
      lines.push(
        `| ${SCENARIO_TITLES[s.scenario]} | ${connectionsCell(s)} | ${cpuText(s.graphLro.cpu)} | ${cpuText(s.ceiling.cpu)} | ` +
          `${pct(s.ceiling.cpu.serverUs / s.graphLro.cpu.serverUs)} |`,
      );
    }
    const secondTitle = SECOND_CEILING[result.engine].title;
    lines.push(
      '',
      result.engine === 'sqlite'
        ? 'Against the bare server at both durabilities (`synchronous = FULL`: a sync per commit, as graph-lro promises; `NORMAL`: no sync per commit, the speed group commit aims at):'
        : "Against both ceilings: the faithful one (graph-lro's table and statements) and the minimal one (a table of the Graph columns, the user and the id only):",
      '',
      `| scenario | conns | graph-lro req/s | p99 ms | ceiling req/s | p99 ms | ${secondTitle} req/s | p99 ms | graph-lro/ceiling | graph-lro/${secondTitle} | CPU / request: graph-lro, ${secondTitle} | writes per commit (largest group) |`,
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|',
    );
    for (const s of result.scenarios) {
      const groups = s.writesPerCommit ? `${s.writesPerCommit.toFixed(1)} (${s.largestGroup})` : '—';
      const other = s.second!.summary;
      const cells = [
        withPatch(s, fmt(s.graphLro.rps), (p) => fmt(p.graphLro.rps)),
        withPatch(s, ms(s.graphLro.p99), (p) => ms(p.graphLro.p99)),
        withPatch(s, fmt(s.ceiling.rps), (p) => fmt(p.ceiling.rps)),
        withPatch(s, ms(s.ceiling.p99), (p) => ms(p.ceiling.p99)),
        withPatch(s, fmt(other.rps), (p) => fmt(p.second.rps)),
        withPatch(s, ms(other.p99), (p) => ms(p.second.p99)),
        withPatch(s, `**${pct(s.ratio)}**`, (p) => `**${pct(p.ratio)}**`),
        withPatch(s, `**${pct(s.second!.ratio)}**`, (p) => `**${pct(p.secondRatio)}**`),
      ];
      lines.push(`| ${scenarioCell(s)} | ${connectionsCell(s)} | ${cells.join(' | ')} | ${cpuText(s.graphLro.cpu)}, ${cpuText(other.cpu)} | ${groups} |`);
    }
    if (result.scenarios.some((s) => s.scenario === 'mixed')) {
      lines.push(
        '',
        `${SCENARIO_TITLES.mixed}: C connections sending the PATCH scenario's requests and C sending the GET one's, both at the same time ` +
          '(conns `C + C`); req/s, latency, ratios and non-2xx are those of the GETs, the PATCHes\' in brackets; CPU / request is over all requests of the run, ' +
          'and writes per commit over its PATCHes.',
      );
    }
    const mem = result.memory;
    lines.push('');
    lines.push(
      `- RSS after load: graph-lro ${mib(mem.graphLro.rssKiB * 1024)} (peak ${mib(mem.graphLro.peakKiB * 1024)}), ` +
        `ceiling ${mib(mem.ceiling.rssKiB * 1024)} (peak ${mib(mem.ceiling.peakKiB * 1024)}) — ratio ${mem.rssRatio.toFixed(2)}×`,
    );
    const loads = result.scenarios.flatMap((s) => s.runs.map((run) => run.loadAverage));
    lines.push(`- Machine load (1-min load average) at the end of each run: ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} on ${String(m.cores)} cores`);
    lines.push(`- Time from spawn to first answer: graph-lro ${result.startupMs.graphLro.toFixed(0)} ms, ceiling ${result.startupMs.ceiling.toFixed(0)} ms`);
    lines.push(`- Durability: graph-lro ${result.synchronous.graphLro}; ceiling ${result.synchronous.ceiling}`);
    lines.push(`- Storage: ${Object.entries(result.storage).map(([key, value]) => `${key} ${mib(value)}`).join(', ')}`);
    if ((result.storage.walBytesMaxDuringLoad ?? 0) > WAL_WARNING_BYTES) {
      lines.push(`- **The WAL grew past ${mib(WAL_WARNING_BYTES)}**: the auto-checkpoint (every 1,000 pages) is not running or cannot finish.`);
    }
    if (result.walCheckpoint) {
      const c = result.walCheckpoint;
      lines.push(
        `- WAL checkpoint after load (both servers idle): ${c.checkpointedFrames}/${c.walFrames} frames` +
          `${c.complete ? ' — complete, no snapshot pinned' : ` — INCOMPLETE (busy=${c.busy}): a connection pins an old snapshot`}`,
      );
    }
    lines.push(
      `- Seed: ${result.seed.seconds.toFixed(1)} s (${Object.entries(result.seed.phases).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')}); ` +
        `statuses ${Object.entries(result.seed.statusCounts).map(([k, v]) => `${k} ${v.toLocaleString('en')}`).join(', ')}`,
    );
    if (result.profile) {
      lines.push(
        '',
        `Where the CPU went, per request of this block's load (all its scenarios, warm-ups included), as V8's CPU profiler ` +
          `saw it (self time; the profiler's own cost included): profiles in ${result.profile.graphLro.file} and ${result.profile.ceiling.file}.`,
        '',
        ...breakdownTable(result.profile.graphLro, result.profile.ceiling),
        '',
      );
    }
    lines.push(
      `- Correctness: ${result.verification.ok ? `${result.verification.checks} checks agree` : `FAILED — ${result.verification.problems.join('; ')}`}; ` +
        `graph-lro error log lines: ${result.graphLroLogErrors.length}`,
    );
  }
  if (report.startup) lines.push('', ...startupMarkdown(report.startup));
  if (report.waiters) lines.push('', ...waitersMarkdown(report.waiters));
  return `${lines.join('\n')}\n`;
}

function startupMarkdown(startup: StartupResult): string[] {
  const row = (kind: string, values: readonly number[]) =>
    `| ${kind} | **${(median(values) / 1000).toFixed(2)} s** | ${values.map((value) => (value / 1000).toFixed(2)).join(', ')} |`;
  return [
    '## `npm start` to first answer',
    '',
    '| build | median | each start, s |',
    '|---|---:|---|',
    row('cold: none, so the build step compiles (a fresh clone, or a source changed)', startup.coldMs),
    row('warm: fresh, so the build step does nothing', startup.warmMs),
    '',
    "From the spawn of the `start` script's first step (`scripts/build-if-stale.mjs`) to the first 200 of `/healthz`, " +
      'each start on an empty `--data` folder and a free port, in a copy of the project; npm\'s own start is not included.',
  ];
}

function waitersMarkdown(results: readonly WaiterResult[]): string[] {
  const percent = (value: number | undefined) => (value === undefined ? '—' : `${value.toFixed(2)} %`);
  return [
    '## Waiters at scale (`Prefer: wait`)',
    '',
    '| engine | waiting at once | RSS before → waiting | per waiter | floor: plain node:http, per held request | idle CPU: server (database) | PATCH → its waiter p50 / p99 / max | failures |',
    '|---|---:|---|---:|---:|---|---|---:|',
    ...results.map(
      (r) =>
        `| ${r.engine} | ${fmt(r.waiters)} | ${mib(r.rssKiB.before * 1024)} → ${mib(r.rssKiB.waiting * 1024)} | **${r.kibPerWaiter.toFixed(2)} KiB** | ${r.floorKibPerRequest.toFixed(2)} KiB | ` +
        `**${percent(r.idle.serverCpuPercent)}** (${percent(r.idle.databaseCpuPercent)}) of a core over ${r.idle.seconds} s | ` +
        `${r.delivery.p50.toFixed(1)} / **${r.delivery.p99.toFixed(1)}** / ${r.delivery.max.toFixed(1)} ms (${r.delivery.samples} PATCHes) | ${r.failures} |`,
    ),
    '',
    `Each waiter is one GET of an open operation of its own with \`Prefer: wait=${WAIT_SECONDS}\` (and \`--max-wait ${WAIT_SECONDS}s\`), on a keep-alive connection of its own, ` +
      `opened ${OPEN_BATCH} at a time; "waiting" is graph-lro's own count (\`graph_lro_waiting_requests\`). RSS per waiter: the server's RSS once all wait, ` +
      `minus before, ÷ waiters (connection, request and watch together). Idle CPU: while all wait and nothing changes. Delivery: one PATCH at a time ` +
      'to a watched operation, from sending it to its waiter receiving the answer.',
  ];
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function gitInfo(): { commit?: string; srcChanges?: number } {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const changes = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' });
    return { commit, srcChanges: changes.split('\n').filter((line) => line.trim() !== '').length };
  } catch {
    return {};
  }
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  const loading = options.parts.includes('load');
  const serving = loading || options.parts.includes('waiters');
  if (serving && !existsSync(join(ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` (npm run bench does).');
  if (serving && options.engines.includes('postgres')) {
    const client = new pg.Client({ connectionString: options.database, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
    } catch (error) {
      throw new Error(`PostgreSQL at ${options.database} is not reachable (${(error as Error).message}); pass --database or --engines sqlite`);
    }
    try {
      // Schemas left by runners that were killed outright: bench_<pid> of a process that no longer exists.
      const { rows } = await client.query<{ name: string }>(`SELECT nspname AS name FROM pg_namespace WHERE nspname ~ '^bench_[0-9]+$'`);
      for (const { name } of rows) {
        if (!processExists(Number(name.slice('bench_'.length)))) await client.query(`DROP SCHEMA "${name}" CASCADE`);
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  // Expected duration: load and warm-up exactly; start-up and seeding estimated.
  // `mixed` runs its PATCH and GET loads at the same time: as long as any other scenario, per connection count.
  const perEngine =
    options.scenarios.reduce(
      (sum, scenario) => sum + 3 * options.warmup + scenarioConnections(scenario, options).length * options.rounds * 3 * (options.duration + 0.5),
      0,
    ) + 8;
  const seeding = options.rows.reduce((sum, rows) => sum + (rows / 1e6) * 40 * options.engines.length, 0);
  const expected = perEngine * options.engines.length * options.rows.length + seeding;
  const startedAt = new Date();
  if (loading) {
    process.stdout.write(
      `graph-lro benchmark: ${options.engines.join(', ')} × rows ${options.rows.join(', ')} × ${options.scenarios.join(', ')} × ` +
        `connections ${options.connections.join(', ')}` +
        `${options.scenarios.includes('mixed') && options.mixedConnections.length < options.connections.length ? ` (mixed: ${options.mixedConnections.map((c) => `${c} + ${c}`).join(', ')})` : ''} × ` +
        `${options.rounds} round(s) × 3 servers × ${options.duration} s\n` +
        `expected ≈ ${(expected / 60).toFixed(1)} min (load and warm-up ${((perEngine * options.engines.length * options.rows.length) / 60).toFixed(1)} min, ` +
        `seeding ≈ ${(seeding / 60).toFixed(1)} min); Ctrl-C stops every server and cleans up.\n`,
    );
  }
  const loadAverageAtStart = loadAverages();

  const results: EngineResult[] = [];
  // Row counts outermost: the seeded rows of one count are generated once and reused by every engine.
  if (loading) {
    for (const rows of options.rows) {
      for (const engine of options.engines) results.push(await benchEngine(engine, rows, options));
    }
  }
  const startup = options.parts.includes('startup') ? await benchStartup(options.startupRuns) : undefined;
  const waiters: WaiterResult[] = [];
  if (options.parts.includes('waiters')) for (const engine of options.engines) waiters.push(await benchWaiters(engine, options.waiters, options));

  const finishedAt = new Date();
  const cpu = cpus();
  const report: Report = {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    elapsedSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    options: { ...options, database: options.engines.includes('postgres') ? options.database.replace(/\/\/[^@/]*@/, '//…@') : undefined },
    machine: {
      cpu: cpu[0]?.model ?? 'unknown',
      cores: cpu.length,
      memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
      node: process.version,
      os: `${process.platform} ${release()}`,
      loadAverageAtStart,
      loadAverageAtEnd: loadAverages(),
    },
    graphLro: gitInfo(),
    notes: [
      'Loopback only; autocannon runs inside the runner on the same cores as the server under test, so the faster the server, the more the load generator eats into its CPU (the ceiling is penalised most).',
      'Both servers stay up for a whole engine/row-count block but are never loaded at the same time; both read the same seeded database.',
      'req/s, p50 and p99 are autocannon figures averaged over the rounds; the ratio is graph-lro req/s ÷ ceiling req/s, with the lowest and highest single-round ratio in brackets when there are several rounds.',
      'CPU / request: user + system CPU time of the server process during a run (from /proc/<pid>/stat) ÷ its requests, averaged over the rounds; on PostgreSQL, + that of all the database server processes. Steadier than req/s on a shared machine, it tells where a difference goes.',
      options.ceilingTsx
        ? 'The ceiling runs through tsx (node --import tsx), graph-lro from dist/: the ceiling pays for TypeScript loading (~30 MiB RSS, a few hundred ms) in its start-up time and RSS.'
        : 'Both run as compiled JavaScript under plain node: graph-lro from dist/, the ceiling transpiled to bench/.build/ (so tsx does not count in its start-up time and RSS).',
      ...(options.profile
        ? [`PROFILED: both servers ran under V8's CPU profiler (profiles in ${options.profile}); every figure carries its cost, so compare the breakdowns, not these figures with an unprofiled run.`]
        : []),
    ],
    results,
    ...(startup && { startup }),
    ...(waiters.length > 0 && { waiters }),
    valid: results.every((result) => result.valid) && waiters.every((result) => result.failures === 0),
  };

  const blocks = loading ? `${options.engines.join('+')}-${options.rows.join('+')}` : options.parts.join('+');
  const file = writeResults(report, `${blocks}${options.profile ? '-profiled' : ''}`);
  const md = markdown(report);
  // A profiled run's figures carry the profiler's cost, and a run without the load has none of its tables:
  // neither stands as the latest.
  const latest = loading && !options.profile;
  if (latest) writeFileSync(join(RESULTS_DIR, 'latest.md'), md);
  process.stdout.write(`\n${md}\nWrote ${file}${latest ? ' and bench/results/latest.md' : ''} in ${report.elapsedSeconds.toFixed(0)} s.\n`);
  if (!report.valid) {
    process.stderr.write('The benchmark is INVALID: non-2xx answers, connection errors or disagreeing answers (see above).\n');
    process.exitCode = 1;
  }
}

main()
  .catch((error: unknown) => {
    process.stderr.write(error instanceof UsageError ? `${error.message}\n\n${USAGE}` : `bench: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  })
  .finally(() => cleanup());
