/**
 * Every relative link of the README, docs/ and bench/README.md reaches an existing file, and every
 * `#anchor` one of its headings as GitHub anchors them — so moving a section cannot strand a link to it.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { anchors, LINKED_PAGES, links, readPage, ROOT, slug } from './markdown.js';

describe('GitHub heading anchors', () => {
  it('lowercase, spaces to hyphens, punctuation and code marks dropped', () => {
    assert.equal(slug('Waiting instead of polling: `Prefer: wait`'), 'waiting-instead-of-polling-prefer-wait');
    assert.equal(slug('Steering the emulator: clock, reset, seed, export and import'), 'steering-the-emulator-clock-reset-seed-export-and-import');
    assert.equal(slug('`@microsoft/msgraph-sdk` (Kiota, v1.0)'), 'microsoftmsgraph-sdk-kiota-v10');
    assert.equal(slug('1. Identity'), '1-identity');
    assert.equal(slug('The [API](api.md) and its_errors'), 'the-api-and-its_errors');
  });

  it('a repeated heading is numbered, and headings inside code blocks are none', () => {
    assert.deepEqual([...anchors('# Notes\n\n## Notes\n\n```sh\n# not a heading\n```\n')], ['notes', 'notes-1']);
  });
});

describe('links', () => {
  for (const page of LINKED_PAGES) {
    it(`${page}: every relative link and anchor resolves`, () => {
      const broken: string[] = [];
      for (const { target, line } of links(readPage(page))) {
        if (/^[a-z][a-z+.-]*:/i.test(target)) continue; // https:, mailto:
        const [path = '', anchor] = target.split('#');
        const file = path === '' ? join(ROOT, page) : join(ROOT, dirname(page), decodeURIComponent(path));
        if (!existsSync(file)) {
          broken.push(`${page}:${line}: ${target} (no ${relative(ROOT, file)})`);
        } else if (anchor !== undefined && !(file.endsWith('.md') && anchors(readPage(relative(ROOT, file))).has(anchor))) {
          broken.push(`${page}:${line}: ${target} (no heading '#${anchor}' in ${relative(ROOT, file)})`);
        }
      }
      assert.deepEqual(broken, []);
    });
  }
});
