/**
 * Microsoft Graph's own metadata for longRunningOperation, as the verbatim fragments in test/fixtures/ hold it
 * (each fixture names its source in its first comment), and the one reader of them that every conformance
 * test uses: a small XML reader with a CSDL reader on top, and a small block-YAML reader. No XML or YAML
 * library is installed; these read exactly what the fixtures (and the documents this service publishes) use
 * and refuse anything else, so that nothing is skipped silently. fixtures.test.ts tests the readers themselves.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

export const VERSIONS = ['v1.0', 'beta'] as const;
export type Version = (typeof VERSIONS)[number];

/** Where a fixture was copied from; its first comment names each of these. */
export interface FixtureSource {
  readonly repo: string;
  readonly path: string;
  readonly commit: string;
}

export interface Fixture {
  readonly version: Version;
  readonly file: string;
  readonly source: FixtureSource;
}

/** test/fixtures/graph-{version}-longrunningoperation.{kind}, copied from `path` of `repo` at `commit`. */
function fixture(version: Version, kind: 'csdl.xml' | 'openapi.yaml', repo: string, path: string, commit: string): Fixture {
  return { version, file: `graph-${version}-longrunningoperation.${kind}`, source: { repo, path, commit } };
}

/** Graph's CSDL ($metadata) fragments, v1.0 then beta. */
export const CSDL_FIXTURES: readonly Fixture[] = [
  fixture('v1.0', 'csdl.xml', 'microsoftgraph/msgraph-metadata', 'schemas/v1.0-Prod.csdl', 'f54f11b60956ea7b185ca0447b2b80805836ec7b'),
  fixture('beta', 'csdl.xml', 'microsoftgraph/msgraph-metadata', 'schemas/beta-Prod.csdl', '0564689b82afc308d5aa8be54edfb9e5f1e0539f'),
];

/** Graph's OpenAPI excerpts, v1.0 then beta. The beta one has no components: its references resolve against v1.0's. */
export const OPENAPI_FIXTURES: readonly Fixture[] = [
  fixture('v1.0', 'openapi.yaml', 'microsoftgraph/msgraph-sdk-powershell', 'openApiDocs/v1.0/Identity.SignIns.yml', '01724eb1e735b45ee4b1c31f65b6631afdd2b897'),
  fixture('beta', 'openapi.yaml', 'microsoftgraph/msgraph-sdk-powershell', 'openApiDocs/beta/Identity.SignIns.yml', '0224e05338bc95aa2158647de71c43cb5863d49c'),
];

/** The text of a fixture file, by its name in test/fixtures/. */
export function readFixture(file: string): string {
  return readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8');
}

const fixtureOf = (fixtures: readonly Fixture[], version: Version): Fixture => fixtures.find((f) => f.version === version)!;

/** Graph's CSDL schema of a version, read from its fixture. */
export function readGraphCsdl(version: Version): CsdlSchema {
  return readSchema(parseXml(readFixture(fixtureOf(CSDL_FIXTURES, version).file)));
}

/** Graph's OpenAPI document of a version, read from its fixture. */
export function readGraphOpenApi(version: Version): any {
  return parseYaml(readFixture(fixtureOf(OPENAPI_FIXTURES, version).file));
}

// ==== a small XML reader: elements and attributes (no text content: neither document has any) ====

export interface XmlNode {
  readonly name: string;
  readonly attrs: ReadonlyMap<string, string>;
  readonly children: XmlNode[];
}

const XML_NAME = '[A-Za-z_][A-Za-z0-9_.:-]*';
const XML_TOKEN = new RegExp(
  `<\\?xml\\s[^?]*\\?>|<!--(?:(?!--)[\\s\\S])*-->|</(${XML_NAME})\\s*>|<(${XML_NAME})((?:\\s+${XML_NAME}\\s*=\\s*"[^"<]*")*)\\s*(/?)>|([^<]+)`,
  'y',
);

function decodeEntities(value: string): string {
  return value.replace(/&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);|&/g, (whole, ref: string | undefined) => {
    if (ref === undefined) throw new Error(`a bare '&' in ${JSON.stringify(value)}`);
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (ref in named) return named[ref]!;
    return String.fromCodePoint(ref.startsWith('#x') ? parseInt(ref.slice(2), 16) : Number(ref.slice(1)));
  });
}

/** The element tree of `xml`; throws on anything not well formed, and on text content. */
export function parseXml(xml: string): XmlNode {
  const stack: XmlNode[] = [];
  let root: XmlNode | undefined;
  XML_TOKEN.lastIndex = 0;
  while (XML_TOKEN.lastIndex < xml.length) {
    const at = XML_TOKEN.lastIndex;
    const m = XML_TOKEN.exec(xml);
    if (!m) throw new Error(`not well-formed at offset ${at}`);
    const [, endName, startName, rawAttrs, empty, text] = m;
    if (text !== undefined) {
      if (text.trim() !== '') throw new Error(`unexpected text ${JSON.stringify(text.trim().slice(0, 30))} at offset ${at}`);
    } else if (endName !== undefined) {
      const open = stack.pop();
      if (open?.name !== endName) throw new Error(`</${endName}> closes <${open?.name ?? 'nothing'}>`);
    } else if (startName !== undefined) {
      const attrs = new Map<string, string>();
      for (const [, name, value] of (rawAttrs ?? '').matchAll(new RegExp(`(${XML_NAME})\\s*=\\s*"([^"]*)"`, 'g'))) {
        if (attrs.has(name!)) throw new Error(`<${startName}> repeats ${name}`);
        attrs.set(name!, decodeEntities(value!));
      }
      const node: XmlNode = { name: startName, attrs, children: [] };
      const parent = stack.at(-1);
      if (parent) parent.children.push(node);
      else if (root) throw new Error('a second root element');
      else root = node;
      if (empty !== '/') stack.push(node);
    } else if (m[0].startsWith('<?xml') && at !== 0) {
      throw new Error('the XML declaration must come first');
    }
  }
  if (stack.length) throw new Error(`unclosed <${stack.at(-1)!.name}>`);
  if (!root) throw new Error('no root element');
  return root;
}

/** The value of a required attribute. */
export function attr(node: XmlNode, name: string): string {
  const value = node.attrs.get(name);
  assert.ok(value !== undefined, `<${node.name}> has ${name}`);
  return value;
}

export function only(nodes: readonly XmlNode[], what: string): XmlNode {
  assert.equal(nodes.length, 1, `exactly one ${what}`);
  return nodes[0]!;
}

export const childrenNamed = (node: XmlNode, name: string): XmlNode[] => node.children.filter((c) => c.name === name);

// ==== CSDL, read from the tree ====

export interface CsdlProperty {
  readonly name: string;
  readonly type: string;
  readonly nullable: boolean;
  readonly maxLength?: number;
}
export interface CsdlNavigation {
  readonly name: string;
  readonly type: string;
  readonly containsTarget: boolean;
}
export interface CsdlEntityType {
  readonly abstract: boolean;
  readonly baseType?: string;
  readonly key: string[];
  readonly properties: CsdlProperty[];
  readonly navigation: CsdlNavigation[];
}
export interface CsdlSchema {
  readonly namespace: string;
  readonly alias: string;
  /** By qualified name: the members, as [name, value], in order. */
  readonly enums: Map<string, [string, number][]>;
  /** By qualified name; every type reference in them qualified (the alias resolved). */
  readonly entities: Map<string, CsdlEntityType>;
  readonly containers: Map<string, { entitySets: Map<string, string>; singletons: Map<string, string> }>;
  /** Annotations by target, each as term → the <Annotation> element. */
  readonly annotations: Map<string, Map<string, XmlNode>>;
}

/** An element this reader takes only by its attributes: content in it would be skipped, so it is refused. */
function leaf(node: XmlNode, name: string): XmlNode {
  assert.equal(node.name, name);
  assert.deepEqual(
    node.children.map((c) => c.name),
    [],
    `unexpected content in <${name}>`,
  );
  return node;
}

/** A `<Schema>` element as a schema: fails on any element it does not read, so nothing is skipped silently. */
export function readSchema(schema: XmlNode): CsdlSchema {
  assert.equal(schema.name, 'Schema');
  const namespace = attr(schema, 'Namespace');
  const alias = attr(schema, 'Alias');
  const qualify = (type: string): string => {
    const collection = /^Collection\((.+)\)$/.exec(type);
    if (collection) return `Collection(${qualify(collection[1]!)})`;
    return type.startsWith(`${alias}.`) ? `${namespace}.${type.slice(alias.length + 1)}` : type;
  };
  const result: CsdlSchema = { namespace, alias, enums: new Map(), entities: new Map(), containers: new Map(), annotations: new Map() };
  for (const child of schema.children) {
    const name = child.name === 'Annotations' ? attr(child, 'Target') : `${namespace}.${attr(child, 'Name')}`;
    switch (child.name) {
      case 'EnumType':
        result.enums.set(
          name,
          child.children.map((m) => [attr(leaf(m, 'Member'), 'Name'), Number(attr(m, 'Value'))]),
        );
        break;
      case 'EntityType': {
        const key: string[] = [];
        const properties: CsdlProperty[] = [];
        const navigation: CsdlNavigation[] = [];
        for (const part of child.children) {
          if (part.name === 'Key') key.push(...part.children.map((ref) => attr(leaf(ref, 'PropertyRef'), 'Name')));
          else if (part.name === 'Property') {
            const maxLength = leaf(part, 'Property').attrs.get('MaxLength');
            properties.push({
              name: attr(part, 'Name'),
              type: qualify(attr(part, 'Type')),
              nullable: part.attrs.get('Nullable') !== 'false', // CSDL: Nullable defaults to true
              ...(maxLength !== undefined && { maxLength: Number(maxLength) }),
            });
          } else if (part.name === 'NavigationProperty') {
            navigation.push({
              name: attr(leaf(part, 'NavigationProperty'), 'Name'),
              type: qualify(attr(part, 'Type')),
              containsTarget: part.attrs.get('ContainsTarget') === 'true',
            });
          } else assert.fail(`unexpected <${part.name}> in an EntityType`);
        }
        const baseType = child.attrs.get('BaseType');
        result.entities.set(name, {
          abstract: child.attrs.get('Abstract') === 'true',
          ...(baseType !== undefined && { baseType: qualify(baseType) }),
          key,
          properties,
          navigation,
        });
        break;
      }
      case 'EntityContainer': {
        const entitySets = new Map<string, string>();
        const singletons = new Map<string, string>();
        for (const part of child.children) {
          if (part.name === 'EntitySet') entitySets.set(attr(leaf(part, 'EntitySet'), 'Name'), qualify(attr(part, 'EntityType')));
          else if (part.name === 'Singleton') singletons.set(attr(leaf(part, 'Singleton'), 'Name'), qualify(attr(part, 'Type')));
          else assert.fail(`unexpected <${part.name}> in the EntityContainer`);
        }
        result.containers.set(name, { entitySets, singletons });
        break;
      }
      case 'Annotations': {
        assert.ok(!result.annotations.has(name), `one <Annotations> for ${name}`);
        const terms = new Map<string, XmlNode>();
        for (const a of child.children) {
          assert.equal(a.name, 'Annotation');
          assert.ok(!terms.has(attr(a, 'Term')), `${attr(a, 'Term')} once on ${name}`);
          terms.set(attr(a, 'Term'), a);
        }
        result.annotations.set(name, terms);
        break;
      }
      default:
        assert.fail(`unexpected <${child.name}> in the Schema`);
    }
  }
  return result;
}

// ==== a small block-YAML reader: mappings, sequences, plain and single-quoted scalars ====

export type Yaml = string | number | boolean | null | Yaml[] | { [key: string]: Yaml };

const YAML_ENTRY = /^('(?:[^']|'')*'|[^'\s][^:]*?):(?:\s+(.*))?$/;

function yamlScalar(text: string): Yaml {
  if (text.startsWith("'")) {
    assert.ok(/^'(?:[^']|'')*'$/.test(text), `a single-quoted scalar: ${text}`);
    return text.slice(1, -1).replace(/''/g, "'");
  }
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^-?\d+$/.test(text)) return Number(text);
  assert.ok(!/^["{[&*!|>%@`]/.test(text) && !/ #|: /.test(text), `a scalar this reader understands: ${text}`);
  return text;
}

/** The value of a block-style YAML document; fails on anything it does not read. */
export function parseYaml(text: string): Yaml {
  const lines = text
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'))
    .map((l) => ({ indent: l.length - l.trimStart().length, text: l.trimStart() }));
  let i = 0;
  const isItem = (t: string) => t === '-' || t.startsWith('- ');

  function node(): Yaml {
    const { indent, text } = lines[i]!;
    return isItem(text) ? sequence(indent) : mapping(indent);
  }
  function mapping(indent: number): Yaml {
    const result: { [key: string]: Yaml } = {};
    while (i < lines.length && lines[i]!.indent === indent && !isItem(lines[i]!.text)) {
      const m = YAML_ENTRY.exec(lines[i]!.text);
      assert.ok(m, `a mapping entry: ${lines[i]!.text}`);
      const key = yamlScalar(m[1]!.startsWith("'") ? m[1]! : `'${m[1]!.replace(/'/g, "''")}'`) as string;
      assert.ok(!(key in result), `key ${key} once`);
      i++;
      if (m[2] !== undefined && m[2] !== '') result[key] = yamlScalar(m[2]);
      else if (i < lines.length && (lines[i]!.indent > indent || (lines[i]!.indent === indent && isItem(lines[i]!.text)))) result[key] = node();
      else result[key] = null;
    }
    assert.ok(i >= lines.length || lines[i]!.indent < indent, `indentation at: ${lines[i]?.text}`);
    return result;
  }
  function sequence(indent: number): Yaml {
    const result: Yaml[] = [];
    while (i < lines.length && lines[i]!.indent === indent && isItem(lines[i]!.text)) {
      const rest = lines[i]!.text.slice(2);
      if (rest === '') {
        i++;
        result.push(node());
      } else if (YAML_ENTRY.test(rest)) {
        lines[i] = { indent: indent + 2, text: rest }; // `- key: value` opens a mapping whose entries sit at indent + 2
        result.push(mapping(indent + 2));
      } else {
        result.push(yamlScalar(rest));
        i++;
      }
    }
    return result;
  }
  const result = node();
  assert.equal(i, lines.length, 'the whole document is read');
  return result;
}
