/**
 * Conformance of our model with Microsoft Graph's own CSDL ($metadata), read from verbatim fragments in
 * test/fixtures/ (verbatim fragments of Graph's published metadata; each fixture names its source).
 * No XML library is installed: the fragments are small and regular, and a few regexes read them; every
 * regex is checked against a count of the elements it is meant to read, so nothing is skipped silently.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  ENTITY_TYPE,
  OPERATION_PROPERTIES,
  OPERATION_PROPERTY_NAMES,
  STATUS_ENUM_TYPE,
} from '../../src/operations/long-running-operation.js';
import { parseStatus, STATUS_ENUM_MEMBERS, statusFromValue, statusValue, OPERATION_STATUSES } from '../../src/operations/status.js';

const FIXTURES = [
  {
    version: 'v1.0',
    file: 'graph-v1.0-longrunningoperation.csdl.xml',
    source: { repo: 'microsoftgraph/msgraph-metadata', path: 'schemas/v1.0-Prod.csdl', commit: 'f54f11b60956ea7b185ca0447b2b80805836ec7b' },
  },
  {
    version: 'beta',
    file: 'graph-beta-longrunningoperation.csdl.xml',
    source: { repo: 'microsoftgraph/msgraph-metadata', path: 'schemas/beta-Prod.csdl', commit: '0564689b82afc308d5aa8be54edfb9e5f1e0539f' },
  },
] as const;

function readFixture(file: string): string {
  return readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8');
}

// ---- a minimal reader for these CSDL fragments ----

interface CsdlProperty {
  readonly type: string;
  readonly nullable: boolean;
}
interface CsdlNavigation {
  readonly type: string;
  readonly containsTarget: boolean;
}
interface CsdlEntityType {
  readonly name: string;
  readonly baseType?: string;
  readonly key: string[];
  readonly properties: Map<string, CsdlProperty>;
  readonly navigation: Map<string, CsdlNavigation>;
}
interface CsdlSchema {
  readonly namespace: string;
  readonly alias: string;
  readonly enums: Map<string, [name: string, value: number][]>;
  readonly entities: Map<string, CsdlEntityType>;
}

function attributes(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const m of text.matchAll(/([\w:.-]+)\s*=\s*"([^"]*)"/g)) {
    map.set(m[1]!, m[2]!.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
  }
  return map;
}

function required(attrs: Map<string, string>, name: string, element: string): string {
  const value = attrs.get(name);
  assert.ok(value !== undefined, `${element} has no ${name} attribute`);
  return value;
}

/** Every self-closing `<tag …/>` in `xml`; fails when an element of that tag is not self-closing (it would be missed). */
function emptyElements(xml: string, tag: string): Map<string, string>[] {
  const all = [...xml.matchAll(new RegExp(`<${tag}\\b`, 'g'))].length;
  const found = [...xml.matchAll(new RegExp(`<${tag}\\b([^>]*?)/>`, 'g'))].map((m) => attributes(m[1]!));
  assert.equal(found.length, all, `every <${tag}> is read`);
  return found;
}

/** Every `<tag …>…</tag>` in `xml`, with its attributes and content. */
function elements(xml: string, tag: string): { attrs: Map<string, string>; body: string }[] {
  const all = [...xml.matchAll(new RegExp(`<${tag}\\b`, 'g'))].length;
  const found = [...xml.matchAll(new RegExp(`<${tag}\\b([^>]*?)>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => ({
    attrs: attributes(m[1]!),
    body: m[2]!,
  }));
  assert.equal(found.length, all, `every <${tag}> is read`);
  return found;
}

function parseCsdl(xml: string): CsdlSchema {
  const text = xml.replace(/<!--[\s\S]*?-->/g, '');
  const schemas = elements(text, 'Schema');
  assert.equal(schemas.length, 1, 'one <Schema>');
  const schema = schemas[0]!;
  const namespace = required(schema.attrs, 'Namespace', 'Schema');
  const alias = required(schema.attrs, 'Alias', 'Schema');

  const enums = new Map<string, [string, number][]>();
  for (const e of elements(schema.body, 'EnumType')) {
    const members = emptyElements(e.body, 'Member').map((m): [string, number] => [
      required(m, 'Name', 'Member'),
      Number(required(m, 'Value', 'Member')),
    ]);
    enums.set(`${namespace}.${required(e.attrs, 'Name', 'EnumType')}`, members);
  }

  const entities = new Map<string, CsdlEntityType>();
  for (const e of elements(schema.body, 'EntityType')) {
    const name = required(e.attrs, 'Name', 'EntityType');
    const keyBlocks = elements(e.body, 'Key');
    const key = keyBlocks.flatMap((k) => emptyElements(k.body, 'PropertyRef').map((p) => required(p, 'Name', 'PropertyRef')));
    const properties = new Map<string, CsdlProperty>();
    for (const p of emptyElements(e.body, 'Property')) {
      properties.set(required(p, 'Name', 'Property'), {
        type: qualify(required(p, 'Type', 'Property'), namespace, alias),
        nullable: p.get('Nullable') !== 'false', // CSDL: Nullable defaults to true
      });
    }
    const navigation = new Map<string, CsdlNavigation>();
    for (const n of emptyElements(e.body, 'NavigationProperty')) {
      navigation.set(required(n, 'Name', 'NavigationProperty'), {
        type: qualify(required(n, 'Type', 'NavigationProperty'), namespace, alias),
        containsTarget: n.get('ContainsTarget') === 'true',
      });
    }
    const baseType = e.attrs.get('BaseType');
    entities.set(`${namespace}.${name}`, {
      name,
      ...(baseType !== undefined && { baseType: qualify(baseType, namespace, alias) }),
      key,
      properties,
      navigation,
    });
  }
  return { namespace, alias, enums, entities };
}

/** `graph.x` → `microsoft.graph.x`, also inside `Collection(…)`; Edm types unchanged. */
function qualify(type: string, namespace: string, alias: string): string {
  const collection = /^Collection\((.+)\)$/.exec(type);
  if (collection) return `Collection(${qualify(collection[1]!, namespace, alias)})`;
  return type.startsWith(`${alias}.`) ? `${namespace}.${type.slice(alias.length + 1)}` : type;
}

/** The structural properties of an entity type, inherited ones first, and its key (from wherever it is declared). */
function effectiveType(schema: CsdlSchema, name: string): { key: string[]; properties: Map<string, CsdlProperty & { declaredOn: string }> } {
  const chain: CsdlEntityType[] = [];
  for (let type: string | undefined = name; type !== undefined; ) {
    const entity = schema.entities.get(type);
    assert.ok(entity, `entity type ${type} is in the fixture`);
    chain.unshift(entity);
    type = entity.baseType;
  }
  const properties = new Map<string, CsdlProperty & { declaredOn: string }>();
  for (const entity of chain) {
    for (const [p, def] of entity.properties) {
      assert.ok(!properties.has(p), `${p} declared once`);
      properties.set(p, { ...def, declaredOn: entity.name });
    }
  }
  const key = chain.find((e) => e.key.length > 0)?.key ?? [];
  return { key, properties };
}

// ---- the tests ----

describe('conformance with Graph CSDL', () => {
  for (const fixture of FIXTURES) {
    describe(`${fixture.version} (${fixture.source.path})`, () => {
      const xml = readFixture(fixture.file);
      const schema = parseCsdl(xml);

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
        assert.deepEqual(authentication.navigation.get('operations'), {
          type: `Collection(${ENTITY_TYPE})`,
          containsTarget: true,
        });
      });
    });
  }

  it('v1.0 and beta declare the same enum and the same entity', () => {
    const [v1, beta] = FIXTURES.map((f) => parseCsdl(readFixture(f.file)));
    assert.deepEqual(v1!.enums.get(STATUS_ENUM_TYPE), beta!.enums.get(STATUS_ENUM_TYPE));
    assert.deepEqual(effectiveType(v1!, ENTITY_TYPE), effectiveType(beta!, ENTITY_TYPE));
  });

  it('the reader itself: defaults Nullable to true, resolves aliases, and refuses what it cannot read', () => {
    const schema = parseCsdl(
      '<Schema Namespace="n.s" Alias="a"><EnumType Name="e"><Member Name="x" Value="7" /></EnumType>' +
        '<EntityType Name="t" BaseType="a.b"><Property Name="p" Type="a.e" /><Property Name="q" Type="Edm.Int32" Nullable="false" />' +
        '<NavigationProperty Name="n" Type="Collection(a.t)" /></EntityType></Schema>',
    );
    assert.deepEqual(schema.enums.get('n.s.e'), [['x', 7]]);
    const t = schema.entities.get('n.s.t')!;
    assert.equal(t.baseType, 'n.s.b');
    assert.deepEqual(t.properties.get('p'), { type: 'n.s.e', nullable: true });
    assert.deepEqual(t.properties.get('q'), { type: 'Edm.Int32', nullable: false });
    assert.deepEqual(t.navigation.get('n'), { type: 'Collection(n.s.t)', containsTarget: false });
    assert.throws(() =>
      parseCsdl('<Schema Namespace="n" Alias="a"><EntityType Name="t"><Property Name="p" Type="Edm.String"></Property></EntityType></Schema>'),
    );
  });
});
