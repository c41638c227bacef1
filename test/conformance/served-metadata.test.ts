/**
 * The metadata this service publishes (`$metadata` from src/graph/csdl.ts, `openapi.json` from
 * src/graph/openapi.ts) against Microsoft Graph's own, read from the verbatim fragments in test/fixtures/,
 * and against what the service actually serves. Both kinds of document are read by the readers of
 * ./fixtures.ts, which read exactly what these documents use and refuse anything else, so that nothing is
 * skipped silently; the small validator of served payloads below is itself tested at the end.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GraphError } from '../../src/graph/errors.js';
import { csdlDocument } from '../../src/graph/csdl.js';
import { countOptions, itemOptions, listOptions } from '../../src/graph/list-options.js';
import { DATE_TIME_PATTERN, openApiDocument } from '../../src/graph/openapi.js';
import {
  ENTITY_TYPE,
  OPERATION_PROPERTIES,
  OPERATION_PROPERTY_NAMES,
  STATUS_ENUM_TYPE,
  type OperationProperty,
  type PropertyDefinition,
} from '../../src/operations/long-running-operation.js';
import { STATUS_ENUM_MEMBERS } from '../../src/operations/status.js';
import { startHarness, type Harness } from '../support/harness.js';
import {
  attr,
  childrenNamed,
  only,
  parseXml,
  readGraphCsdl,
  readGraphOpenApi,
  readSchema,
  VERSIONS,
  type CsdlNavigation,
  type CsdlProperty,
  type CsdlSchema,
  type Version,
  type XmlNode,
} from './fixtures.js';

const model = (name: OperationProperty): PropertyDefinition => OPERATION_PROPERTIES[name];

const ours = parseXml(csdlDocument());
const oursSchema = readSchema(only(childrenNamed(only(childrenNamed(ours, 'edmx:DataServices'), 'edmx:DataServices'), 'Schema'), 'Schema'));

/** Walks a CSDL target path (`Type`, `Type/property`, `Container/set/nav/nav`) to the type it reaches, failing if it does not resolve. */
function resolveTarget(schema: CsdlSchema, target: string): string {
  const [head, ...segments] = target.split('/');
  let type: string;
  if (schema.containers.has(head!)) {
    const container = schema.containers.get(head!)!;
    const first = segments.shift()!;
    const found = container.entitySets.get(first) ?? container.singletons.get(first);
    assert.ok(found, `${first} is an entity set or singleton of ${head}`);
    type = found;
  } else {
    assert.ok(schema.entities.has(head!) || schema.enums.has(head!), `${head} is a declared type`);
    type = head!;
  }
  for (const segment of segments) {
    const member = membersOf(schema, type).find((m) => m.name === segment);
    assert.ok(member, `${segment} is a property of ${type} (in ${target})`);
    type = member.type.replace(/^Collection\((.+)\)$/, '$1');
  }
  return type;
}

/** Properties and navigation properties of an entity type, inherited ones included. */
function membersOf(schema: CsdlSchema, type: string): (CsdlProperty | CsdlNavigation)[] {
  const entity = schema.entities.get(type);
  assert.ok(entity, `${type} is an entity type`);
  return [...(entity.baseType ? membersOf(schema, entity.baseType) : []), ...entity.properties, ...entity.navigation];
}

function boolRecord(annotation: XmlNode): Record<string, boolean> {
  const record = only(annotation.children, `<Record> in ${attr(annotation, 'Term')}`);
  assert.equal(record.name, 'Record');
  return Object.fromEntries(
    record.children.map((p) => {
      assert.equal(p.name, 'PropertyValue');
      const value = attr(p, 'Bool');
      assert.match(value, /^(true|false)$/);
      return [attr(p, 'Property'), value === 'true'];
    }),
  );
}

// ==== JSON-pointer references and a small validator for served payloads ====

type Json = any; // the documents are walked dynamically

function resolveRef(document: Json, ref: string): Json {
  assert.ok(ref.startsWith('#/'), `a local reference: ${ref}`);
  let node = document;
  for (const segment of ref.slice(2).split('/')) {
    node = node?.[segment.replace(/~1/g, '/').replace(/~0/g, '~')];
    assert.ok(node !== undefined, `${ref} resolves`);
  }
  return node;
}

function refsIn(value: Json, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refsIn(v, found);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref') found.push(v as string);
      else refsIn(v, found);
    }
  }
  return found;
}

/** `$ref` followed and `allOf` merged: properties and required lists united. */
function flatten(document: Json, schema: Json): Json {
  if (schema.$ref) return flatten(document, resolveRef(document, schema.$ref));
  if (!schema.allOf) return schema;
  const parts = schema.allOf.map((s: Json) => flatten(document, s));
  const { allOf: _, ...own } = schema;
  return {
    ...Object.assign({}, ...parts),
    ...own,
    properties: Object.assign({}, ...parts.map((p: Json) => p.properties ?? {})),
    required: parts.flatMap((p: Json) => p.required ?? []),
  };
}

/**
 * Errors of `value` against `schema`. Stricter than OpenAPI on one point: an object member the schema does not
 * declare is an error unless it is an OData annotation (`@…`), so that a property missing from a schema shows.
 */
function validate(document: Json, schema: Json, value: unknown, at = '$', errors: string[] = []): string[] {
  const s = flatten(document, schema);
  if (value === null) {
    if (s.nullable !== true) errors.push(`${at}: null, but not nullable`);
    return errors;
  }
  if (s.enum && !s.enum.includes(value)) errors.push(`${at}: ${JSON.stringify(value)} is not one of ${s.enum.join(', ')}`);
  switch (s.type) {
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) {
        errors.push(`${at}: not an object`);
        break;
      }
      for (const name of s.required ?? []) if (!(name in value)) errors.push(`${at}: ${name} is missing`);
      for (const [name, member] of Object.entries(value)) {
        if (s.properties?.[name]) validate(document, s.properties[name], member, `${at}.${name}`, errors);
        else if (!name.startsWith('@')) errors.push(`${at}: ${name} is not declared`);
      }
      break;
    }
    case 'array':
      if (!Array.isArray(value)) errors.push(`${at}: not an array`);
      else value.forEach((item, index) => validate(document, s.items, item, `${at}[${index}]`, errors));
      break;
    case 'string':
      if (typeof value !== 'string') errors.push(`${at}: not a string`);
      else {
        if (s.maxLength !== undefined && value.length > s.maxLength) errors.push(`${at}: longer than ${s.maxLength}`);
        if (s.pattern !== undefined && !new RegExp(s.pattern).test(value)) errors.push(`${at}: ${value} does not match ${s.pattern}`);
      }
      break;
    case 'integer':
      if (!Number.isInteger(value)) errors.push(`${at}: not an integer`);
      break;
    case 'boolean':
      if (typeof value !== 'boolean') errors.push(`${at}: not a boolean`);
      break;
    default:
      errors.push(`${at}: the schema has no type this validator knows (${String(s.type)})`);
  }
  return errors;
}

// ==== the fixtures and our documents ====

const COLLECTION = '/users/{user-id}/authentication/operations';
const ITEM = `${COLLECTION}/{longRunningOperation-id}`;
const COUNT = `${COLLECTION}/$count`;
const ME = (path: string) => path.replace('/users/{user-id}', '/me');
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

const graphOpenApi = Object.fromEntries(VERSIONS.map((v) => [v, readGraphOpenApi(v) as Json])) as Record<Version, Json>;
/** The beta fixture has no components; its references resolve against the v1.0 ones (see the fixture's header). */
const graphComponents = graphOpenApi['v1.0'].components;
const ourOpenApi = Object.fromEntries(VERSIONS.map((v) => [v, openApiDocument(v, `https://graph.example.test/${v}`) as Json])) as Record<Version, Json>;

/** An operation's parameters, references resolved, keyed by name (`$top`, `user-id`, `If-Match`…). */
function parametersOf(document: Json, operation: Json): Map<string, Json> {
  const result = new Map<string, Json>();
  for (const p of operation.parameters ?? []) {
    const parameter = p.$ref ? resolveRef(document, p.$ref) : p;
    assert.ok(!result.has(parameter.name), `${parameter.name} once`);
    result.set(parameter.name, parameter);
  }
  return result;
}

function operationsOf(pathItem: Json): Record<string, string> {
  return Object.fromEntries(
    Object.keys(pathItem)
      .filter((k) => HTTP_METHODS.includes(k))
      .sort()
      .map((method) => [method, pathItem[method].operationId]),
  );
}

/**
 * Graph's parameters of an operation, by name: the fixtures omit components.parameters, so a reference is
 * named by Graph's convention (`#/components/parameters/top` is `$top`).
 */
function graphParametersOf(operation: Json): Map<string, Json> {
  const result = new Map<string, Json>();
  for (const p of operation.parameters ?? []) {
    let parameter = p;
    if (p.$ref) {
      const m = /^#\/components\/parameters\/([a-z]+)$/.exec(p.$ref);
      assert.ok(m, `a query-option parameter reference: ${p.$ref}`);
      parameter = { name: `$${m[1]}`, $ref: p.$ref };
    }
    assert.ok(!result.has(parameter.name), `${parameter.name} once`);
    result.set(parameter.name, parameter);
  }
  return result;
}

const PICKED = ['type', 'format', 'pattern', 'nullable', '$ref', 'description'] as const;
const pick = (schema: Json) => Object.fromEntries(PICKED.filter((k) => k in schema).map((k) => [k, schema[k]]));

// ==== the tests ====

describe('served $metadata agrees with Graph’s CSDL', () => {
  for (const version of VERSIONS) {
    describe(version, () => {
      const graph = readGraphCsdl(version);

      it(`${STATUS_ENUM_TYPE}: the same members with the same values, in the same order`, () => {
        const theirs = graph.enums.get(STATUS_ENUM_TYPE);
        assert.ok(theirs && theirs.length === 5, 'the fixture declares the five members');
        assert.deepEqual(oursSchema.enums.get(STATUS_ENUM_TYPE), theirs);
      });

      it('microsoft.graph.entity: abstract, keyed by id, id a non-nullable Edm.String', () => {
        const theirs = graph.entities.get('microsoft.graph.entity');
        assert.ok(theirs);
        assert.deepEqual(oursSchema.entities.get('microsoft.graph.entity'), theirs);
        assert.equal(theirs.abstract, true);
      });

      it(`${ENTITY_TYPE}: BaseType, and the properties' names, types and nullability in Graph's order`, () => {
        const theirs = graph.entities.get(ENTITY_TYPE)!;
        const mine = oursSchema.entities.get(ENTITY_TYPE)!;
        assert.equal(theirs.baseType, 'microsoft.graph.entity');
        assert.equal(mine.baseType, theirs.baseType);
        assert.deepEqual(mine.key, theirs.key);
        const shape = (p: CsdlProperty) => ({ name: p.name, type: p.type, nullable: p.nullable });
        assert.equal(theirs.properties.length, 5);
        assert.deepEqual(mine.properties.map(shape), theirs.properties.map(shape));
        assert.deepEqual(mine.navigation, theirs.navigation);
      });

      it('authentication/operations: Collection(microsoft.graph.longRunningOperation), contained', () => {
        const find = (schema: CsdlSchema) => schema.entities.get('microsoft.graph.authentication')?.navigation.find((n) => n.name === 'operations');
        assert.deepEqual(find(graph), { name: 'operations', type: `Collection(${ENTITY_TYPE})`, containsTarget: true });
        assert.deepEqual(find(oursSchema), find(graph));
        assert.equal(oursSchema.entities.get('microsoft.graph.authentication')!.baseType, graph.entities.get('microsoft.graph.authentication')!.baseType);
      });
    });
  }

  describe('our document', () => {
    it('is EDMX 4.0: references to the vocabularies it uses, then DataServices with microsoft.graph under the alias graph', () => {
      assert.equal(ours.name, 'edmx:Edmx');
      assert.equal(attr(ours, 'Version'), '4.0');
      assert.equal(attr(ours, 'xmlns:edmx'), 'http://docs.oasis-open.org/odata/ns/edmx');
      assert.deepEqual(
        ours.children.map((c) => c.name),
        ['edmx:Reference', 'edmx:Reference', 'edmx:DataServices'],
      );
      const schema = only(only(childrenNamed(ours, 'edmx:DataServices'), 'DataServices').children, 'Schema');
      assert.equal(attr(schema, 'Namespace'), 'microsoft.graph');
      assert.equal(attr(schema, 'Alias'), 'graph');
      assert.equal(attr(schema, 'xmlns'), 'http://docs.oasis-open.org/odata/ns/edm');
      const included = childrenNamed(ours, 'edmx:Reference').flatMap((r) => r.children.map((i) => attr(i, 'Namespace')));
      const used = new Set([...oursSchema.annotations.values()].flatMap((terms) => [...terms.keys()].map((t) => t.slice(0, t.lastIndexOf('.')))));
      assert.deepEqual([...used].sort(), ['Org.OData.Capabilities.V1', 'Org.OData.Core.V1']);
      assert.deepEqual([...included].sort(), [...used].sort());
    });

    it('is generated from the model: every property with its type, nullability and maxLength', () => {
      const all = [...oursSchema.entities.get('microsoft.graph.entity')!.properties, ...oursSchema.entities.get(ENTITY_TYPE)!.properties];
      assert.deepEqual(all.map((p) => p.name).sort(), [...OPERATION_PROPERTY_NAMES].sort());
      for (const p of all) {
        const def = model(p.name as OperationProperty);
        assert.deepEqual(p, {
          name: p.name,
          type: def.type,
          nullable: def.nullable,
          ...(def.maxLength !== undefined && { maxLength: def.maxLength }),
        });
      }
      assert.ok(all.some((p) => p.maxLength !== undefined), 'the model has maxLengths, and they are written');
    });

    it('every type it names is declared or primitive', () => {
      const declared = (type: string) => /^Edm\.[A-Za-z]+$/.test(type) || oursSchema.entities.has(type) || oursSchema.enums.has(type);
      for (const [name, entity] of oursSchema.entities) {
        if (entity.baseType) assert.ok(declared(entity.baseType), `${name} BaseType ${entity.baseType}`);
        for (const member of [...entity.properties, ...entity.navigation]) {
          const type = member.type.replace(/^Collection\((.+)\)$/, '$1');
          assert.ok(declared(type), `${name}/${member.name}: ${type}`);
        }
      }
      for (const container of oursSchema.containers.values()) {
        for (const type of [...container.entitySets.values(), ...container.singletons.values()]) assert.ok(declared(type), type);
      }
    });

    it('GraphService: users (an entity set of user) and me (a singleton user); user reaches its authentication by containment', () => {
      const container = oursSchema.containers.get('microsoft.graph.GraphService');
      assert.ok(container);
      assert.deepEqual([...container.entitySets], [['users', 'microsoft.graph.user']]);
      assert.deepEqual([...container.singletons], [['me', 'microsoft.graph.user']]);
      const user = oursSchema.entities.get('microsoft.graph.user')!;
      assert.equal(user.baseType, 'microsoft.graph.entity');
      assert.deepEqual(user.properties, [{ name: 'userPrincipalName', type: 'Edm.String', nullable: true }]);
      assert.deepEqual(user.navigation, [{ name: 'authentication', type: 'microsoft.graph.authentication', containsTarget: true }]);
      assert.equal(resolveTarget(oursSchema, 'microsoft.graph.GraphService/me/authentication/operations'), ENTITY_TYPE);
    });

    it('every annotation target resolves', () => {
      assert.ok(oursSchema.annotations.size >= 9);
      for (const target of oursSchema.annotations.keys()) assert.ok(resolveTarget(oursSchema, target), target);
      assert.throws(() => resolveTarget(oursSchema, 'microsoft.graph.GraphService/users/authentication/nothing'));
      assert.throws(() => resolveTarget(oursSchema, 'microsoft.graph.GraphService/groups'));
    });

    it('Core.Description as Graph has it: the entity, and each property as Graph’s OpenAPI repeats it', () => {
      const description = (target: string) => oursSchema.annotations.get(target)?.get('Org.OData.Core.V1.Description')?.attrs.get('String');
      assert.equal(description(ENTITY_TYPE), 'The status of a long-running operation.');
      const schemas = graphComponents.schemas;
      const theirs: Record<string, Json> = {
        ...schemas['microsoft.graph.entity'].properties,
        ...schemas[ENTITY_TYPE].allOf[1].properties,
      };
      let compared = 0;
      for (const name of OPERATION_PROPERTY_NAMES) {
        const declaredOn = model(name).access === 'key' ? 'microsoft.graph.entity' : ENTITY_TYPE;
        const mine = description(`${declaredOn}/${name}`);
        assert.ok(mine, `${name} has a description`);
        if (theirs[name]?.description !== undefined) {
          assert.equal(mine, theirs[name].description, name);
          compared++;
        }
      }
      assert.equal(compared, 5, 'Graph describes all but status');
      assert.equal(description(`${ENTITY_TYPE}/status`), `The status of the operation. The possible values are: ${STATUS_ENUM_MEMBERS.join(', ')}.`);
    });

    it('Core.Computed marks exactly what the server sets', () => {
      for (const name of OPERATION_PROPERTY_NAMES) {
        const declaredOn = model(name).access === 'key' ? 'microsoft.graph.entity' : ENTITY_TYPE;
        const computed = oursSchema.annotations.get(`${declaredOn}/${name}`)?.get('Org.OData.Core.V1.Computed');
        assert.equal(computed?.attrs.get('Bool'), model(name).access === 'client' ? undefined : 'true', name);
      }
    });

    for (const root of ['users', 'me']) {
      it(`capabilities of ${root}/authentication/operations say what the query options do`, () => {
        const terms = oursSchema.annotations.get(`microsoft.graph.GraphService/${root}/authentication/operations`);
        assert.ok(terms, 'annotated');
        const term = (name: string) => {
          const a = terms.get(`Org.OData.Capabilities.V1.${name}`);
          assert.ok(a, name);
          return a;
        };
        assert.deepEqual(boolRecord(term('CountRestrictions')), { Countable: true });
        assert.deepEqual(boolRecord(term('FilterRestrictions')), { Filterable: true, RequiresFilter: false });
        assert.deepEqual(boolRecord(term('SortRestrictions')), { Sortable: true });
        assert.deepEqual(boolRecord(term('SearchRestrictions')), { Searchable: false });
        assert.deepEqual(boolRecord(term('ExpandRestrictions')), { Expandable: false });
        assert.deepEqual(boolRecord(term('SelectSupport')), { Supported: true });
        assert.equal(attr(term('TopSupported'), 'Bool'), 'true');
        assert.equal(attr(term('SkipSupported'), 'Bool'), 'true');
        assert.equal(attr(term('IndexableByKey'), 'Bool'), 'true');
        assert.deepEqual(boolRecord(term('InsertRestrictions')), { Insertable: true });
        assert.deepEqual(boolRecord(term('UpdateRestrictions')), { Updatable: true });
        assert.deepEqual(boolRecord(term('DeleteRestrictions')), { Deletable: true });
        assert.equal(terms.size, 12, 'no capability left unchecked');
      });
    }

    it('…and the query-option readers behave as the capabilities say', () => {
      const limits = { defaultPageSize: 100, maxPageSize: 999 };
      const options = listOptions({ $top: '2', $skip: '1', $count: 'true', $filter: "status eq 'running'", $orderby: 'status desc', $select: 'status' }, limits);
      assert.deepEqual([options.limit, options.skip, options.count, options.select], [2, 1, true, ['status']]);
      assert.ok(options.filter);
      assert.ok(countOptions({ $filter: "status eq 'running'" }).filter);
      assert.throws(() => listOptions({ $search: 'x' }, limits), GraphError, 'not searchable');
      assert.throws(() => listOptions({ $expand: '*' }, limits), GraphError, 'not expandable');
      assert.throws(() => itemOptions({ $expand: '*' }), GraphError, 'not expandable');
    });
  });
});

describe('served openapi.json agrees with Graph’s OpenAPI', () => {
  const mine = ourOpenApi['v1.0'];
  const ourSchemas = mine.components.schemas;
  const theirSchemas = graphComponents.schemas;

  it('is OpenAPI 3.0.4 with this server, bearer (JWT) security for every operation', () => {
    for (const version of VERSIONS) {
      assert.equal(ourOpenApi[version].openapi, '3.0.4');
      assert.equal(graphOpenApi[version].openapi, '3.0.4');
      assert.deepEqual(ourOpenApi[version].servers.map((s: Json) => s.url), [`https://graph.example.test/${version}`]);
      assert.equal(ourOpenApi[version].info.version, version);
    }
    assert.deepEqual(mine.components.securitySchemes.bearerAuth, {
      ...mine.components.securitySchemes.bearerAuth,
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    assert.deepEqual(mine.security, [{ bearerAuth: [] }]);
  });

  it('every $ref in our document resolves', () => {
    const refs = refsIn(mine);
    assert.ok(refs.length > 50, `${refs.length} references`);
    for (const ref of refs) resolveRef(mine, ref);
  });

  describe(`${ENTITY_TYPE} schema`, () => {
    const theirs: Record<string, Json> = { ...theirSchemas['microsoft.graph.entity'].properties, ...theirSchemas[ENTITY_TYPE].allOf[1].properties };
    const ours: Record<string, Json> = { ...ourSchemas['microsoft.graph.entity'].properties, ...ourSchemas[ENTITY_TYPE].allOf[1].properties };

    it('allOf [entity, an object of the declared properties], as Graph’s', () => {
      const shape = (schema: Json) => ({
        allOf0: schema.allOf[0],
        title: schema.allOf[1].title,
        type: schema.allOf[1].type,
        description: schema.allOf[1].description,
        additionalProperties: schema.allOf[1].additionalProperties,
        names: Object.keys(schema.allOf[1].properties),
      });
      assert.deepEqual(shape(ourSchemas[ENTITY_TYPE]), shape(theirSchemas[ENTITY_TYPE]));
      assert.deepEqual(ourSchemas['microsoft.graph.entity'].title, theirSchemas['microsoft.graph.entity'].title);
      assert.deepEqual(Object.keys(ourSchemas['microsoft.graph.entity'].properties), Object.keys(theirSchemas['microsoft.graph.entity'].properties));
    });

    it('the same property names, and for each the same type, format, pattern, nullable, $ref and description', () => {
      assert.deepEqual(Object.keys(ours).sort(), Object.keys(theirs).sort());
      assert.deepEqual(Object.keys(ours).sort(), [...OPERATION_PROPERTY_NAMES].sort());
      for (const name of Object.keys(theirs)) assert.deepEqual(pick(ours[name]), pick(theirs[name]), name);
    });

    it('the date-time pattern is Graph’s, character for character', () => {
      const dates = OPERATION_PROPERTY_NAMES.filter((p) => model(p).type === 'Edm.DateTimeOffset');
      assert.deepEqual(dates, ['createdDateTime', 'lastActionDateTime']);
      for (const name of dates) {
        assert.equal(typeof theirs[name].pattern, 'string');
        assert.equal(ours[name].pattern, theirs[name].pattern, name);
        assert.equal(ours[name].format, 'date-time');
      }
      assert.equal(DATE_TIME_PATTERN, theirs.createdDateTime.pattern);
    });

    it('nullable exactly where the model says (Graph marks the same; the enum goes by reference alone)', () => {
      for (const name of OPERATION_PROPERTY_NAMES) {
        const def = model(name);
        if (def.type === STATUS_ENUM_TYPE) {
          assert.deepEqual(ours[name], { $ref: `#/components/schemas/${STATUS_ENUM_TYPE}` });
          assert.deepEqual(theirs[name], ours[name]);
        } else {
          assert.equal(ours[name].nullable === true, def.nullable, name);
          assert.equal(theirs[name].nullable === true, def.nullable, `Graph: ${name}`);
        }
      }
    });

    it('what we add to Graph’s property schemas is only maxLength and readOnly, from the model', () => {
      for (const name of OPERATION_PROPERTY_NAMES) {
        const extra = Object.keys(ours[name]).filter((k) => !(k in theirs[name]));
        const def = model(name);
        const expected = def.type === STATUS_ENUM_TYPE ? [] : [...(def.maxLength !== undefined ? ['maxLength'] : []), ...(def.access !== 'client' ? ['readOnly'] : [])];
        assert.deepEqual(extra.sort(), expected.sort(), name);
        assert.equal(ours[name].maxLength, def.type === STATUS_ENUM_TYPE ? undefined : def.maxLength, name);
      }
    });

    it(`${STATUS_ENUM_TYPE}: Graph's enum list, in order`, () => {
      assert.deepEqual(ourSchemas[STATUS_ENUM_TYPE], theirSchemas[STATUS_ENUM_TYPE]);
      assert.deepEqual(ourSchemas[STATUS_ENUM_TYPE].enum, [...STATUS_ENUM_MEMBERS]);
    });
  });

  it('Graph’s references from these paths resolve in ours, but for $search (not served)', () => {
    const unresolved: string[] = [];
    for (const version of VERSIONS) {
      for (const path of [COLLECTION, ITEM]) {
        for (const ref of refsIn(graphOpenApi[version].paths[path])) {
          try {
            resolveRef(mine, ref);
          } catch {
            unresolved.push(ref);
          }
        }
      }
    }
    assert.deepEqual([...new Set(unresolved)], ['#/components/parameters/search']);
  });

  it('the collection response: Graph’s response name, allOf [BaseCollectionPaginationCountResponse, value: array of the entity]', () => {
    const theirRef = graphOpenApi['v1.0'].paths[COLLECTION].get.responses['2XX'].$ref;
    assert.equal(theirRef, `#/components/responses/${ENTITY_TYPE}CollectionResponse`);
    const response = resolveRef(mine, theirRef);
    const schema = resolveRef(mine, response.content['application/json'].schema.$ref);
    assert.deepEqual(schema.allOf[0], { $ref: '#/components/schemas/BaseCollectionPaginationCountResponse' });
    assert.deepEqual(schema.allOf[1].properties, { value: { type: 'array', items: { $ref: `#/components/schemas/${ENTITY_TYPE}` } } });
    assert.equal(schema.allOf[1].type, 'object');
    assert.deepEqual(ourSchemas.BaseCollectionPaginationCountResponse.properties, {
      '@odata.count': { type: 'integer', format: 'int64', nullable: true },
      '@odata.nextLink': { type: 'string', nullable: true },
    });
    assert.deepEqual(mine.paths[COLLECTION].get['x-ms-pageable'], graphOpenApi['v1.0'].paths[COLLECTION].get['x-ms-pageable']);
  });

  it('the error response: Graph’s name, ODataError → MainError → ErrorDetails, InnerError', () => {
    const theirRef = graphOpenApi['v1.0'].paths[ITEM].get.responses.default.$ref;
    assert.equal(theirRef, '#/components/responses/error');
    const error = resolveRef(mine, resolveRef(mine, theirRef).content['application/json'].schema.$ref);
    assert.deepEqual(error.required, ['error']);
    assert.deepEqual(error.properties, { error: { $ref: '#/components/schemas/microsoft.graph.ODataErrors.MainError' } });
    const main = ourSchemas['microsoft.graph.ODataErrors.MainError'];
    assert.deepEqual(main.required, ['code', 'message']);
    assert.deepEqual(Object.keys(main.properties), ['code', 'message', 'target', 'details', 'innerError']);
    assert.deepEqual(main.properties.details, { type: 'array', items: { $ref: '#/components/schemas/microsoft.graph.ODataErrors.ErrorDetails' } });
    assert.deepEqual(main.properties.innerError, { $ref: '#/components/schemas/microsoft.graph.ODataErrors.InnerError' });
    const details = ourSchemas['microsoft.graph.ODataErrors.ErrorDetails'];
    assert.deepEqual([details.required, Object.keys(details.properties)], [['code', 'message'], ['code', 'message', 'target']]);
    assert.deepEqual(Object.keys(ourSchemas['microsoft.graph.ODataErrors.InnerError'].properties), ['request-id', 'client-request-id', 'date']);
  });

  describe('paths', () => {
    it('exactly the routes served: collection, $count and item, under /users/{user-id} and /me', () => {
      for (const version of VERSIONS) {
        assert.deepEqual(Object.keys(ourOpenApi[version].paths).sort(), [COLLECTION, COUNT, ITEM, ME(COLLECTION), ME(COUNT), ME(ITEM)].sort());
      }
    });

    for (const version of VERSIONS) {
      for (const path of [COLLECTION, ITEM]) {
        it(`${version} ${path}: Graph's methods and operationIds (and the /me equivalents)`, () => {
          const theirs = operationsOf(graphOpenApi[version].paths[path]);
          assert.deepEqual(Object.keys(theirs), path === COLLECTION ? ['get', 'post'] : ['delete', 'get', 'patch']);
          assert.deepEqual(operationsOf(ourOpenApi[version].paths[path]), theirs);
          const me = Object.fromEntries(Object.entries(theirs).map(([m, id]) => [m, id.replace(/^user\./, 'me.')]));
          assert.deepEqual(operationsOf(ourOpenApi[version].paths[ME(path)]), me);
        });
      }
    }

    it('$count: GET only, Graph’s operationIds', () => {
      assert.deepEqual(operationsOf(mine.paths[COUNT]), { get: 'user.authentication.operation_GetCount' });
      assert.deepEqual(operationsOf(mine.paths[ME(COUNT)]), { get: 'me.authentication.operation_GetCount' });
      assert.equal(resolveRef(mine, mine.paths[COUNT].get.responses['200'].$ref).content['text/plain'].schema.$ref, '#/components/schemas/ODataCountResponse');
    });

    it('every operation declares each of its path’s template parameters, in: path, required', () => {
      for (const [path, item] of Object.entries(mine.paths as Record<string, Json>)) {
        const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
        for (const [method, operation] of Object.entries(item)) {
          const parameters = parametersOf(mine, operation);
          const declared = [...parameters.values()].filter((p) => p.in === 'path').map((p) => p.name);
          assert.deepEqual(declared, names, `${method} ${path}`);
          for (const name of names) assert.equal(parameters.get(name).required, true, `${method} ${path} ${name}`);
        }
      }
    });

    for (const version of VERSIONS) {
      it(`${version}: the parameters are Graph's, less $search and $expand (refused), plus $skiptoken and headers`, () => {
        const ADDED: Record<string, string[]> = {
          [`get ${COLLECTION}`]: ['$skiptoken', 'Prefer'],
          [`post ${COLLECTION}`]: ['Prefer'],
          [`get ${ITEM}`]: ['If-None-Match', 'Prefer'],
          [`patch ${ITEM}`]: ['If-Match', 'Prefer'],
          [`delete ${ITEM}`]: [],
        };
        const REFUSED = new Set(['$search', '$expand']);
        let compared = 0;
        for (const path of [COLLECTION, ITEM]) {
          for (const [method, operation] of Object.entries(graphOpenApi[version].paths[path] as Record<string, Json>)) {
            const theirs = [...graphParametersOf(operation).keys()];
            const ours = [...parametersOf(ourOpenApi[version], ourOpenApi[version].paths[path][method]).keys()];
            const added = ours.filter((n) => !theirs.includes(n));
            assert.deepEqual(added, ADDED[`${method} ${path}`], `${method} ${path}: the parameters added to Graph's`);
            assert.deepEqual(ours.filter((n) => !added.includes(n)), theirs.filter((n) => !REFUSED.has(n)), `${method} ${path}`);
            compared++;
          }
        }
        assert.equal(compared, 5);
      });
    }

    it('$orderby and $select: the enums of Graph’s beta, in its order', () => {
      const beta = graphOpenApi.beta;
      const theirList = graphParametersOf(beta.paths[COLLECTION].get);
      const theirItem = graphParametersOf(beta.paths[ITEM].get);
      const ourList = parametersOf(mine, mine.paths[COLLECTION].get);
      const ourItem = parametersOf(mine, mine.paths[ITEM].get);
      assert.equal(theirList.get('$orderby').schema.items.enum.length, 12);
      assert.deepEqual(ourList.get('$orderby').schema, theirList.get('$orderby').schema);
      assert.deepEqual(ourList.get('$select').schema, theirList.get('$select').schema);
      assert.deepEqual(ourItem.get('$select').schema, theirItem.get('$select').schema);
      for (const name of ['$orderby', '$select']) {
        const { schema: _schema, ...rest } = ourList.get(name);
        const { schema: _theirs, ...theirRest } = theirList.get(name);
        assert.deepEqual(rest, theirRest, name);
      }
    });

    it('If-Match on PATCH and DELETE, as Graph declares it', () => {
      const theirs = graphParametersOf(graphOpenApi['v1.0'].paths[ITEM].delete).get('If-Match');
      assert.ok(theirs);
      for (const path of [ITEM, ME(ITEM)]) {
        for (const method of ['patch', 'delete']) {
          assert.deepEqual(parametersOf(mine, mine.paths[path][method]).get('If-Match'), theirs, `${method} ${path}`);
        }
      }
    });

    it('responses: 200/201/204 as served, and 4XX/5XX → the error response on every operation', () => {
      const codes = (path: string, method: string) => Object.keys(mine.paths[path][method].responses).sort();
      for (const me of [false, true]) {
        const p = (path: string) => (me ? ME(path) : path);
        assert.deepEqual(codes(p(COLLECTION), 'get'), ['200', '4XX', '5XX']);
        assert.deepEqual(codes(p(COLLECTION), 'post'), ['201', '204', '4XX', '5XX']);
        assert.deepEqual(codes(p(COUNT), 'get'), ['200', '4XX', '5XX']);
        assert.deepEqual(codes(p(ITEM), 'get'), ['200', '304', '4XX', '5XX']);
        assert.deepEqual(codes(p(ITEM), 'patch'), ['200', '204', '4XX', '5XX']);
        assert.deepEqual(codes(p(ITEM), 'delete'), ['204', '4XX', '5XX']);
      }
      for (const item of Object.values(mine.paths as Record<string, Json>)) {
        for (const operation of Object.values(item as Record<string, Json>)) {
          assert.deepEqual(operation.responses['4XX'], { $ref: '#/components/responses/error' });
          assert.deepEqual(operation.responses['5XX'], { $ref: '#/components/responses/error' });
        }
      }
      assert.equal(mine.paths[ITEM].patch.responses['200'].content['application/json'].schema.$ref, `#/components/schemas/${ENTITY_TYPE}`);
      assert.equal(mine.paths[COLLECTION].post.responses['201'].content['application/json'].schema.$ref, `#/components/schemas/${ENTITY_TYPE}`);
      assert.equal(mine.paths[ITEM].delete.responses['204'].content, undefined);
    });
  });
});

describe('what the service serves validates against the published schemas', () => {
  const document = ourOpenApi['v1.0'];
  const schema = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  let h: Harness;
  let token: string;
  const base = '/v1.0/me/authentication/operations';

  before(async () => {
    h = await startHarness();
    token = (await h.user('served-metadata@contoso.com')).token;
  });
  after(() => h.close());

  it('an entity (POST, PATCH, GET), a page with @odata.count and @odata.nextLink, a count, an error', async () => {
    const created = await h.request(token, { method: 'POST', url: base, payload: { resourceLocation: 'https://example.test/r/1' } });
    assert.equal(created.statusCode, 201);
    assert.deepEqual(validate(document, schema(ENTITY_TYPE), created.json), []);
    await h.request(token, { method: 'POST', url: base, payload: {} });

    const patched = await h.request(token, { method: 'PATCH', url: `${base}/${created.json.id}`, payload: { status: 'running', statusDetail: 'halfway' } });
    assert.equal(patched.statusCode, 200);
    assert.deepEqual(validate(document, schema(ENTITY_TYPE), patched.json), []);
    const got = await h.request(token, { method: 'GET', url: `${base}/${created.json.id}` });
    assert.deepEqual(validate(document, schema(ENTITY_TYPE), got.json), []);

    const page = await h.request(token, { method: 'GET', url: `${base}?$top=1&$count=true` });
    assert.equal(page.statusCode, 200);
    assert.equal(page.json['@odata.count'], 2);
    assert.ok(page.json['@odata.nextLink']);
    assert.deepEqual(validate(document, schema(`${ENTITY_TYPE}CollectionResponse`), page.json), []);

    const count = await h.request(token, { method: 'GET', url: `${base}/$count` });
    assert.match(count.body, /^\d+$/);
    assert.deepEqual(validate(document, schema('ODataCountResponse'), Number(count.body)), []);

    const missing = await h.request(token, { method: 'GET', url: `${base}/no-such-operation` });
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(validate(document, schema('microsoft.graph.ODataErrors.ODataError'), missing.json), []);
  });

  it('maxLength is what the service enforces', async () => {
    const id = (await h.request(token, { method: 'POST', url: base, payload: {} })).json.id;
    const strings = OPERATION_PROPERTY_NAMES.filter((p) => model(p).maxLength !== undefined);
    assert.deepEqual(strings.sort(), ['resourceLocation', 'statusDetail']);
    for (const name of strings) {
      const max = model(name).maxLength!;
      const value = name === 'resourceLocation' ? `https://example.test/${'x'.repeat(max - 21)}` : 'x'.repeat(max);
      assert.equal(value.length, max);
      const fits = await h.request(token, { method: 'PATCH', url: `${base}/${id}`, payload: { [name]: value } });
      assert.equal(fits.statusCode, 200, `${name}: ${fits.body}`);
      const over = await h.request(token, { method: 'PATCH', url: `${base}/${id}`, payload: { [name]: `${value}x` } });
      assert.equal(over.statusCode, 400, `${name} one longer`);
    }
  });
});

describe('the validator itself', () => {
  it('the validator reports each kind of mismatch', () => {
    const doc = {
      components: {
        schemas: {
          s: {
            allOf: [
              { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
              {
                type: 'object',
                properties: {
                  n: { type: 'string', nullable: true, maxLength: 2, pattern: '^a' },
                  e: { type: 'string', enum: ['x'] },
                  i: { type: 'integer' },
                  l: { type: 'array', items: { type: 'boolean' } },
                },
              },
            ],
          },
        },
      },
    };
    const s = { $ref: '#/components/schemas/s' };
    assert.deepEqual(validate(doc, s, { id: 'x', n: null, e: 'x', i: 1, l: [true], '@odata.type': 'y' }), []);
    assert.equal(validate(doc, s, { n: 'a' }).length, 1, 'missing required');
    assert.equal(validate(doc, s, { id: null }).length, 1, 'null, not nullable');
    assert.equal(validate(doc, s, { id: 'x', n: 'abc' }).length, 1, 'too long');
    assert.equal(validate(doc, s, { id: 'x', n: 'b' }).length, 1, 'pattern');
    assert.equal(validate(doc, s, { id: 'x', e: 'z' }).length, 1, 'enum');
    assert.equal(validate(doc, s, { id: 'x', i: 1.5 }).length, 1, 'integer');
    assert.equal(validate(doc, s, { id: 'x', l: ['no'] }).length, 1, 'array item');
    assert.equal(validate(doc, s, { id: 'x', extra: 1 }).length, 1, 'undeclared');
    assert.equal(validate(doc, s, []).length, 1, 'not an object');
  });
});
