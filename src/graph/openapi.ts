import { ENTITY_TYPE, STATUS_ENUM_TYPE, type OperationProperty } from '../operations/long-running-operation.js';
import { STATUS_ENUM_MEMBERS } from '../operations/status.js';
import {
  CSDL_PROPERTY_ORDER,
  DECLARED_PROPERTIES,
  definitionOf,
  ENTITY_DESCRIPTION,
  KEY_PROPERTIES,
  localName,
  NAMESPACE,
  PROPERTY_DESCRIPTIONS,
} from './csdl.js';
import { MAX_SKIP } from './list-options.js';

/**
 * `openapi.json`: an OpenAPI 3.0.4 description of exactly the routes this service serves, generated from the
 * model definition, in the shapes Microsoft's OpenAPI for Graph uses (schema names, `allOf` on entity,
 * the collection response, the ODataErrors schemas, operationIds).
 */

export type OpenApiVersion = 'v1.0' | 'beta';

type Json = { [key: string]: unknown };

/** Graph's pattern for Edm.DateTimeOffset, character for character. */
export const DATE_TIME_PATTERN =
  '^[0-9]{4,}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,12})?(Z|[+-][0-9][0-9]:[0-9][0-9])$';

const ENTITY = `${NAMESPACE}.entity`;
const COLLECTION_RESPONSE = `${ENTITY_TYPE}CollectionResponse`;
const BASE_COLLECTION = 'BaseCollectionPaginationCountResponse';
const COUNT_RESPONSE = 'ODataCountResponse';
const ODATA_ERROR = `${NAMESPACE}.ODataErrors.ODataError`;
const MAIN_ERROR = `${NAMESPACE}.ODataErrors.MainError`;
const ERROR_DETAILS = `${NAMESPACE}.ODataErrors.ErrorDetails`;
const INNER_ERROR = `${NAMESPACE}.ODataErrors.InnerError`;

const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const responseRef = (name: string) => ({ $ref: `#/components/responses/${name}` });
const parameterRef = (name: string) => ({ $ref: `#/components/parameters/${name}` });

// ---- schemas, from the model ----

function propertySchema(name: OperationProperty): Json {
  const definition = definitionOf(name);
  const facets: Json = {
    description: PROPERTY_DESCRIPTIONS[name],
    ...(definition.maxLength !== undefined && { maxLength: definition.maxLength }),
    ...(definition.nullable && { nullable: true }),
    ...(definition.access !== 'client' && { readOnly: true }),
  };
  switch (definition.type) {
    case 'Edm.String':
      return { type: 'string', ...facets };
    case 'Edm.DateTimeOffset':
      return { pattern: DATE_TIME_PATTERN, type: 'string', format: 'date-time', ...facets };
    case STATUS_ENUM_TYPE:
      // As Graph writes it: the enum by reference alone (OpenAPI 3.0 ignores siblings of $ref).
      return schemaRef(STATUS_ENUM_TYPE);
    default: {
      const unknown: never = definition.type;
      throw new Error(`no OpenAPI schema for ${String(unknown)}`);
    }
  }
}

function properties(names: readonly OperationProperty[]): Json {
  return Object.fromEntries(names.map((name) => [name, propertySchema(name)]));
}

function schemas(): Json {
  return {
    [ENTITY_TYPE]: {
      allOf: [
        schemaRef(ENTITY),
        {
          title: localName(ENTITY_TYPE),
          type: 'object',
          properties: properties(DECLARED_PROPERTIES),
          additionalProperties: { type: 'object' },
          description: ENTITY_DESCRIPTION,
        },
      ],
    },
    [STATUS_ENUM_TYPE]: { title: localName(STATUS_ENUM_TYPE), enum: [...STATUS_ENUM_MEMBERS], type: 'string' },
    [ENTITY]: {
      title: localName(ENTITY),
      type: 'object',
      properties: properties(KEY_PROPERTIES),
      additionalProperties: { type: 'object' },
    },
    [COLLECTION_RESPONSE]: {
      allOf: [
        schemaRef(BASE_COLLECTION),
        {
          title: `Collection of ${localName(ENTITY_TYPE)}`,
          type: 'object',
          properties: { value: { type: 'array', items: schemaRef(ENTITY_TYPE) } },
        },
      ],
    },
    [BASE_COLLECTION]: {
      title: 'Base collection pagination and count responses',
      type: 'object',
      properties: {
        '@odata.count': { type: 'integer', format: 'int64', nullable: true },
        '@odata.nextLink': { type: 'string', nullable: true },
      },
    },
    [COUNT_RESPONSE]: { type: 'integer', format: 'int32' },
    [ODATA_ERROR]: {
      required: ['error'],
      type: 'object',
      properties: { error: schemaRef(MAIN_ERROR) },
    },
    [MAIN_ERROR]: {
      required: ['code', 'message'],
      type: 'object',
      properties: {
        code: { type: 'string' },
        message: { type: 'string', 'x-ms-primary-error-message': true },
        target: { type: 'string', nullable: true },
        details: { type: 'array', items: schemaRef(ERROR_DETAILS) },
        innerError: schemaRef(INNER_ERROR),
      },
    },
    [ERROR_DETAILS]: {
      required: ['code', 'message'],
      type: 'object',
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        target: { type: 'string', nullable: true },
      },
    },
    [INNER_ERROR]: {
      type: 'object',
      properties: {
        'request-id': { type: 'string', description: 'Request Id as tracked internally by the service', nullable: true },
        'client-request-id': { type: 'string', description: 'Client request Id as sent by the client application.', nullable: true },
        // Graph writes (and so do we) `yyyy-MM-ddTHH:mm:ss` in UTC without a zone, which its own date-time
        // pattern would refuse: the format stays, the pattern is left out.
        date: {
          type: 'string',
          description: 'Date when the error occured: UTC, written yyyy-MM-ddTHH:mm:ss without a zone, as Graph writes it.',
          format: 'date-time',
          nullable: true,
        },
      },
    },
  };
}

// ---- parameters and responses ----

const dollar = (name: string, description: string, schema: Json, extra: Json = {}): Json => ({
  name: `$${name}`,
  in: 'query',
  description,
  style: 'form',
  explode: false,
  schema,
  ...extra,
});

const header = (name: string, description: string): Json => ({ name, in: 'header', description, style: 'simple', schema: { type: 'string' } });

function parameters(): Json {
  return {
    top: dollar('top', 'Show only the first n items', { minimum: 1, type: 'integer' }, { example: 50 }),
    skip: dollar('skip', 'Skip the first n items', { minimum: 0, maximum: MAX_SKIP, type: 'integer' }),
    filter: dollar('filter', 'Filter items by property values', { type: 'string' }),
    count: dollar('count', 'Include count of items', { type: 'boolean' }),
    orderby: dollar('orderby', 'Order items by property values', {
      uniqueItems: true,
      type: 'array',
      items: { enum: CSDL_PROPERTY_ORDER.flatMap((p) => [p, `${p} desc`]), type: 'string' },
    }),
    select: dollar('select', 'Select properties to be returned', {
      uniqueItems: true,
      type: 'array',
      items: { enum: [...CSDL_PROPERTY_ORDER], type: 'string' },
    }),
    skiptoken: dollar('skiptoken', 'The continuation token of the next page: follow @odata.nextLink as served rather than building it', {
      type: 'string',
    }),
    'If-Match': header('If-Match', 'ETag'),
    'If-None-Match': header('If-None-Match', 'ETag: answer 304 Not Modified while the operation is unchanged'),
    'Prefer.read': header('Prefer', 'include-unknown-enum-members'),
    'Prefer.write': header('Prefer', 'return=minimal (answer 204 without a body), include-unknown-enum-members'),
  };
}

function responses(): Json {
  return {
    error: { description: 'error', content: { 'application/json': { schema: schemaRef(ODATA_ERROR) } } },
    [COLLECTION_RESPONSE]: {
      description: 'Retrieved collection',
      content: { 'application/json': { schema: schemaRef(COLLECTION_RESPONSE) } },
    },
    [COUNT_RESPONSE]: { description: 'The count of the resource', content: { 'text/plain': { schema: schemaRef(COUNT_RESPONSE) } } },
  };
}

// ---- paths ----

const ERRORS = { '4XX': responseRef('error'), '5XX': responseRef('error') };
const ETAG = { ETag: { description: "The entity tag of the operation's current version", schema: { type: 'string' } } };
const entityContent = () => ({ 'application/json': { schema: schemaRef(ENTITY_TYPE) } });

const pathParameter = (name: string, description: string, keyType: string): Json => ({
  name,
  in: 'path',
  description,
  required: true,
  style: 'simple',
  schema: { type: 'string' },
  'x-ms-docs-key-type': keyType,
});

interface Root {
  /** The path up to `/authentication/operations`. */
  readonly path: string;
  readonly operationPrefix: string;
  readonly tag: string;
  readonly parameters: readonly Json[];
  readonly owner: string;
}

const ROOTS: readonly Root[] = [
  {
    path: '/users/{user-id}',
    operationPrefix: 'user.authentication',
    tag: 'users.authentication',
    parameters: [pathParameter('user-id', 'The unique identifier of user (its id or userPrincipalName)', 'user')],
    owner: 'users',
  },
  { path: '/me', operationPrefix: 'me.authentication', tag: 'me.authentication', parameters: [], owner: 'me' },
];

function pathsOf(root: Root): Json {
  const collection = `${root.path}/authentication/operations`;
  const id = pathParameter('longRunningOperation-id', 'The unique identifier of longRunningOperation', 'longRunningOperation');
  const operation = (verb: string, summary: string, body: Json): Json => ({
    tags: [root.tag],
    summary,
    operationId: `${root.operationPrefix}_${verb}Operation`,
    ...body,
    'x-ms-docs-operation-type': 'operation',
  });
  const requestBody = (description: string) => ({ description, content: entityContent(), required: true });

  return {
    [collection]: {
      get: operation('List', 'List longRunningOperation', {
        description: 'The long-running operations of the user, a page at a time.',
        parameters: [
          ...root.parameters,
          ...['top', 'skip', 'filter', 'count', 'orderby', 'select', 'skiptoken', 'Prefer.read'].map(parameterRef),
        ],
        responses: { '200': responseRef(COLLECTION_RESPONSE), ...ERRORS },
        'x-ms-pageable': { nextLinkName: '@odata.nextLink', operationName: 'listMore' },
      }),
      post: operation('Create', `Create new navigation property to operations for ${root.owner}`, {
        parameters: [...root.parameters, parameterRef('Prefer.write')],
        requestBody: requestBody('New navigation property'),
        responses: {
          '201': {
            description: 'Created navigation property.',
            headers: { Location: { description: 'The URL of the new operation', schema: { type: 'string' } }, ...ETAG },
            content: entityContent(),
          },
          '204': { description: 'Created (Prefer: return=minimal)', headers: ETAG },
          ...ERRORS,
        },
      }),
    },
    [`${collection}/$count`]: {
      get: {
        tags: [root.tag],
        summary: 'Get the number of the resource',
        operationId: `${root.operationPrefix}.operation_GetCount`,
        parameters: [...root.parameters, parameterRef('filter')],
        responses: { '200': responseRef(COUNT_RESPONSE), ...ERRORS },
      },
    },
    [`${collection}/{longRunningOperation-id}`]: {
      get: operation('Get', 'Get longRunningOperation', {
        description:
          'Read the properties of a longRunningOperation object. The possible states of the long-running operation are ' +
          `${STATUS_ENUM_MEMBERS.join(', ')} where succeeded and failed are terminal states.`,
        parameters: [...root.parameters, id, parameterRef('select'), parameterRef('If-None-Match'), parameterRef('Prefer.read')],
        responses: {
          '200': { description: 'Retrieved navigation property', headers: ETAG, content: entityContent() },
          '304': { description: 'Not modified', headers: ETAG },
          ...ERRORS,
        },
      }),
      patch: operation('Update', `Update the navigation property operations in ${root.owner}`, {
        parameters: [...root.parameters, id, parameterRef('If-Match'), parameterRef('Prefer.write')],
        requestBody: requestBody('New navigation property values'),
        responses: {
          '200': { description: 'Success', headers: ETAG, content: entityContent() },
          '204': { description: 'Success (Prefer: return=minimal)', headers: ETAG },
          ...ERRORS,
        },
      }),
      delete: operation('Delete', `Delete navigation property operations for ${root.owner}`, {
        parameters: [...root.parameters, id, parameterRef('If-Match')],
        responses: { '204': { description: 'Success' }, ...ERRORS },
      }),
    },
  };
}

// ---- the document ----

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

interface Invariant {
  readonly paths: Json;
  readonly components: Json;
  readonly tags: readonly Json[];
  readonly security: readonly Json[];
}

let invariant: Invariant | undefined;

/** Everything but the version and the server URL, built once (and frozen, since every document shares it). */
function invariantParts(): Invariant {
  invariant ??= deepFreeze({
    paths: Object.assign({}, ...ROOTS.map(pathsOf)) as Json,
    components: {
      schemas: schemas(),
      responses: responses(),
      parameters: parameters(),
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'An access token for Microsoft Graph (delegated or application) from the configured authority.',
        },
      },
    },
    tags: ROOTS.map((root) => ({ name: root.tag })),
    security: [{ bearerAuth: [] }],
  });
  return invariant;
}

/** The OpenAPI document for one API version, its server at `serverUrl` (e.g. `https://host/v1.0`). */
export function openApiDocument(version: OpenApiVersion, serverUrl: string): object {
  const { paths, components, tags, security } = invariantParts();
  return {
    openapi: '3.0.4',
    info: {
      title: 'graph-lro: Microsoft Graph longRunningOperation',
      description: "The users' authentication operations (microsoft.graph.longRunningOperation), as Microsoft Graph serves them.",
      version,
    },
    servers: [{ url: serverUrl, description: 'Core' }],
    paths,
    components,
    security,
    tags,
  };
}
