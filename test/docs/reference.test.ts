/**
 * The reference pages keep up with the code: every flag of `serve` and `token` has a row in its table of
 * docs/configuration.md, every error of the catalogue a row in docs/api.md, every folder of test/ a line
 * in docs/architecture.md. The settings and the catalogue are read as they are now, so a new one fails
 * here until it is documented.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SERVE_SETTINGS, TOKEN_SETTINGS } from '../../src/config.js';
import { ERROR_CATALOGUE } from '../../src/graph/errors.js';
import { readPage, ROOT } from './markdown.js';

/** The lines of a page's section: from its heading to the next heading of the same or a higher level. */
function section(page: string, heading: string): string[] {
  const lines = readPage(page).split('\n');
  const start = lines.indexOf(heading);
  assert.ok(start >= 0, `${page} has the heading ${heading}`);
  const level = heading.indexOf(' ');
  const end = lines.findIndex((line, i) => i > start && /^#+ /.test(line) && line.indexOf(' ') <= level);
  return lines.slice(start, end < 0 ? undefined : end);
}

describe('docs/configuration.md', () => {
  for (const [command, settings] of [
    ['serve', SERVE_SETTINGS],
    ['token', TOKEN_SETTINGS],
  ] as const) {
    it(`documents every flag of graph-lro ${command} with its environment variable and default`, () => {
      const rows = section('docs/configuration.md', `## \`graph-lro ${command}\``);
      for (const setting of Object.values(settings)) {
        const row = rows.find((line) => line.startsWith(`| \`--${setting.flag}\` |`));
        assert.ok(row, `--${setting.flag} has a row`);
        assert.ok(row.includes(`\`${setting.env}\``), `--${setting.flag} names ${setting.env}`);
        if ('default' in setting) assert.ok(row.includes(`\`${setting.default}\``), `--${setting.flag} shows its default ${setting.default}`);
      }
    });
  }
});

describe('docs/api.md', () => {
  it('documents every error code of the catalogue with its status', () => {
    const rows = section('docs/api.md', '## Errors');
    for (const entry of Object.values(ERROR_CATALOGUE)) {
      assert.ok(rows.some((line) => line.startsWith(`| ${entry.status} | \`${entry.code}\` |`)), `${entry.status} ${entry.code}`);
    }
  });
});

describe('docs/architecture.md', () => {
  it('gives every folder of test/ a line', () => {
    const lines = section('docs/architecture.md', '## Tests');
    for (const folder of readdirSync(`${ROOT}test`, { withFileTypes: true }).filter((entry) => entry.isDirectory())) {
      assert.ok(lines.some((line) => line.startsWith(`- \`test/${folder.name}/\` — `)), `test/${folder.name}/`);
    }
  });
});
