import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SERVE_SETTINGS, TOKEN_SETTINGS } from '../../src/config.js';
import { ERROR_CATALOGUE } from '../../src/errors.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('documents every flag with its environment variable and default', () => {
    for (const setting of [...Object.values(SERVE_SETTINGS), ...Object.values(TOKEN_SETTINGS)]) {
      const row = README.split('\n').find((line) => line.startsWith(`| \`--${setting.flag}\` |`));
      assert.ok(row, `--${setting.flag} has a row`);
      assert.ok(row.includes(`\`${setting.env}\``), `--${setting.flag} names ${setting.env}`);
      if ('default' in setting) assert.ok(row.includes(`\`${setting.default}\``), `--${setting.flag} shows its default ${setting.default}`);
    }
  });

  it('documents every error code of the catalogue with its status', () => {
    for (const entry of Object.values(ERROR_CATALOGUE)) {
      assert.match(README, new RegExp(`\\| ${entry.status} \\| \`${entry.code}\` \\|`), `${entry.status} ${entry.code}`);
    }
  });

  it('keeps the two set-up commands', () => {
    assert.ok(README.includes('npm ci && npm start'));
    assert.ok(README.includes('npm ci && npm test'));
  });
});
