/**
 * The runners' child processes (bench/run.ts, bench/commit-designs.ts): started with a guard, tracked so that
 * none outlives its runner, stopped, and their CPU time read from /proc.
 *
 * For the runners only: the servers they start (bench/ceiling-*.ts, run by plain node from bench/.build/)
 * import nothing from here.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

/** The children still running: a runner's own cleanup stops them gently, the exit handler below kills the rest. */
export const children = new Set<ChildProcess>();
/** Temporary folders (seeded databases, project copies): removed by their runner, else by the exit handler below. */
export const tempDirs = new Set<string>();

// Last resort, synchronous, on any exit (a crash or an uncaught signal handler's process.exit included): no
// server and no temporary database survive the runner.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Preloaded into every server: a runner killed outright (SIGKILL runs no cleanup, not even the exit handler)
 * leaves its servers with a new parent, and they then stop as if told to (SIGTERM: graph-lro closes its
 * store). A 1 s unref'd timer.
 */
const EXIT_WITH_PARENT =
  'data:text/javascript,const parent = process.ppid; setInterval(() => { if (process.ppid !== parent) process.kill(process.pid, "SIGTERM"); }, 1000).unref();';

/**
 * `node args` in `cwd`, with the guard above preloaded, stdout and stderr piped (read them, or the child
 * blocks once the pipe fills), tracked in `children` until it exits.
 */
export function startNode(args: readonly string[], options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv }): ChildProcess {
  const child = spawn(process.execPath, ['--import', EXIT_WITH_PARENT, ...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL if it is still there after `graceMs`; resolves once it has exited. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

/** Clock ticks per second (USER_HZ), the unit of the CPU times in /proc's stat files. */
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** User + system CPU seconds used so far: by process `pid` (all its threads), or with `tid` by that one thread of it. */
export function cpuSeconds(pid: number, tid?: number): number {
  const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  // The command name, in parentheses, may hold spaces: count fields from after it (utime, stime: 12th, 13th).
  const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` every 10 ms until it answers something other than `undefined`, and answers that. */
export async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
