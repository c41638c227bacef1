import {
  ENTITY_TYPE,
  OPERATION_PROPERTIES,
  OPERATION_PROPERTY_NAMES,
  STATUS_ENUM_TYPE,
  type OperationProperty,
  type PropertyDefinition,
} from '../operations/long-running-operation.js';
import { STATUS_ENUM_MEMBERS } from '../operations/status.js';

/**
 * `$metadata`: the OData CSDL of what this service serves, generated from the model definition
 * (`OPERATION_PROPERTIES`, `STATUS_ENUM_MEMBERS`), in Graph's namespace and shapes. The same document serves
 * v1.0 and beta (Graph's two CSDLs declare the enum and the entity identically).
 */

export const NAMESPACE = 'microsoft.graph';
export const ALIAS = 'graph';

const CORE = 'Org.OData.Core.V1';
const CAPABILITIES = 'Org.OData.Capabilities.V1';
const CONTAINER = `${NAMESPACE}.GraphService`;
const VOCABULARIES = 'https://oasis-tcs.github.io/odata-vocabularies/vocabularies';

/** Graph's descriptions (its CSDL annotations, as its OpenAPI repeats them). */
export const ENTITY_DESCRIPTION = 'The status of a long-running operation.';
const TIMESTAMP = 'The timestamp type represents date and time information using ISO 8601 format and is always in UTC. For example, midnight UTC on Jan 1, 2014 is 2014-01-01T00:00:00Z.';
export const PROPERTY_DESCRIPTIONS: Readonly<Record<OperationProperty, string>> = {
  id: 'The unique identifier for an entity. Read-only.',
  createdDateTime: `The start time of the operation. ${TIMESTAMP}`,
  lastActionDateTime: `The time of the last action in the operation. ${TIMESTAMP}`,
  resourceLocation: 'URI of the resource that the operation is performed on.',
  status: `The status of the operation. The possible values are: ${STATUS_ENUM_MEMBERS.join(', ')}.`,
  statusDetail: 'Details about the status of the operation.',
};

const ordinal = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The key, declared on microsoft.graph.entity. */
export const KEY_PROPERTIES: readonly OperationProperty[] = OPERATION_PROPERTY_NAMES.filter((p) => OPERATION_PROPERTIES[p].access === 'key');
/** The properties declared on longRunningOperation itself, in Graph's CSDL order (alphabetical). */
export const DECLARED_PROPERTIES: readonly OperationProperty[] = OPERATION_PROPERTY_NAMES.filter(
  (p) => OPERATION_PROPERTIES[p].access !== 'key',
).sort(ordinal);
/** Every property as Graph's metadata lists them: inherited key first, then the declared ones. */
export const CSDL_PROPERTY_ORDER: readonly OperationProperty[] = [...KEY_PROPERTIES, ...DECLARED_PROPERTIES];

export function definitionOf(property: OperationProperty): PropertyDefinition {
  return OPERATION_PROPERTIES[property];
}

/** `microsoft.graph.x` → `x`. */
export function localName(qualified: string): string {
  if (!qualified.startsWith(`${NAMESPACE}.`)) throw new Error(`${qualified} is not in ${NAMESPACE}`);
  return qualified.slice(NAMESPACE.length + 1);
}

/** `microsoft.graph.x` → `graph.x`, as Graph's CSDL writes type references; Edm types unchanged. */
function aliased(type: string): string {
  return type.startsWith(`${NAMESPACE}.`) ? `${ALIAS}.${localName(type)}` : type;
}

// ---- a tiny XML writer: elements with attributes and children (no text content is needed) ----

interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
}

function el(name: string, attrs: Record<string, string> = {}, children: readonly XmlElement[] = []): XmlElement {
  return { name, attrs, children };
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' };

/** Escapes an attribute value (whitespace as character references, so attribute-value normalization keeps it). */
export function escapeXml(value: string): string {
  return value.replace(/[&<>"'\t\n\r]/g, (c) => ESCAPES[c]!);
}

function render(element: XmlElement, depth: number): string {
  const indent = '  '.repeat(depth);
  const attrs = Object.entries(element.attrs)
    .map(([name, value]) => ` ${name}="${escapeXml(value)}"`)
    .join('');
  if (element.children.length === 0) return `${indent}<${element.name}${attrs} />`;
  const children = element.children.map((child) => render(child, depth + 1)).join('\n');
  return `${indent}<${element.name}${attrs}>\n${children}\n${indent}</${element.name}>`;
}

// ---- the model in CSDL ----

function property(name: string, definition: PropertyDefinition): XmlElement {
  return el('Property', {
    Name: name,
    Type: aliased(definition.type),
    ...(!definition.nullable && { Nullable: 'false' }),
    ...(definition.maxLength !== undefined && { MaxLength: String(definition.maxLength) }),
  });
}

function annotation(term: string, value: { Bool?: boolean; String?: string } | XmlElement): XmlElement {
  if ('name' in value) return el('Annotation', { Term: term }, [value]);
  const [kind, constant] = Object.entries(value)[0]!;
  return el('Annotation', { Term: term, [kind]: String(constant) });
}

function record(values: Record<string, boolean>): XmlElement {
  return el(
    'Record',
    {},
    Object.entries(values).map(([name, value]) => el('PropertyValue', { Property: name, Bool: String(value) })),
  );
}

function annotations(target: string, list: readonly XmlElement[]): XmlElement {
  return el('Annotations', { Target: target }, list);
}

/** Description, and Computed for what the server sets (the key, server-written properties). */
function propertyAnnotations(declaringType: string, name: OperationProperty): XmlElement {
  return annotations(`${declaringType}/${name}`, [
    annotation(`${CORE}.Description`, { String: PROPERTY_DESCRIPTIONS[name] }),
    ...(definitionOf(name).access !== 'client' ? [annotation(`${CORE}.Computed`, { Bool: true })] : []),
  ]);
}

/** The query and write capabilities of the operations collection, as the routes and `list-options.ts` serve them. */
function capabilities(): XmlElement[] {
  return [
    annotation(`${CAPABILITIES}.CountRestrictions`, record({ Countable: true })),
    annotation(`${CAPABILITIES}.FilterRestrictions`, record({ Filterable: true, RequiresFilter: false })),
    annotation(`${CAPABILITIES}.SortRestrictions`, record({ Sortable: true })),
    annotation(`${CAPABILITIES}.SearchRestrictions`, record({ Searchable: false })),
    annotation(`${CAPABILITIES}.ExpandRestrictions`, record({ Expandable: false })),
    annotation(`${CAPABILITIES}.TopSupported`, { Bool: true }),
    annotation(`${CAPABILITIES}.SkipSupported`, { Bool: true }),
    annotation(`${CAPABILITIES}.SelectSupport`, record({ Supported: true })),
    annotation(`${CAPABILITIES}.IndexableByKey`, { Bool: true }),
    annotation(`${CAPABILITIES}.InsertRestrictions`, record({ Insertable: true })),
    annotation(`${CAPABILITIES}.UpdateRestrictions`, record({ Updatable: true })),
    annotation(`${CAPABILITIES}.DeleteRestrictions`, record({ Deletable: true })),
  ];
}

function buildCsdl(): string {
  const entity = `${NAMESPACE}.entity`;
  const operation = localName(ENTITY_TYPE);
  const authentication = `${NAMESPACE}.authentication`;
  const user = `${NAMESPACE}.user`;

  const schema = el('Schema', { Namespace: NAMESPACE, Alias: ALIAS, xmlns: 'http://docs.oasis-open.org/odata/ns/edm' }, [
    el(
      'EnumType',
      { Name: localName(STATUS_ENUM_TYPE) },
      STATUS_ENUM_MEMBERS.map((member, value) => el('Member', { Name: member, Value: String(value) })),
    ),
    el('EntityType', { Name: localName(entity), Abstract: 'true' }, [
      el(
        'Key',
        {},
        KEY_PROPERTIES.map((p) => el('PropertyRef', { Name: p })),
      ),
      ...KEY_PROPERTIES.map((p) => property(p, definitionOf(p))),
    ]),
    el(
      'EntityType',
      { Name: operation, BaseType: aliased(entity) },
      DECLARED_PROPERTIES.map((p) => property(p, definitionOf(p))),
    ),
    el('EntityType', { Name: localName(authentication), BaseType: aliased(entity) }, [
      el('NavigationProperty', { Name: 'operations', Type: `Collection(${aliased(ENTITY_TYPE)})`, ContainsTarget: 'true' }),
    ]),
    // Graph's user derives from microsoft.graph.directoryObject and has many more properties; ours is kept
    // minimal (the key, the userPrincipalName the URLs accept in place of the id, and the way to the operations).
    el('EntityType', { Name: localName(user), BaseType: aliased(entity) }, [
      el('Property', { Name: 'userPrincipalName', Type: 'Edm.String' }),
      el('NavigationProperty', { Name: 'authentication', Type: aliased(authentication), ContainsTarget: 'true' }),
    ]),
    el('EntityContainer', { Name: localName(CONTAINER) }, [
      el('EntitySet', { Name: 'users', EntityType: aliased(user) }),
      el('Singleton', { Name: 'me', Type: aliased(user) }),
    ]),
    annotations(ENTITY_TYPE, [annotation(`${CORE}.Description`, { String: ENTITY_DESCRIPTION })]),
    ...KEY_PROPERTIES.map((p) => propertyAnnotations(entity, p)),
    ...DECLARED_PROPERTIES.map((p) => propertyAnnotations(ENTITY_TYPE, p)),
    // What users/{id}/authentication/operations and me/authentication/operations support, on target paths
    // that start at the container and end in the navigation property, as the Capabilities vocabulary prefers.
    ...[`${CONTAINER}/users`, `${CONTAINER}/me`].map((root) => annotations(`${root}/authentication/operations`, capabilities())),
  ]);

  const vocabulary = (namespace: string, alias: string) =>
    el('edmx:Reference', { Uri: `${VOCABULARIES}/${namespace}.xml` }, [el('edmx:Include', { Namespace: namespace, Alias: alias })]);

  const edmx = el('edmx:Edmx', { Version: '4.0', 'xmlns:edmx': 'http://docs.oasis-open.org/odata/ns/edmx' }, [
    vocabulary(CORE, 'Core'),
    vocabulary(CAPABILITIES, 'Capabilities'),
    el('edmx:DataServices', {}, [schema]),
  ]);
  return `<?xml version="1.0" encoding="utf-8"?>\n${render(edmx, 0)}\n`;
}

let cached: string | undefined;

/** The CSDL document (`$metadata`), built once. */
export function csdlDocument(): string {
  cached ??= buildCsdl();
  return cached;
}
