import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePrefer, preferenceApplied } from '../../src/graph/prefer.js';

describe('parsePrefer', () => {
  it('honours nothing without a header', () => {
    assert.deepEqual(parsePrefer(undefined), { returnMinimal: false, returnRepresentation: false, includeUnknownEnumMembers: false });
    assert.deepEqual(parsePrefer([]), { returnMinimal: false, returnRepresentation: false, includeUnknownEnumMembers: false });
    assert.deepEqual(parsePrefer(''), { returnMinimal: false, returnRepresentation: false, includeUnknownEnumMembers: false });
    assert.deepEqual(parsePrefer(' , ,, '), { returnMinimal: false, returnRepresentation: false, includeUnknownEnumMembers: false });
  });

  it('reads return=minimal in its usual spellings', () => {
    for (const header of ['return=minimal', 'RETURN=MINIMAL', 'Return=Minimal', 'return="minimal"', 'return = minimal', ' return=minimal ']) {
      assert.equal(parsePrefer(header).returnMinimal, true, header);
    }
  });

  it('does not take other return values or look-alikes for return=minimal', () => {
    for (const header of ['return=representation', 'return', 'return=', 'return=minimalist', 'returns=minimal', 'x-return=minimal', 'minimal']) {
      assert.equal(parsePrefer(header).returnMinimal, false, header);
    }
  });

  it('reads include-unknown-enum-members, case-insensitively', () => {
    for (const header of ['include-unknown-enum-members', 'Include-Unknown-Enum-Members', 'odata.maxpagesize=5, include-unknown-enum-members']) {
      const prefer = parsePrefer(header);
      assert.equal(prefer.includeUnknownEnumMembers, true, header);
      assert.equal(prefer.returnMinimal, false, header);
    }
    assert.equal(parsePrefer('include-unknown-enum-member').includeUnknownEnumMembers, false);
  });

  it('reads several preferences in one header and across several headers', () => {
    assert.deepEqual(parsePrefer('odata.maxpagesize=5, return=minimal, include-unknown-enum-members'), {
      returnMinimal: true,
      returnRepresentation: false,
      includeUnknownEnumMembers: true,
    });
    assert.deepEqual(parsePrefer(['odata.maxpagesize=5', 'return=minimal', 'include-unknown-enum-members']), {
      returnMinimal: true,
      returnRepresentation: false,
      includeUnknownEnumMembers: true,
    });
    assert.deepEqual(parsePrefer(['respond-async', 'include-unknown-enum-members']), {
      returnMinimal: false,
      returnRepresentation: false,
      includeUnknownEnumMembers: true,
    });
  });

  it('ignores parameters of a preference, and never reads a parameter as a preference', () => {
    assert.equal(parsePrefer('return=minimal; foo=bar').returnMinimal, true);
    assert.equal(parsePrefer('return=minimal;foo="a;b"').returnMinimal, true);
    assert.equal(parsePrefer('respond-async; wait=10, return=minimal').returnMinimal, true);
    assert.equal(parsePrefer('respond-async; return=minimal').returnMinimal, false);
    assert.equal(parsePrefer('handling=lenient; include-unknown-enum-members').includeUnknownEnumMembers, false);
  });

  it('considers only the first instance of a preference given twice (RFC 7240 §2)', () => {
    assert.equal(parsePrefer('return=representation, return=minimal').returnMinimal, false);
    assert.equal(parsePrefer(['return=representation', 'return=minimal']).returnMinimal, false);
    assert.equal(parsePrefer('return=minimal, return=representation').returnMinimal, true);
    assert.equal(parsePrefer('return=representation, return=minimal').returnRepresentation, true);
    assert.equal(parsePrefer('return=minimal, return=representation').returnRepresentation, false);
    assert.equal(parsePrefer('RETURN=representation, return=minimal').returnMinimal, false);
  });

  it('reads a quoted value as one word, commas inside it included (RFC 7240 word = token / quoted-string)', () => {
    assert.deepEqual(parsePrefer('foo="a, return=minimal"'), { returnMinimal: false, returnRepresentation: false, includeUnknownEnumMembers: false });
    assert.deepEqual(parsePrefer('foo="x,include-unknown-enum-members"'), { returnMinimal: false, returnRepresentation: false, includeUnknownEnumMembers: false });
    assert.equal(parsePrefer('foo="a,b", return=minimal').returnMinimal, true);
  });
});

describe('preferenceApplied', () => {
  it('lists what was honoured, or answers undefined when nothing was', () => {
    assert.equal(preferenceApplied([]), undefined);
    assert.equal(preferenceApplied([false, false]), undefined);
    assert.equal(preferenceApplied(['return=minimal', false]), 'return=minimal');
    assert.equal(preferenceApplied([false, 'include-unknown-enum-members']), 'include-unknown-enum-members');
    assert.equal(
      preferenceApplied(['return=minimal', 'include-unknown-enum-members']),
      'return=minimal, include-unknown-enum-members',
    );
  });
});

describe('parsePrefer: wait', () => {
  it('reads wait=N as whole seconds, next to other preferences', () => {
    assert.equal(parsePrefer('wait=10').waitSeconds, 10);
    assert.equal(parsePrefer('return=minimal, Wait=0').waitSeconds, 0);
    assert.equal(parsePrefer('wait="5"').waitSeconds, 5);
    assert.equal(parsePrefer('wait=9999999999').waitSeconds, 9_999_999_999);
  });

  it('ignores a wait that is not delta-seconds', () => {
    for (const header of ['wait', 'wait=', 'wait=-1', 'wait=1.5', 'wait=soon', 'wait=1e3', 'wait=99999999999', 'waits=5']) {
      assert.equal(parsePrefer(header).waitSeconds, undefined, header);
    }
  });
});
