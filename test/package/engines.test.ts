import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import semver from 'semver';

/**
 * `npm ci` warns EBADENGINE for every locked package whose `engines.node` the running Node does not satisfy,
 * and a user reads that as "this does not support my Node". Every package the lock file installs must
 * therefore accept the oldest Node that package.json names and the Node running the tests.
 */
const ROOT = new URL('../../', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(new URL('package-lock.json', ROOT), 'utf8')) as {
  packages: Record<string, { engines?: { node?: string } | string[] }>;
};

it('every locked package supports the oldest Node package.json names and the one running: npm ci prints no engine warning', () => {
  const oldest = semver.minVersion(manifest.engines.node)!.version;
  const ranges = Object.entries(lock.packages).flatMap(([path, entry]) =>
    entry.engines !== undefined && !Array.isArray(entry.engines) && entry.engines.node !== undefined ? [[path, entry.engines.node] as const] : [],
  );
  assert.ok(ranges.length > 10, 'the lock file records engines');
  const unsupported = ranges.filter(([, range]) => !semver.satisfies(oldest, range) || !semver.satisfies(process.version, range));
  assert.deepEqual(unsupported, [], `packages that would warn on Node ${oldest} or ${process.version}`);
});
