/**
 * Conformance of our model with Microsoft Graph's own CSDL ($metadata), read from the verbatim fragments in
 * test/fixtures/ (each fixture names its source) by the CSDL reader of ./fixtures.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ENTITY_TYPE,
  OPERATION_PROPERTIES,
  OPERATION_PROPERTY_NAMES,
  STATUS_ENUM_TYPE,
} from '../../src/operations/long-running-operation.js';
import { parseStatus, STATUS_ENUM_MEMBERS, statusFromValue, statusValue, OPERATION_STATUSES } from '../../src/operations/status.js';
import { CSDL_FIXTURES, readFixture, readGraphCsdl, VERSIONS, type CsdlEntityType, type CsdlProperty, type CsdlSchema } from './fixtures.js';

/** A property as an entity type has it, with the (unqualified) type that declares it. */
type DeclaredProperty = Omit<CsdlProperty, 'name'> & { declaredOn: string };

/** The structural properties of an entity type, inherited ones first, and its key (from wherever it is declared). */
function effectiveType(schema: CsdlSchema, name: string): { key: string[]; properties: Map<string, DeclaredProperty> } {
  const chain: [string, CsdlEntityType][] = [];
  for (let type: string | undefined = name; type !== undefined; ) {
    const entity = schema.entities.get(type);
    assert.ok(entity, `entity type ${type} is in the fixture`);
    chain.unshift([type, entity]);
    type = entity.baseType;
  }
  const properties = new Map<string, DeclaredProperty>();
  for (const [type, entity] of chain) {
    for (const { name: p, ...def } of entity.properties) {
      assert.ok(!properties.has(p), `${p} declared once`);
      properties.set(p, { ...def, declaredOn: type.slice(schema.namespace.length + 1) });
    }
  }
  const key = chain.find(([, e]) => e.key.length > 0)?.[1].key ?? [];
  return { key, properties };
}

// ---- the tests ----

describe('conformance with Graph CSDL', () => {
  for (const fixture of CSDL_FIXTURES) {
    describe(`${fixture.version} (${fixture.source.path})`, () => {
      const xml = readFixture(fixture.file);
      const schema = readGraphCsdl(fixture.version);

      it('the fixture starts with a comment naming its source and saying it is copied verbatim', () => {
        const comment = /^<!--([\s\S]*?)-->/.exec(xml);
        assert.ok(comment, 'begins with a comment');
        for (const part of Object.values(fixture.source)) assert.ok(comment[1]!.includes(part), `names ${part}`);
        assert.match(comment[1]!, /verbatim/);
      });

      it('is the microsoft.graph namespace under the alias graph', () => {
        assert.equal(schema.namespace, 'microsoft.graph');
        assert.equal(schema.alias, 'graph');
      });

      it(`${STATUS_ENUM_TYPE}: members and values, in order, are ours`, () => {
        const members = schema.enums.get(STATUS_ENUM_TYPE);
        assert.ok(members, `${STATUS_ENUM_TYPE} is declared`);
        assert.deepEqual(members, [
          ['notStarted', 0],
          ['running', 1],
          ['succeeded', 2],
          ['failed', 3],
          ['unknownFutureValue', 4],
        ]);
        assert.deepEqual(
          members,
          STATUS_ENUM_MEMBERS.map((name, value) => [name, value]),
        );
      });

      it('our value mapping and parser agree with every CSDL member', () => {
        const members = schema.enums.get(STATUS_ENUM_TYPE)!;
        for (const [name, value] of members) {
          assert.equal(parseStatus(name), name);
          if ((OPERATION_STATUSES as readonly string[]).includes(name)) {
            assert.equal(statusValue(name as (typeof OPERATION_STATUSES)[number]), value, name);
            assert.equal(statusFromValue(value), name, String(value));
          } else {
            assert.equal(name, 'unknownFutureValue', 'the only member we do not store is the evolvable-enum sentinel');
            assert.throws(() => statusFromValue(value), RangeError);
          }
        }
      });

      it(`${ENTITY_TYPE} derives from microsoft.graph.entity, keyed by id`, () => {
        const entity = schema.entities.get(ENTITY_TYPE);
        assert.ok(entity, `${ENTITY_TYPE} is declared`);
        assert.equal(entity.baseType, 'microsoft.graph.entity');
        assert.deepEqual(effectiveType(schema, ENTITY_TYPE).key, ['id']);
      });

      it('its properties, EDM types and nullability are exactly ours (both ways)', () => {
        const graph = effectiveType(schema, ENTITY_TYPE).properties;
        const theirs = Object.fromEntries([...graph].map(([name, p]) => [name, { type: p.type, nullable: p.nullable }]));
        const ours = Object.fromEntries(
          OPERATION_PROPERTY_NAMES.map((name) => [name, { type: OPERATION_PROPERTIES[name].type, nullable: OPERATION_PROPERTIES[name].nullable }]),
        );
        assert.deepEqual(Object.keys(ours).sort(), Object.keys(theirs).sort(), 'same property names');
        assert.deepEqual(ours, theirs);
      });

      it('id comes from entity and is not nullable; the five others are declared on longRunningOperation and nullable', () => {
        const graph = effectiveType(schema, ENTITY_TYPE).properties;
        assert.deepEqual(graph.get('id'), { type: 'Edm.String', nullable: false, declaredOn: 'entity' });
        const others = [...graph].filter(([name]) => name !== 'id');
        assert.equal(others.length, 5);
        for (const [name, p] of others) {
          assert.equal(p.declaredOn, 'longRunningOperation', name);
          assert.equal(p.nullable, true, name);
          assert.equal(OPERATION_PROPERTIES[name as keyof typeof OPERATION_PROPERTIES].nullable, true, name);
        }
        assert.equal(graph.get('status')?.type, STATUS_ENUM_TYPE);
        assert.equal(graph.get('createdDateTime')?.type, 'Edm.DateTimeOffset');
        assert.equal(graph.get('lastActionDateTime')?.type, 'Edm.DateTimeOffset');
      });

      it('authentication.operations is a contained Collection(microsoft.graph.longRunningOperation)', () => {
        const authentication = schema.entities.get('microsoft.graph.authentication');
        assert.ok(authentication, 'microsoft.graph.authentication is declared');
        assert.deepEqual(authentication.navigation.find((n) => n.name === 'operations'), {
          name: 'operations',
          type: `Collection(${ENTITY_TYPE})`,
          containsTarget: true,
        });
      });
    });
  }

  it('v1.0 and beta declare the same enum and the same entity', () => {
    const [v1, beta] = VERSIONS.map(readGraphCsdl);
    assert.deepEqual(v1!.enums.get(STATUS_ENUM_TYPE), beta!.enums.get(STATUS_ENUM_TYPE));
    assert.deepEqual(effectiveType(v1!, ENTITY_TYPE), effectiveType(beta!, ENTITY_TYPE));
  });
});
