/**
 * Every example a reader can copy from README.md and docs/*.md runs here, as written, so a wrong example
 * fails. A block fenced ```sh or ```ts is an example; ```text, ```json and ```sql are samples, not run.
 * HTML comments on the lines right above a fence steer its run:
 *
 * - `<!-- not run: why -->`: skipped, for the reason given; EXPECTED_SKIPS lists every such block, so
 *   skipping one more is a visible change. A ```sql block must say why it is not run.
 * - `<!-- example-continues -->`: runs where the example before it on the page left off — the same folder,
 *   the same server, and the shell variables and functions it defined, as if typed into one terminal.
 *   Without it, an example starts afresh: a new temporary folder, and a new server.
 * - `<!-- example-server: FLAGS -->`: the new server is `graph-lro serve FLAGS` (default: no flags, which
 *   is `npm start`: data in `./data`, the folder `npx graph-lro token` reads); `none` for no server.
 * - `<!-- example-env: NAME=value … -->`: more environment for the example.
 *
 * Everything runs in the example's temporary folder, never in the repository. `graph-lro`, `npx graph-lro`
 * and `npm start [-- FLAGS]` mean the built CLI (dist/; `npm run build` first), through bash functions that
 * run `node dist/cli.js`. An sh example runs under `set -euo pipefail` and must exit 0; whatever it prints
 * that starts like JSON must parse. An example that ends by starting a server (`… serve`, `npm start`) runs
 * with `--port 0` added (the last `--port` wins), its start banner is waited for, and the examples that
 * continue it talk to that server; it is stopped (SIGTERM, exit code 0) when its session ends. A ts example
 * is an ES module: it runs as `example.mts` under `node --import tsx`, with the repository's node_modules
 * and `graph-lro` itself among them, as installing the package puts it (this checkout, whose `exports`
 * lead to the built dist/).
 * The environment holds `GRAPH` (the latest server's origin), `TOKEN` (the dev token the session's first
 * server printed) and `ADMIN` (the admin token of its dashboard link), as a reader's terminal would after
 * the README's first call; like a reader's, they outlive a server the session restarts, and an example may
 * set them anew. The docs' own address, `127.0.0.1:5050`, stands for the server's. The ts examples are also
 * type-checked, and the packages they import (Node's own `node:` modules aside) must be named, at the
 * installed version, in an install line (`npm install … name@version`, or a tarball `name-version.tgz`
 * of graph-lro's own, at the version of its package.json).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runToEnd, startServerScript, type ScriptServerProcess } from '../support/process.js';
import { codeBlocks, EXAMPLE_PAGES, ROOT, type CodeBlock } from './markdown.js';

/** Every block the docs do not run, and why. A change here is a change to what the docs promise. */
const EXPECTED_SKIPS = [
  'README.md, Quick start (sh): installs the project and runs its whole test suite; .ci/run runs exactly these on a clean clone',
  'docs/production.md, Running graph-lro in production (sh): needs PostgreSQL and an identity provider; test/docs/production.test.ts runs it against both',
  'docs/production.md, Growing past one PostgreSQL: Citus (sql): needs a Citus cluster',
  'docs/sign-in.md, @azure/identity and the Graph SDKs (sh): installs from the npm registry; test/docs/examples.test.ts checks instead that each version it names is the one installed',
  'docs/testing.md, The package API (sh): packs the clone and installs the tarball, compiling better-sqlite3; test/package/pack.test.ts does exactly this',
  'docs/testing.md, Pointing an SDK at graph-lro (sh): installs from the npm registry; test/docs/examples.test.ts checks instead that each version it names is the one installed',
];

const RUN = new Set(['sh', 'ts']);
const SAMPLES = new Set(['text', 'json', 'sql']);
const DIRECTIVES = new Set(['not run', 'example-continues', 'example-server', 'example-env', 'example-file']);
/** The languages a block may be fenced in when it shows a file of examples/, which test/package/pack.test.ts runs. */
const FILE_LANGS = new Set(['ts', 'js', 'json']);
const CLI = join(ROOT, 'dist', 'cli.js');
const EXAMPLE_TIMEOUT_MS = 60_000;
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };

/**
 * The repository's node_modules as the folder's own, one link per package, and graph-lro among them as an
 * install of it would put it: a link to this checkout, so `import … from 'graph-lro'` goes through the
 * package's `exports` to the built dist/.
 */
function linkNodeModules(dir: string): void {
  const modules = join(dir, 'node_modules');
  mkdirSync(modules);
  for (const entry of readdirSync(join(ROOT, 'node_modules'))) symlinkSync(join(ROOT, 'node_modules', entry), join(modules, entry));
  symlinkSync(ROOT, join(modules, PACKAGE.name), 'dir');
}

/** The version of a package the examples import: the installed one, or this package's own. */
function installedVersion(name: string): string {
  if (name === PACKAGE.name) return PACKAGE.version;
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

const BLOCKS = EXAMPLE_PAGES.flatMap(codeBlocks);
const describeBlock = (block: CodeBlock) => `${block.page}, ${block.heading} (${block.lang})`;
const directive = (block: CodeBlock, name: string) => block.directives.find((d) => d.name === name);
const isExample = (block: CodeBlock) => RUN.has(block.lang) && !directive(block, 'not run') && !directive(block, 'example-file');

/** The last command of a script, its continuation lines joined. */
function lastCommand(script: string): string {
  const commands = script
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  return commands.at(-1) ?? '';
}

/** An example that ends by starting a server, which then runs until its session ends. */
const startsServer = (block: CodeBlock) => block.lang === 'sh' && /^(npx )?graph-lro serve\b|^npm start\b/.test(lastCommand(block.text));

/**
 * What every sh example runs first: the CLI as `graph-lro`, `npx graph-lro` and `npm start`, and where the
 * examples before it in its session left off. `serve` is exec'd, so a signal to the example reaches it.
 */
function prelude(state: string): string {
  const node = JSON.stringify(process.execPath);
  const cli = JSON.stringify(CLI);
  return `set -euo pipefail
graph-lro() {
  if [ $# -eq 0 ]; then set -- serve; fi
  if [ "$1" = serve ]; then exec ${node} ${cli} "$@" --port 0; fi
  ${node} ${cli} "$@"
}
npx() {
  if [ "\${1-}" = graph-lro ]; then shift; graph-lro "$@"; return; fi
  echo "examples may run only 'npx graph-lro', not 'npx $*'" >&2; return 127
}
npm() {
  if [ "\${1-}" = start ]; then shift; if [ "\${1-}" = -- ]; then shift; fi; graph-lro serve "$@"; return; fi
  echo "examples may run only 'npm start', not 'npm $*'" >&2; return 127
}
__BASELINE=" $(compgen -v | tr '\\n' ' ') "
if [ -f ${state} ]; then . ${state}; fi
`;
}

/**
 * What every sh example runs last: its variables and functions saved for the examples that continue it,
 * and its last command's status as its exit code.
 */
function epilogue(state: string, tokens: string): string {
  return `
__status=$?
{
  for __name in $(compgen -v); do
    case "$__BASELINE" in *" $__name "*) continue ;; esac
    case "$__name" in __*|BASH*|_|PIPESTATUS|FUNCNAME|GRAPH|TOKEN|ADMIN) continue ;; esac
    declare -p "$__name"
  done
  declare -f
} > ${state}
printf '%s\\n%s\\n' "\${TOKEN-}" "\${ADMIN-}" > ${tokens}
exit "$__status"
`;
}

/**
 * Every JSON text in what an example printed: wherever a line (or what follows a JSON text on it) starts
 * with `{` or `[`, one must parse. Answers how many did.
 */
function parseJsonOutput(output: string): number {
  let count = 0;
  let i = 0;
  while (i < output.length) {
    const c = output[i]!;
    if (c === '{' || c === '[') {
      const end = endOfJson(output, i);
      const text = output.slice(i, end);
      assert.doesNotThrow(() => JSON.parse(text), `printed JSON that does not parse: ${text.slice(0, 300)}`);
      count++;
      i = end;
    } else if (/\s/.test(c)) {
      i++;
    } else {
      const eol = output.indexOf('\n', i);
      i = eol < 0 ? output.length : eol + 1;
    }
  }
  return count;
}

/** Where the JSON text starting at `start` ends: its brackets balanced, strings skipped. */
function endOfJson(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '{' || c === '[') {
      depth++;
    } else if ((c === '}' || c === ']') && --depth === 0) {
      return i + 1;
    }
  }
  return text.length;
}

/** Runs a command of an example to its end, with a deadline; its exit code and output. */
function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }) {
  // A reader's terminal, not this test runner's child: an example's own node:test tests report as usual.
  const env = { ...process.env, NODE_TEST_CONTEXT: undefined, ...options.env };
  return runToEnd(command, args, { cwd: options.cwd, env, timeoutMs: EXAMPLE_TIMEOUT_MS });
}

/** One reader's terminal session: a folder, the servers its examples started, and its environment. */
class Session {
  readonly dir = mkdtempSync(join(tmpdir(), 'graph-lro-example-'));
  private readonly servers: ScriptServerProcess[] = [];
  readonly env: Record<string, string> = { TMPDIR: join(this.dir, 'tmp') };
  private readonly state = JSON.stringify(join(this.dir, 'tmp', 'shell-state.sh'));
  private readonly tokens = join(this.dir, 'tmp', 'tokens');

  constructor() {
    mkdirSync(join(this.dir, 'tmp'));
    linkNodeModules(this.dir);
  }

  /** Starts a server with a script that ends in `graph-lro serve`; the session talks to it from now on. */
  async serve(script: string): Promise<void> {
    const server = await startServerScript(`${prelude(this.state)}${script}`, { cwd: this.dir, env: this.env });
    this.servers.push(server);
    this.env.GRAPH = server.origin;
    // A reader's tokens outlive a server they restart: only the session's first server sets them.
    this.env.TOKEN ??= server.token;
    this.env.ADMIN ??= server.adminToken;
  }

  /** The example's text, the docs' address standing for this session's server. */
  private substituted(text: string): string {
    return this.env.GRAPH ? text.replaceAll('127.0.0.1:5050', new URL(this.env.GRAPH).host) : text;
  }

  async sh(block: CodeBlock): Promise<void> {
    const script = `${prelude(this.state)}${this.substituted(block.text)}${epilogue(this.state, JSON.stringify(this.tokens))}`;
    const result = await run('bash', ['-c', script], { cwd: this.dir, env: { ...this.env, ...envOf(block) } });
    assert.equal(result.code, 0, `exit code ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
    parseJsonOutput(result.stdout);
    const [token = '', admin = ''] = readFileSync(this.tokens, 'utf8').split('\n');
    if (token) this.env.TOKEN = token;
    if (admin) this.env.ADMIN = admin;
  }

  async ts(block: CodeBlock): Promise<void> {
    writeFileSync(join(this.dir, 'example.mts'), this.substituted(block.text));
    const result = await run(process.execPath, ['--import', 'tsx', 'example.mts'], { cwd: this.dir, env: { ...this.env, ...envOf(block) } });
    assert.equal(result.code, 0, `exit code ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
  }

  /** Stops every server it started, each of which must exit cleanly, and removes the folder. */
  async close(): Promise<void> {
    try {
      for (const server of this.servers) assert.equal(await server.stop(), 0, `a server of the session stopped uncleanly:\n${server.output()}`);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

function envOf(block: CodeBlock): Record<string, string> {
  const value = directive(block, 'example-env')?.value ?? '';
  return Object.fromEntries(
    value
      .split(/\s+/)
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
}

describe('the docs code blocks', () => {
  it('are examples (sh, ts) or samples (text, json, sql), steered only by known directives', () => {
    for (const block of BLOCKS) {
      const where = `${block.page}:${block.line}`;
      const fenced = `${where}: a code block fenced '${block.lang}': use sh or ts (run), text, json or sql (not run), or ts, js or json for a file of examples/`;
      assert.ok(RUN.has(block.lang) || SAMPLES.has(block.lang) || (directive(block, 'example-file') && FILE_LANGS.has(block.lang)), fenced);
      for (const { name } of block.directives) assert.ok(DIRECTIVES.has(name), `${where}: unknown directive '${name}'`);
      if (block.lang === 'sql') assert.ok(directive(block, 'not run'), `${where}: say why this sql is not run`);
      if (directive(block, 'example-continues')) assert.ok(!directive(block, 'example-server'), `${where}: a continued example keeps its server`);
    }
  });

  it('that show a file of examples/ show it as it is, and every recipe file of examples/ is shown', () => {
    const shown = BLOCKS.flatMap((block) => {
      const file = directive(block, 'example-file')?.value;
      if (file === undefined) return [];
      assert.match(file, /^examples\//, `${block.page}:${block.line}: example-file names a file of examples/`);
      assert.equal(block.text, readFileSync(join(ROOT, file), 'utf8'), `${block.page}:${block.line} shows ${file} as it is`);
      return [file];
    });
    const files = readdirSync(join(ROOT, 'examples'), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name).slice(ROOT.length))
      .filter((file) => !/\/node_modules\/|\/package-lock\.json$/.test(file)); // what an install there leaves
    assert.deepEqual([...new Set(shown)].sort(), files.sort());
  });

  it('skipped: exactly these, each for the reason given', () => {
    const skipped = BLOCKS.flatMap((block) => {
      const skip = directive(block, 'not run');
      return skip ? [`${describeBlock(block)}: ${skip.value}`] : [];
    });
    assert.deepEqual(skipped, EXPECTED_SKIPS);
  });
});

for (const page of EXAMPLE_PAGES) {
  const examples = codeBlocks(page).filter(isExample);
  if (examples.length === 0) continue;
  describe(`${page}: every example runs as written`, () => {
    let session: Session | undefined;
    after(() => session?.close());

    for (const block of examples) {
      it(`line ${block.line}, ${block.heading} (${block.lang}${startsServer(block) ? ', starts a server' : ''})`, async () => {
        if (!directive(block, 'example-continues') || !session) {
          assert.ok(!directive(block, 'example-continues'), 'continues an example, but none comes before it');
          await session?.close();
          session = new Session();
          const flags = directive(block, 'example-server')?.value ?? '';
          if (!startsServer(block) && flags !== 'none') await session.serve(`graph-lro serve ${flags}\n`);
        }
        if (startsServer(block)) await session.serve(block.text);
        else if (block.lang === 'sh') await session.sh(block);
        else await session.ts(block);
      });
    }
  });
}

describe('the TypeScript examples', () => {
  const typescript = BLOCKS.filter((block) => block.lang === 'ts' && isExample(block));
  const installs = BLOCKS.filter((block) => block.lang === 'sh' && /^npm install\b/m.test(block.text));

  it('name every package they import, at the version installed, in an install line', () => {
    assert.ok(installs.length > 0, 'an install line');
    const lines = installs.flatMap((block) => block.text.replace(/\\\n/g, ' ').split('\n').filter((line) => /^npm install\b/.test(line)));
    const named = new Map(
      lines.flatMap((line) => [
        ...[...line.matchAll(/(?<=\s)(@?[\w./-]+)@(\d[\w.-]*)/g)].map((m) => [m[1]!, m[2]!] as const),
        ...[...line.matchAll(/([\w-]+)-(\d+\.\d+\.\d+[\w.-]*)\.tgz\b/g)].map((m) => [m[1]!, m[2]!] as const),
      ]),
    );
    for (const [name, version] of named) {
      assert.equal(installedVersion(name), version, `${name}@${version} is the version installed`);
    }
    for (const block of typescript) {
      for (const [, specifier] of block.text.matchAll(/^import (?:[^'"]* from )?'([^'.][^']*)'/gm)) {
        if (specifier!.startsWith('node:')) continue;
        const name = specifier!.split('/').slice(0, specifier!.startsWith('@') ? 2 : 1).join('/');
        assert.ok(named.has(name), `${block.page}:${block.line} imports ${name}, which the install line does not name`);
      }
    }
  });

  it('type-check, strictly, as ES modules', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'graph-lro-example-types-'));
    try {
      linkNodeModules(dir);
      typescript.forEach((block, i) => writeFileSync(join(dir, `example-${i}.mts`), `// ${block.page}:${block.line}\n${block.text}`));
      const compilerOptions = { strict: true, noEmit: true, skipLibCheck: true, target: 'ES2022', lib: ['ES2024'], types: ['node'] };
      const modules = { module: 'NodeNext', moduleResolution: 'NodeNext' };
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...compilerOptions, ...modules }, include: ['*.mts'] }));
      const result = await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { cwd: dir, env: {} });
      assert.equal(result.code, 0, result.stdout + result.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
