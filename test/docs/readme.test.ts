import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readPage } from './markdown.js';

const README = readPage('README.md');

describe('README', () => {
  it('keeps the two set-up commands', () => {
    assert.ok(README.includes('npm ci && npm start'));
    assert.ok(README.includes('npm ci && npm test'));
  });

  it('stays a short pitch: at most 250 lines, the rest is in docs/', () => {
    const lines = README.split('\n').length - (README.endsWith('\n') ? 1 : 0);
    assert.ok(lines <= 250, `README.md has ${lines} lines`);
  });
});
