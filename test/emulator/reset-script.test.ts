import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_AFTER, readResetScript, resetScriptJson, ScriptError, scriptedReset } from '../../src/emulator/reset-script.js';
import { parseState, StateError } from '../../src/emulator/state.js';
import { TICKS_PER_SECOND } from '../../src/operations/date-time-offset.js';
import { OPERATION_PROPERTIES } from '../../src/operations/long-running-operation.js';

const SECOND = TICKS_PER_SECOND;
const ADELE_ID = '1a1a1a1a-2b2b-4c3c-8d4d-000000000001';
const SCRIPT_ID = '5c5c5c5c-6d6d-4e7e-8f8f-000000000001';
const FAILING = [
  { after: 'PT1S', status: 'running', statusDetail: 'checking policy' },
  { after: 'PT3S', status: 'failed', statusDetail: 'PasswordPolicyViolation' },
];

/** The body of a POST with `steps` (and `user`, when given). */
const body = (steps: unknown, user?: unknown) => ({ ...(user !== undefined && { user }), steps });

/** Asserts that reading `value` as a POST body fails at `path` with a message matching `detail`, and of which kind. */
function refused(value: unknown, path: string, detail: RegExp, kind = 'invalidValue'): void {
  assert.throws(
    () => readResetScript(value, ''),
    (error) => {
      assert.ok(error instanceof ScriptError, String(error));
      assert.equal(error.path, path);
      assert.match(error.detail, detail);
      assert.equal(error.message, `${path}: ${error.detail}`, 'the message names the path');
      assert.equal(error.kind, kind);
      return true;
    },
  );
}

describe('a reset script: what is accepted', () => {
  it('a running step, then the outcome; `after` counted from the request', () => {
    assert.deepEqual(readResetScript(body(FAILING, 'adele@contoso.com'), ''), {
      user: 'adele@contoso.com',
      steps: [
        { after: 1n * SECOND, status: 'running', statusDetail: 'checking policy' },
        { after: 3n * SECOND, status: 'failed', statusDetail: 'PasswordPolicyViolation' },
      ],
    });
  });

  it('the outcome alone; no user (or null) is the next reset of anyone', () => {
    const expected = { user: null, steps: [{ after: 0n, status: 'succeeded' }] };
    assert.deepEqual(readResetScript(body([{ after: 'PT0S', status: 'succeeded' }]), ''), expected);
    assert.deepEqual(readResetScript(body([{ after: 'PT0S', status: 'succeeded' }], null), ''), expected);
  });

  it('an object id is kept lowercase, a UPN as given; statuses are case-insensitive, as Graph’s', () => {
    const byId = readResetScript(body([{ after: 'PT1S', status: 'SUCCEEDED' }], ADELE_ID.toUpperCase()), '');
    assert.equal(byId.user, ADELE_ID);
    assert.equal(byId.steps[0]!.status, 'succeeded');
    assert.equal(readResetScript(body([{ after: 'PT1S', status: 'Failed' }], 'Adele@Contoso.com'), '').user, 'Adele@Contoso.com');
  });

  it('steps at the same time; the longest `after`; the model’s longest texts; a null resourceLocation', () => {
    const detail = 'x'.repeat(OPERATION_PROPERTIES.statusDetail.maxLength);
    const location = 'y'.repeat(OPERATION_PROPERTIES.resourceLocation.maxLength);
    const script = readResetScript(
      body([
        { after: 'P365D', status: 'running', statusDetail: detail },
        { after: 'P52W1D', status: 'succeeded', statusDetail: detail, resourceLocation: location },
      ]),
      '',
    );
    assert.deepEqual(script.steps.map((step) => step.after), [MAX_AFTER, MAX_AFTER]);
    assert.equal(script.steps[1]!.resourceLocation, location);
    assert.equal(readResetScript(body([{ after: 'PT1S', status: 'failed', resourceLocation: null }]), '').steps[0]!.resourceLocation, null);
  });

  it('is written back with `after` in its shortest form, and what was left out still left out', () => {
    const script = { id: SCRIPT_ID, ...readResetScript(body([{ after: 'PT60S', status: 'running' }, { after: 'PT90.5S', status: 'succeeded' }]), '') };
    assert.deepEqual(resetScriptJson(script), {
      id: SCRIPT_ID,
      user: null,
      steps: [
        { after: 'PT1M', status: 'running' },
        { after: 'PT1M30.5S', status: 'succeeded' },
      ],
    });
  });

  it('becomes the domain’s running step and outcome', () => {
    assert.deepEqual(scriptedReset(readResetScript(body(FAILING), '').steps), {
      running: { after: 1n * SECOND, statusDetail: 'checking policy' },
      finish: { after: 3n * SECOND, outcome: 'failed', statusDetail: 'PasswordPolicyViolation' },
    });
    assert.deepEqual(scriptedReset(readResetScript(body([{ after: 'PT2S', status: 'succeeded', resourceLocation: null }]), '').steps), {
      finish: { after: 2n * SECOND, outcome: 'succeeded', resourceLocation: null },
    });
  });
});

describe('a reset script: what is refused, naming the value', () => {
  it('a body that is not an object', () => {
    for (const value of [undefined, null, [], 'steps', 3]) refused(value, '(the body)', /JSON object/, 'malformed');
  });

  it('an unknown member, the id included (it is the service’s to give)', () => {
    refused({ ...body(FAILING), priority: 1 }, 'priority', /not a member of a script \(expected user, steps\)/, 'unknownProperty');
    refused({ ...body(FAILING), id: SCRIPT_ID }, 'id', /not a member of a script/, 'unknownProperty');
    refused(body([{ ...FAILING[1], percentComplete: 50 }]), 'steps[0].percentComplete', /not a member of a step/, 'unknownProperty');
  });

  it('a user that is neither an object id nor a UPN', () => {
    for (const user of ['adele', '', 'adele@', '@contoso.com', 'a b@contoso.com', 'a@b@c', `${'a'.repeat(512)}@contoso.com`, 'a\u0000@contoso.com', 42, {}]) {
      refused(body(FAILING, user), 'user', /object id \(a GUID\) or a userPrincipalName/);
    }
  });

  it('no steps, steps that are not an array, a step that is not an object', () => {
    refused({}, 'steps', /JSON array of steps/);
    refused(body({ after: 'PT1S', status: 'failed' }), 'steps', /JSON array of steps/);
    refused(body([]), 'steps', /must hold the outcome/);
    refused(body(['PT1S']), 'steps[0]', /JSON object/, 'malformed');
  });

  it('an `after` that is not a fixed-length ISO 8601 duration, or past a year', () => {
    for (const after of [undefined, 3, '3s', 'PT', 'P', '-PT1S', 'P1M', 'P1Y', 'PT1.12345678S', '1970-01-01T00:00:03Z']) {
      refused(body([{ after, status: 'failed' }]), 'steps[0].after', /ISO 8601 duration/);
    }
    refused(body([{ after: 'P365DT0.0000001S', status: 'failed' }]), 'steps[0].after', /at most P365D/);
  });

  it('a step before the one ahead of it', () => {
    refused(body([{ after: 'PT3S', status: 'running' }, { after: 'PT2.9999999S', status: 'failed' }]), 'steps[1].after', /not be before the step ahead of it \(PT3S\)/);
  });

  it('a status outside the lifecycle’s steps: notStarted, the sentinel, anything else', () => {
    refused(body([{ after: 'PT1S', status: 'notStarted' }]), 'steps[0].status', /cannot be notStarted/);
    for (const status of ['unknownFutureValue', 'done', '', null, 1, undefined]) {
      refused(body([{ after: 'PT1S', status }]), 'steps[0].status', /must be running, succeeded or failed/);
    }
  });

  it('forwards only: one running step at most, the outcome exactly once and last', () => {
    const running = { after: 'PT1S', status: 'running' };
    const succeeded = { after: 'PT2S', status: 'succeeded' };
    refused(body([running]), 'steps[0].status', /last step must be the outcome/);
    refused(body([running, running, succeeded]), 'steps[1].status', /at most one running step/);
    refused(body([succeeded, running]), 'steps[1]', /comes after the outcome \(steps\[0\], succeeded\)/);
    refused(body([running, succeeded, { after: 'PT3S', status: 'failed' }]), 'steps[2]', /comes after the outcome \(steps\[1\], succeeded\)/);
    refused(body([succeeded, succeeded]), 'steps[1]', /finished operation takes no more steps/);
  });

  it('a statusDetail that is not a text within the model’s limit', () => {
    const max = OPERATION_PROPERTIES.statusDetail.maxLength;
    refused(body([{ after: 'PT1S', status: 'failed', statusDetail: null }]), 'steps[0].statusDetail', /must be a text; leave it out/);
    refused(body([{ after: 'PT1S', status: 'running', statusDetail: 7 }, FAILING[1]]), 'steps[0].statusDetail', /string or null/);
    refused(body([{ after: 'PT1S', status: 'failed', statusDetail: 'x'.repeat(max + 1) }]), 'steps[0].statusDetail', new RegExp(`limit of ${max}`));
    refused(body([{ after: 'PT1S', status: 'failed', statusDetail: 'a\u0000b' }]), 'steps[0].statusDetail', /NUL/);
    refused(body([{ after: 'PT1S', status: 'failed', statusDetail: '\ud800' }]), 'steps[0].statusDetail', /invalid Unicode/);
  });

  it('a resourceLocation on a running step, or past the model’s limit', () => {
    const max = OPERATION_PROPERTIES.resourceLocation.maxLength;
    refused(body([{ after: 'PT1S', status: 'running', resourceLocation: 'https://x' }, FAILING[1]]), 'steps[0].resourceLocation', /outcome only/);
    refused(body([{ after: 'PT1S', status: 'succeeded', resourceLocation: 'x'.repeat(max + 1) }]), 'steps[0].resourceLocation', new RegExp(`limit of ${max}`));
    refused(body([{ after: 'PT1S', status: 'succeeded', resourceLocation: {} }]), 'steps[0].resourceLocation', /string or null/);
  });
});

describe('reset scripts in the state format', () => {
  const state = (scripts: unknown) => parseState({ scripts });

  it('a state without scripts (one written before them) is an empty queue', () => {
    assert.deepEqual(parseState({ users: [], operations: [] }).scripts, []);
  });

  it('keeps a given id (lowercase) and makes one for a script without', () => {
    const [kept, made] = state([
      { id: SCRIPT_ID.toUpperCase(), steps: [{ after: 'PT1S', status: 'failed' }] },
      { user: 'adele@contoso.com', steps: [{ after: 'PT1S', status: 'failed' }] },
    ]).scripts;
    assert.equal(kept!.id, SCRIPT_ID);
    assert.match(made!.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(made!.user, 'adele@contoso.com');
  });

  for (const [scripts, path, detail] of [
    [{}, 'scripts', /JSON array/],
    [[{ id: 'one', steps: [{ after: 'PT1S', status: 'failed' }] }], 'scripts[0].id', /GUID/],
    [[{ steps: [{ after: 'PT1S', status: 'failed' }] }, { steps: [{ after: 'PT2S', status: 'running' }] }], 'scripts[1].steps[0].status', /last step must be the outcome/],
    [[{ steps: [{ after: 'PT1S', status: 'failed' }], extra: true }], 'scripts[0].extra', /not a member of a script \(expected id, user, steps\)/],
    [[7], 'scripts[0]', /JSON object/],
    [
      [
        { id: SCRIPT_ID, steps: [{ after: 'PT1S', status: 'failed' }] },
        { id: SCRIPT_ID.toUpperCase(), steps: [{ after: 'PT1S', status: 'failed' }] },
      ],
      'scripts[1]',
      /repeats the key/,
    ],
    [Array.from({ length: 1_001 }, () => ({ steps: [{ after: 'PT1S', status: 'failed' }] })), 'scripts', /holds 1001 scripts; the queue takes at most 1000/],
  ] as const) {
    it(`refuses ${path}: ${detail.source}`, () => {
      assert.throws(
        () => state(scripts),
        (error) => error instanceof StateError && error.path === path && detail.test(error.message),
      );
    });
  }
});
