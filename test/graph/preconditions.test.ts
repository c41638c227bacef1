import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { etagOf, ifMatch, ifNoneMatchHits } from '../../src/graph/preconditions.js';
import type { VersionPrecondition } from '../../src/operations/operation-service.js';

/** Whether a precondition admits `version`, as OperationService applies it. */
function admits(precondition: VersionPrecondition, version: number): boolean {
  return 'anyVersion' in precondition || precondition.versions.includes(version);
}

describe('etagOf', () => {
  it('is a strong, quoted tag of the version', () => {
    assert.equal(etagOf(1), '"1"');
    assert.equal(etagOf(42), '"42"');
  });
});

describe('ifMatch', () => {
  it('answers undefined (no condition) without the header', () => {
    assert.equal(ifMatch(undefined), undefined);
  });

  it('reads * as any existing version', () => {
    for (const header of ['*', ' * ']) {
      const precondition = ifMatch(header);
      assert.deepEqual(precondition, { anyVersion: true }, header);
      assert.equal(admits(precondition!, 12345), true);
    }
  });

  it('reads one tag or a list of tags', () => {
    assert.deepEqual(ifMatch('"1"'), { versions: [1] });
    assert.deepEqual(ifMatch('"1", "7"'), { versions: [1, 7] });
    assert.deepEqual(ifMatch('"1","7" ,  "9"'), { versions: [1, 7, 9] });
  });

  it('matches exactly the version whose tag we served', () => {
    for (const version of [1, 2, 9, 10, 123, 999_999]) {
      const precondition = ifMatch(etagOf(version))!;
      assert.equal(admits(precondition, version), true, `${version}`);
      assert.equal(admits(precondition, version + 1), false, `${version} + 1`);
      assert.equal(admits(precondition, version - 1), false, `${version} - 1`);
    }
  });

  it('never matches a weak tag (If-Match compares strongly)', () => {
    const weak = ifMatch('W/"3"')!;
    assert.equal(admits(weak, 3), false);
    const mixed = ifMatch('W/"3", "4"')!;
    assert.equal(admits(mixed, 3), false);
    assert.equal(admits(mixed, 4), true);
  });

  it('matches no version for tags that are not ours, or garbage', () => {
    for (const header of ['', ' ', ',', '3', 'abc', '"abc"', '""', '"3', '3"', "'3'", '"-1"', '"1.5"', '"1 "', '"1e2"', '"1234567890123456"', 'W/3']) {
      const precondition = ifMatch(header);
      assert.ok(precondition !== undefined, JSON.stringify(header));
      for (const version of [1, 3, 100]) assert.equal(admits(precondition, version), false, `${JSON.stringify(header)} vs ${version}`);
    }
  });

  it('compares tags octet by octet: "01" is not the tag "1" (RFC 9110 §8.8.3.2)', () => {
    assert.equal(admits(ifMatch('"01"')!, 1), false);
    assert.equal(admits(ifMatch('"007"')!, 7), false);
  });
});

describe('ifNoneMatchHits', () => {
  it('is a miss without the header', () => {
    assert.equal(ifNoneMatchHits(undefined, 1), false);
  });

  it('hits on * and on the current tag, strong or weak (weak comparison)', () => {
    assert.equal(ifNoneMatchHits('*', 5), true);
    assert.equal(ifNoneMatchHits('"5"', 5), true);
    assert.equal(ifNoneMatchHits('W/"5"', 5), true);
    assert.equal(ifNoneMatchHits('"1", W/"5"', 5), true);
    assert.equal(ifNoneMatchHits(` ${etagOf(5)} `, 5), true);
  });

  it('misses on other versions and garbage', () => {
    for (const header of ['"4"', 'W/"4"', '"4", "6"', '', '5', 'abc', '"abc"', 'w/"5"', 'W/5', '"5']) {
      assert.equal(ifNoneMatchHits(header, 5), false, JSON.stringify(header));
    }
  });

  it('compares opaque tags character by character even when weak: "05" is not "5"', () => {
    assert.equal(ifNoneMatchHits('"05"', 5), false);
    assert.equal(ifNoneMatchHits('W/"05"', 5), false);
  });
});
