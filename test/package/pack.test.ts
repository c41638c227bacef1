/**
 * graph-lro as a package: what `npm pack` puts in the tarball, and that the tarball works where a user
 * installs it. The repository's files are copied to a folder of their own first (what a clone holds, without
 * `dist/`), so `prepack`'s clean build runs there and not on this checkout's `dist/`. The tarball is then
 * installed, as docs/testing.md#the-package-api says, into the copy's `examples/` — the test-runner recipes,
 * whose package.json names the tarball and the runners — and each runner runs on its recipe's files. The
 * install compiles better-sqlite3 (about 2 minutes) from the npm registry's packages, most of them from npm's
 * cache, and nothing else.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { ROOT } from '../docs/markdown.js';
import { runToEnd } from '../support/process.js';

const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const EXAMPLES = JSON.parse(readFileSync(join(ROOT, 'examples', 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  devDependencies: Record<string, string>;
};
const ROOT_DEV_DEPENDENCIES = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies;
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const INSTALL_TIMEOUT_MS = 10 * 60_000;

/** A user's test file: start a server, create an operation with a token of it, close. */
const USER_TEST = `import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startGraphLro } from 'graph-lro';

test('my app creates an operation', async () => {
  const lro = await startGraphLro();
  after(() => lro.close());
  const token = await lro.token({ user: 'adele@contoso.com' });
  const headers = { Authorization: \`Bearer \${token}\`, 'Content-Type': 'application/json' };
  const created = await fetch(\`\${lro.url}/v1.0/me/authentication/operations\`, { method: 'POST', headers, body: '{}' });
  assert.equal(created.status, 201);
});
`;

/** The same API misused: the package's types must catch it. */
const MISUSE = `import { startGraphLro } from 'graph-lro';
const lro = await startGraphLro({ prot: 5050 });
await lro.token({ user: 42 });
`;

/** The environment of a user's shell: none of the variables `npm test` and the test runner around this test set. */
const USER_ENV = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) && name !== 'NODE_TEST_CONTEXT'));

const run = (command: string, args: string[], cwd: string, timeoutMs = 120_000) => runToEnd(command, args, { cwd, env: USER_ENV, timeoutMs });

async function succeed(command: string, args: string[], cwd: string, timeoutMs?: number): Promise<string> {
  const result = await run(command, args, cwd, timeoutMs);
  assert.equal(result.code, 0, `${command} ${args.join(' ')}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
  return result.stdout;
}

/** The files of the checkout a clone would hold, with the working tree's changes: tracked and untracked, none ignored. */
function copyCheckout(to: string): void {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0');
  for (const file of files.filter(Boolean)) {
    if (!existsSync(join(ROOT, file))) continue; // deleted in the working tree
    mkdirSync(dirname(join(to, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(to, file));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(to, 'node_modules'), 'dir');
}

describe('the npm package', () => {
  const dir = mkdtempSync(join(tmpdir(), 'graph-lro-package-'));
  const checkout = join(dir, 'graph-lro');
  const project = join(checkout, 'examples');
  let install: Awaited<ReturnType<typeof run>>;
  let packed: { filename: string; size: number; unpackedSize: number; files: { path: string }[] };
  let paths: string[];

  before(
    async () => {
      copyCheckout(checkout);
      // Into the clone's own folder, where examples/package.json expects it (`file:../graph-lro-<version>.tgz`).
      [packed] = JSON.parse(await succeed('npm', ['pack', '--json'], checkout));
      paths = packed.files.map((file) => file.path).sort();

      install = await run('npm', ['install', '--prefer-offline'], project, INSTALL_TIMEOUT_MS);
      assert.equal(install.code, 0, `npm install in examples/\n--- stdout\n${install.stdout}\n--- stderr\n${install.stderr}`);
      writeFileSync(join(project, 'app.test.mjs'), USER_TEST);
      writeFileSync(join(project, 'misuse.mjs'), MISUSE);
    },
    { timeout: INSTALL_TIMEOUT_MS + 5 * 60_000 },
  );
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`is ${PACKAGE.name}-${PACKAGE.version}.tgz, with the entry, its types, the CLI, the dashboard, the docs, README and LICENSE`, () => {
    assert.equal(packed.filename, `${PACKAGE.name}-${PACKAGE.version}.tgz`);
    for (const path of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts', 'dist/cli.js', 'dashboard/index.html', 'dashboard/app.js', 'dashboard/app.css', 'docs/testing.md']) {
      assert.ok(paths.includes(path), `${path} is in the tarball`);
    }
    assert.ok(packed.unpackedSize < 2 * 1024 * 1024, `${packed.unpackedSize} bytes unpacked`);
  });

  it('holds nothing that does not run: no tests, benchmarks, scripts, sources or source maps', () => {
    const extra = paths.filter((path) => /^(test|bench|scripts|src|\.ci)\//.test(path) || (/\.ts$/.test(path) && !/\.d\.ts$/.test(path)) || /\.map$/.test(path));
    assert.deepEqual(extra, []);
    assert.deepEqual(
      paths.filter((path) => !/^(dist|dashboard|docs)\//.test(path)),
      ['LICENSE', 'README.md', 'package.json'],
    );
  });

  it('examples/package.json installs the tarball just packed, and the @types/node this repository builds with', () => {
    assert.equal(EXAMPLES.devDependencies[PACKAGE.name], `file:../${packed.filename}`);
    assert.equal(EXAMPLES.devDependencies['@types/node'], ROOT_DEV_DEPENDENCIES['@types/node']);
  });

  it('installs on this Node without an engine warning or an install script left unreviewed', () => {
    assert.doesNotMatch(install.stderr, /EBADENGINE|install-scripts/, install.stderr);
  });

  it('installed: `npx graph-lro help` prints the usage', async () => {
    const usage = await succeed('npx', ['--no', 'graph-lro', 'help'], project);
    assert.match(usage, /^graph-lro — a Microsoft Graph-compatible longRunningOperation service\n\nUsage:\n {2}graph-lro serve \[options\]/);
    assert.match(usage, /--emulator-clock/);
  });

  it("installed: a user's test file that imports { startGraphLro } from 'graph-lro' runs green", async () => {
    const result = await run(process.execPath, ['--test', 'app.test.mjs'], project);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^# pass 1$/m);
  });

  it("installed: tsc type-checks that file against the package's types, and catches the API misused", async () => {
    const options = ['--noEmit', '--strict', '--allowJs', '--checkJs', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--types', 'node'];
    await succeed(process.execPath, [TSC, ...options, 'app.test.mjs'], project);
    const misuse = await run(process.execPath, [TSC, ...options, 'misuse.mjs'], project);
    assert.notEqual(misuse.code, 0);
    assert.match(misuse.stdout, /misuse\.mjs\(2,.*'prot'/);
    assert.match(misuse.stdout, /misuse\.mjs\(3,.*number.*string/);
  });

  describe('installed: each recipe of examples/ runs green under its runner, and its process exits', () => {
    /** How each runner reports its passed tests, given how many the recipe's files hold. */
    const RECIPES = [
      { script: 'test:node', folder: 'node-test', passed: (n: number) => new RegExp(`^# pass ${n}$`, 'm') },
      { script: 'test:vitest', folder: 'vitest', passed: (n: number) => new RegExp(`Tests +${n} passed \\(${n}\\)`) },
      { script: 'test:jest', folder: 'jest', passed: (n: number) => new RegExp(`Tests: +${n} passed, ${n} total`) },
    ];
    for (const { script, folder, passed } of RECIPES) {
      it(`npm run ${script}: ${EXAMPLES.scripts[script]}`, async () => {
        const tests = readdirSync(join(ROOT, 'examples', folder))
          .map((file) => readFileSync(join(ROOT, 'examples', folder, file), 'utf8').match(/^test\(/gm)?.length ?? 0)
          .reduce((sum, count) => sum + count, 0);
        assert.ok(tests >= 2, `${folder} holds tests`);
        // A server left running (a handle not closed) keeps the runner's process alive: the timeout fails it.
        const result = await run('npm', ['run', script], project);
        const output = stripVTControlCharacters(result.stdout + result.stderr); // runners colour their summary under CI
        assert.equal(result.code, 0, output);
        assert.match(output, passed(tests));
      });
    }

    it('tsc type-checks the Vitest recipe against the package and Vitest types', async () => {
      const options = ['--noEmit', '--strict', '--skipLibCheck', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--types', 'node'];
      const files = readdirSync(join(project, 'vitest')).map((file) => join('vitest', file));
      await succeed(process.execPath, [TSC, ...options, ...files], project);
    });
  });
});
