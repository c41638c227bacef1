/**
 * Conformance with Microsoft Graph's OpenAPI description, read from the verbatim excerpts in test/fixtures/
 * (each fixture names its source) by the YAML reader of ./fixtures.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseSelect } from '../../src/graph/query-options.js';
import { formatDateTimeOffset, parseDateTimeOffset } from '../../src/operations/date-time-offset.js';
import { OPERATION_PROPERTIES, OPERATION_PROPERTY_NAMES, STATUS_ENUM_TYPE } from '../../src/operations/long-running-operation.js';
import { STATUS_ENUM_MEMBERS } from '../../src/operations/status.js';
import { seededRandom } from '../fixtures/seeded-random.js';
import { startHarness, type Harness } from '../support/harness.js';
import { OPENAPI_FIXTURES, readFixture, readGraphOpenApi } from './fixtures.js';

const COLLECTION = '/users/{user-id}/authentication/operations';
const ITEM = `${COLLECTION}/{longRunningOperation-id}`;
/** The operations an OpenAPI 3.0 path item can hold. */
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** The methods a path item of `document` defines, upper-case, sorted. */
function methodsOf(document: any, path: string): string[] {
  return Object.keys(document.paths[path])
    .filter((k) => (HTTP_METHODS as readonly string[]).includes(k))
    .map((k) => k.toUpperCase())
    .sort();
}

// ---- the tests ----

const v1 = readGraphOpenApi('v1.0');

describe('conformance with Graph OpenAPI', () => {
  for (const fixture of OPENAPI_FIXTURES) {
    it(`${fixture.version}: the fixture starts with a comment naming its source and saying it is copied verbatim`, () => {
      const text = readFixture(fixture.file);
      const header = /^(#.*\n)+/.exec(text);
      assert.ok(header, 'begins with comment lines');
      for (const part of Object.values(fixture.source)) assert.ok(header[0].includes(part), `names ${part}`);
      assert.match(header[0], /verbatim/);
    });

  }

  it(`${STATUS_ENUM_TYPE}: the schema's enum list is ours, in order`, () => {
    const schema = v1.components.schemas[STATUS_ENUM_TYPE];
    assert.equal(schema.type, 'string');
    assert.deepEqual(schema.enum, [...STATUS_ENUM_MEMBERS]);
  });

  describe('microsoft.graph.longRunningOperation schema', () => {
    const entity = v1.components.schemas['microsoft.graph.entity'];
    const operation = v1.components.schemas['microsoft.graph.longRunningOperation'];
    // allOf: [a reference to entity, the object that declares longRunningOperation's own properties]
    const declared = operation.allOf.find((part: any) => part.properties !== undefined);
    const properties: [string, any][] = [...Object.entries(entity.properties), ...Object.entries(declared.properties)];
    const property = (name: string): any => {
      const entry = properties.find(([key]) => key === name);
      assert.ok(entry, `property ${name}`);
      return entry[1];
    };

    it('has exactly our properties (id from entity)', () => {
      assert.deepEqual(properties.map(([key]) => key).sort(), [...OPERATION_PROPERTY_NAMES].sort());
    });

    it('types: date-time strings for DateTimeOffset, strings, the status enum by reference; nullable as in our model', () => {
      for (const name of OPERATION_PROPERTY_NAMES) {
        const def = OPERATION_PROPERTIES[name];
        const schema = property(name);
        if (def.type === STATUS_ENUM_TYPE) {
          assert.equal(schema.$ref, `#/components/schemas/${STATUS_ENUM_TYPE}`, name);
          continue;
        }
        assert.equal(schema.type, 'string', name);
        if (def.type === 'Edm.DateTimeOffset') assert.equal(schema.format, 'date-time', name);
        // OpenAPI marks nullable properties; id (Nullable="false" in CSDL) is not marked
        assert.equal(schema.nullable === true, def.nullable, name);
      }
    });

    describe('the DateTimeOffset pattern accepts every date our formatter writes', () => {
      const dateProperties = OPERATION_PROPERTY_NAMES.filter((name) => OPERATION_PROPERTIES[name].type === 'Edm.DateTimeOffset');
      const patterns = dateProperties.map((name) => property(name).pattern ?? '');

      it('each DateTimeOffset property has the pattern, and it is a working regular expression', () => {
        assert.deepEqual(dateProperties, ['createdDateTime', 'lastActionDateTime']);
        for (const pattern of patterns) {
          assert.ok(pattern.startsWith('^') && pattern.endsWith('$'), pattern);
          const re = new RegExp(pattern);
          assert.match('2017-01-01T00:02:09.4916918+03:00', re);
          assert.doesNotMatch('2017-13-01T00:02:09Z', re);
          assert.doesNotMatch('2017-01-01T00:02:09', re);
        }
      });

      it('formatDateTimeOffset output matches it, for edge and random ticks across 0001–9999', () => {
        const random = seededRandom(0x5eed_0005n);
        const first = -621_355_968_000_000_000n; // 0001-01-01T00:00:00Z
        const last = 2_534_023_007_999_999_999n; // 9999-12-31T23:59:59.9999999Z
        const ticks = [first, last, 0n, -1n, 1n, 10_000n, 10_000_000n, 17_487_812_967_891_234n];
        for (let i = 0; i < 2000; i++) ticks.push(random.bigintBetween(first, last));
        for (let i = 0; i < 200; i++) ticks.push(random.bigintBetween(0n, 10n ** 7n) * 10n ** 7n); // whole seconds: no fraction
        for (const pattern of patterns) {
          const re = new RegExp(pattern);
          const failures = ticks.map(formatDateTimeOffset).filter((text) => !re.test(text));
          assert.deepEqual(failures.slice(0, 5), [], `${failures.length} formatted dates do not match ${pattern}`);
        }
      });

      it('sample dates the pattern accepts (at most 7 fraction digits, within range) are read by our parser', () => {
        const re = new RegExp(patterns[0]!);
        for (const text of ['2014-01-01T00:00:00Z', '2014-01-01T00:00:00.1+00:00', '2024-02-29T23:59:59.9999999-14:00', '9999-12-31T23:59:59.9999999Z']) {
          assert.match(text, re);
          assert.notEqual(parseDateTimeOffset(text), undefined, text);
        }
      });
    });
  });

  describe('beta $select names the same properties', () => {
    const parameters: any[] = readGraphOpenApi('beta').paths[ITEM].get.parameters;

    it('every name in the $select enum is accepted by parseSelect, and together they are all our properties', () => {
      const select = parameters.find((p) => p.name === '$select');
      assert.ok(select, 'a $select parameter');
      const names: string[] = select.schema.items.enum;
      assert.deepEqual([...names].sort(), [...OPERATION_PROPERTY_NAMES].sort());
      assert.deepEqual(parseSelect(names.join(',')), OPERATION_PROPERTY_NAMES);
    });
  });

  describe('the methods of each path are exactly the ones our server serves', () => {
    let h: Harness;
    let token: string;
    let userId: string;

    before(async () => {
      h = await startHarness();
      const alice = await h.user('openapi@contoso.com');
      token = alice.token;
      userId = alice.user.id;
    });
    after(() => h.close());

    /** Tries every method on the URL (a fresh operation each time for item URLs); answers those not refused with 404/405. */
    async function served(url: (id: string) => string, base: string): Promise<{ methods: string[]; allow: Set<string> }> {
      const methods: string[] = [];
      const allow = new Set<string>();
      for (const method of HTTP_METHODS.map((m) => m.toUpperCase())) {
        const created = await h.request(token, { method: 'POST', url: base, payload: {} });
        assert.equal(created.statusCode, 201, created.body);
        const res = await h.request(token, {
          method: method as 'GET',
          url: url(created.json.id),
          ...(['POST', 'PATCH', 'PUT'].includes(method) && { payload: {} }),
        });
        if (res.statusCode === 405) {
          for (const m of String(res.headers.allow ?? '').split(',')) if (m.trim()) allow.add(m.trim());
        } else if (res.statusCode !== 404) {
          assert.ok(res.statusCode < 300, `${method} ${url(created.json.id)}: ${res.statusCode} ${res.body}`);
          methods.push(method);
        }
      }
      return { methods, allow };
    }

    for (const fixture of OPENAPI_FIXTURES) {
      const document = readGraphOpenApi(fixture.version);
      for (const path of [COLLECTION, ITEM]) {
        const documented = methodsOf(document, path);

        it(`${fixture.version} ${path}: ${documented.join(', ')}`, async () => {
          assert.deepEqual(documented, path === COLLECTION ? ['GET', 'POST'] : ['DELETE', 'GET', 'PATCH']);
          for (const users of [`users/${userId}`, 'me']) {
            const base = `/${fixture.version}/${users}/authentication/operations`;
            const url = path === COLLECTION ? () => base : (id: string) => `${base}/${id}`;
            const { methods, allow } = await served(url, base);
            // HEAD comes with GET (it is GET without a body); OpenAPI lists it only when it is separately defined.
            const expected = [...documented, ...(documented.includes('GET') ? ['HEAD'] : [])].sort();
            assert.deepEqual(methods.sort(), expected, `${users}: methods served`);
            assert.deepEqual([...allow].sort(), expected, `${users}: Allow header on 405`);
          }
        });
      }
    }
  });
});
