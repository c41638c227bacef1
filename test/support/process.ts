import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI, as `npm start` and the `graph-lro` bin run it (`npm test` builds first). */
const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const NODE_ARGS = [CLI];

/**
 * Runs a command to its end, in a process group of its own that is killed whole at the deadline; its exit
 * code and output. `env` is the whole environment of the command.
 */
export function runToEnd(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }) {
  return startCommand(command, args, options).ended;
}

/** A command started by {@link startCommand}: what it prints can be waited for while it runs. */
export interface RunningCommand {
  /** The first line of its standard output, from its start, that `match` accepts; rejects once it has ended without one. */
  line(match: (line: string) => boolean): Promise<string>;
  /** Its exit code and output once it has ended (or been killed). */
  readonly ended: Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Kills its whole process group, if it still runs: for a test that gives up on it. */
  kill(): void;
}

/**
 * Starts a command as {@link runToEnd} runs it, for a program a test talks to while it runs (it prints a
 * URL, the test acts on it, the program goes on).
 */
export function startCommand(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): RunningCommand {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  let running = true;
  const waiting = new Set<() => void>();
  const kill = () => {
    if (running) process.kill(-child.pid!, 'SIGKILL'); // the command's whole process group
  };
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    waiting.forEach((check) => check());
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => {
    stderr += `\n(killed after ${options.timeoutMs} ms)`;
    kill();
  }, options.timeoutMs);
  const ended = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code) => {
      running = false;
      clearTimeout(timer);
      waiting.forEach((check) => check());
      resolve({ code, stdout, stderr });
    });
  });
  function line(match: (line: string) => boolean): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        // Only whole lines: a line still being written may not match yet.
        const found = stdout.split('\n').slice(0, -1).find(match);
        if (found !== undefined) resolve(found);
        else if (!running) reject(new Error(`${command} ended without the line awaited:\n${stdout}\n${stderr}`));
        else return;
        waiting.delete(check);
      };
      waiting.add(check);
      check();
    });
  }
  return { line, ended, kill };
}

/** Runs the CLI to completion (for `token`, `help` and bad flags). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [...NODE_ARGS, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The CLI refuses `args` as a usage error: exit 2 and a one-line `graph-lro: …` message matching `pattern`, no stack trace. */
export function assertUsageError(args: readonly string[], env: NodeJS.ProcessEnv, pattern: RegExp): void {
  const res = runCli([...args], env);
  assert.equal(res.status, 2, `${args.join(' ')}: ${res.stderr}`);
  assert.match(res.stderr, /^graph-lro: /);
  assert.match(res.stderr, pattern);
  assert.doesNotMatch(res.stderr, /\n\s+at /, 'no stack trace');
}

export interface ServerProcess {
  readonly child: ChildProcess;
  /** e.g. http://127.0.0.1:41234 */
  readonly origin: string;
  /** The dev token printed at start. */
  readonly token: string;
  readonly output: () => string;
  /** SIGTERM, and wait for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** A server under a real identity provider: it prints no token. */
export type ProviderServerProcess = Omit<ServerProcess, 'token'>;

/** Starts `graph-lro serve` under dev identity as a real process on a free port and waits for its welcome and token. */
export async function startServer(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  return launch(serveProcess(args, env), (out) => {
    const origin = servingOrigin(out);
    const token = /^(eyJ[\w-]+\.[\w-]+\.[\w-]+)$/m.exec(out)?.[1];
    return origin && token ? { origin, token } : undefined;
  });
}

/** Starts `graph-lro serve` under an identity provider (the args name it) and waits for its whole banner. */
export async function startProviderServer(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ProviderServerProcess> {
  return launch(serveProcess(args, env), (out) => {
    const origin = servingOrigin(out);
    return origin && /^Emulator features on: .*$/m.test(out) ? { origin } : undefined;
  });
}

function servingOrigin(out: string): string | undefined {
  return /serving (https?:\/\/[\d.:[\]]+)\/v1\.0/.exec(out)?.[1];
}

/** A dev-identity server started by a bash script that ends in `graph-lro serve` (a docs example). */
export interface ScriptServerProcess extends ServerProcess {
  /** The admin token of the dashboard link the banner prints (`#token=…`), signed with this server's key. */
  readonly adminToken: string;
}

/**
 * Runs a bash script in `cwd` whose last command execs `graph-lro serve` (on a port the script chooses),
 * and waits for the whole dev banner: the origin (`http` or `https`), the dev token and the dashboard link.
 */
export async function startServerScript(script: string, options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<ScriptServerProcess> {
  const child = spawn('bash', ['-c', script], { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return launch(child, (out) => {
    const origin = /graph-lro is serving (https?:\/\/[^\s/]+)\/v1\.0/.exec(out)?.[1];
    const token = /^(eyJ[\w-]+\.[\w-]+\.[\w-]+)$/m.exec(out)?.[1];
    const adminToken = /#token=(eyJ[\w-]+\.[\w-]+\.[\w-]+)\n/.exec(out)?.[1];
    return origin && token && adminToken ? { origin, token, adminToken } : undefined;
  });
}

function serveProcess(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [...NODE_ARGS, 'serve', '--port', '0', '--log-level', 'warn', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Waits until `started` finds what the caller needs in the output of a spawned `serve`. */
async function launch<T extends object>(child: ChildProcess, started: (out: string) => T | undefined) {
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const found = await Promise.race([
    (async () => {
      while (child.exitCode === null && child.signalCode === null) {
        const result = started(out);
        if (result) return result;
        await new Promise((r) => setTimeout(r, 50));
      }
      return new Promise<never>(() => {}); // the exit is reported by the branch below
    })(),
    exited.then((code) => {
      throw new Error(`graph-lro exited (${code}) before serving:\n${out}`);
    }),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`graph-lro did not start:\n${out}`)), 30_000).unref()),
  ]);
  return {
    child,
    ...found,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** fetch with a Bearer token and a JSON body, answering status and parsed JSON. */
export async function call(origin: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${origin}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}
