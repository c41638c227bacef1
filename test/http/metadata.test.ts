/**
 * `/{version}/$metadata` and `/{version}/openapi.json` over HTTP, on a bare Fastify instance with Graph's
 * headers and error handling (the pipeline app.ts builds), the metadata plugin registered for both versions
 * outside an authenticated scope, as app.ts is to register it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { GraphError } from '../../src/graph/errors.js';
import { csdlDocument, escapeXml } from '../../src/graph/csdl.js';
import { registerErrorHandling } from '../../src/graph/error-envelope.js';
import { openApiDocument } from '../../src/graph/openapi.js';
import { GRAPH_JSON, registerGraphHeaders } from '../../src/graph/response-headers.js';
import { metadataRoutes } from '../../src/routes/metadata.js';

const VERSIONS = ['v1.0', 'beta'] as const;
const XML_TYPE = 'application/xml;charset=utf-8';
const JSON_TYPE = 'application/json;charset=utf-8';

// ---- a small well-formedness checker: every tag balanced, attributes quoted and unique, entities valid ----

const NAME = '[A-Za-z_][A-Za-z0-9_.:-]*';
const TOKEN = new RegExp(
  [
    '<\\?xml\\s[^?]*\\?>', // XML declaration
    '<!--(?:(?!--)[\\s\\S])*-->', // comment
    `</(${NAME})\\s*>`, // end tag
    `<(${NAME})((?:\\s+${NAME}\\s*=\\s*"[^"<]*")*)\\s*(/?)>`, // start or empty tag
    '[^<]+', // text
  ].join('|'),
  'y',
);
const ENTITY_REF = /&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);)/;

/** Throws unless `xml` is one well-formed element (with an optional declaration and comments around it). */
function checkXml(xml: string): { root: string; elements: number; maxDepth: number } {
  const stack: string[] = [];
  let root: string | undefined;
  let elements = 0;
  let maxDepth = 0;
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < xml.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(xml);
    if (!m) throw new Error(`not well-formed at offset ${at}: ${JSON.stringify(xml.slice(at, at + 40))}`);
    const [text, endName, startName, attrs, empty] = m;
    if (text.startsWith('<?xml')) {
      if (at !== 0) throw new Error('the XML declaration must come first');
    } else if (text.startsWith('<!--')) {
      // comments are allowed anywhere
    } else if (endName !== undefined) {
      const open = stack.pop();
      if (open !== endName) throw new Error(`</${endName}> at offset ${at} closes <${open ?? 'nothing'}>`);
    } else if (startName !== undefined) {
      if (stack.length === 0) {
        if (root !== undefined) throw new Error(`a second root element <${startName}> at offset ${at}`);
        root = startName;
      }
      const names = [...(attrs ?? '').matchAll(new RegExp(`(${NAME})\\s*=\\s*"([^"]*)"`, 'g'))];
      const seen = new Set<string>();
      for (const [, name, value] of names) {
        if (seen.has(name!)) throw new Error(`<${startName}> repeats the attribute ${name}`);
        seen.add(name!);
        if (ENTITY_REF.test(value!)) throw new Error(`<${startName} ${name}> has a bare '&'`);
      }
      elements++;
      if (empty !== '/') stack.push(startName);
      maxDepth = Math.max(maxDepth, stack.length + (empty === '/' ? 1 : 0));
    } else {
      if (stack.length === 0 && text.trim() !== '') throw new Error(`text outside the root element at offset ${at}`);
      if (ENTITY_REF.test(text)) throw new Error(`a bare '&' in text at offset ${at}`);
    }
  }
  if (stack.length > 0) throw new Error(`unclosed: ${stack.join(' > ')}`);
  if (root === undefined) throw new Error('no root element');
  return { root, elements, maxDepth };
}

// ---- the app ----

async function buildMetadataApp(): Promise<FastifyInstance> {
  const app = Fastify();
  registerGraphHeaders(app);
  registerErrorHandling(app);
  for (const version of VERSIONS) await app.register(metadataRoutes, { prefix: `/${version}`, version });
  // An authenticated scope beside it, as in app.ts: every route in it needs a token.
  await app.register(async (api) => {
    api.addHook('onRequest', async (request) => {
      if (!request.headers.authorization) throw new GraphError('unauthenticated');
    });
    api.get('/v1.0/me/authentication/operations', async () => ({ value: [] }));
  });
  await app.ready();
  return app;
}

describe('metadata routes', () => {
  let app: FastifyInstance;
  before(async () => {
    app = await buildMetadataApp();
  });
  after(() => app.close());

  describe('GET /{version}/$metadata', () => {
    for (const version of VERSIONS) {
      it(`${version}: 200, application/xml;charset=utf-8, the CSDL document, well-formed`, async () => {
        const res = await app.inject({ method: 'GET', url: `/${version}/$metadata` });
        assert.equal(res.statusCode, 200);
        assert.equal(res.headers['content-type'], XML_TYPE);
        assert.equal(res.body, csdlDocument());
        assert.ok(res.body.startsWith('<?xml version="1.0" encoding="utf-8"?>\n<edmx:Edmx Version="4.0"'), res.body.slice(0, 80));
        const shape = checkXml(res.body);
        assert.equal(shape.root, 'edmx:Edmx');
        assert.ok(shape.elements > 40, `${shape.elements} elements`);
        assert.ok(shape.maxDepth >= 6, `depth ${shape.maxDepth}`); // Edmx > DataServices > Schema > Annotations > Annotation > Record > PropertyValue
      });
    }

    it('v1.0 and beta answer the same document', async () => {
      const [v1, beta] = await Promise.all(VERSIONS.map((v) => app.inject({ method: 'GET', url: `/${v}/$metadata` })));
      assert.equal(v1!.body, beta!.body);
    });

    it("carries Graph's response headers", async () => {
      const res = await app.inject({ method: 'GET', url: '/v1.0/$metadata', headers: { 'client-request-id': 'meta-1' } });
      assert.equal(res.headers['odata-version'], '4.0');
      assert.equal(res.headers['client-request-id'], 'meta-1');
      assert.ok(res.headers['request-id']);
      assert.ok(res.headers['x-ms-ags-diagnostic']);
    });

    it('needs no token, while the authenticated scope beside it does', async () => {
      const anonymous = await app.inject({ method: 'GET', url: '/v1.0/$metadata' });
      assert.equal(anonymous.statusCode, 200);
      assert.equal(anonymous.headers['www-authenticate'], undefined);
      const guarded = await app.inject({ method: 'GET', url: '/v1.0/me/authentication/operations' });
      assert.equal(guarded.statusCode, 401);
      assert.equal(guarded.json().error.code, 'InvalidAuthenticationToken');
      const withToken = await app.inject({ method: 'GET', url: '/v1.0/$metadata', headers: { authorization: 'Bearer not-a-token' } });
      assert.equal(withToken.statusCode, 200, 'a token, even an invalid one, is not looked at');
    });

    it('answers XML whatever $format or Accept ask for', async () => {
      for (const request of [
        { url: '/v1.0/$metadata?$format=json' },
        { url: '/beta/$metadata?$format=application/json', headers: { accept: 'application/json' } },
        { url: '/v1.0/$metadata', headers: { accept: 'application/json;odata.metadata=full' } },
      ]) {
        const res = await app.inject({ method: 'GET', ...request });
        assert.equal(res.statusCode, 200, request.url);
        assert.equal(res.headers['content-type'], XML_TYPE, request.url);
        assert.equal(res.body, csdlDocument(), request.url);
      }
    });

    it('HEAD answers the headers without a body', async () => {
      const res = await app.inject({ method: 'HEAD', url: '/v1.0/$metadata' });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], XML_TYPE);
      assert.equal(res.body, '');
    });
  });

  describe('GET /{version}/openapi.json', () => {
    for (const version of VERSIONS) {
      it(`${version}: 200, application/json, the document for that version with this server's URL`, async () => {
        const res = await app.inject({ method: 'GET', url: `/${version}/openapi.json`, headers: { host: 'graph.example.test:8443' } });
        assert.equal(res.statusCode, 200);
        assert.equal(res.headers['content-type'], JSON_TYPE, 'plain JSON, not the OData entity media type');
        assert.notEqual(res.headers['content-type'], GRAPH_JSON);
        const document = res.json();
        assert.equal(document.openapi, '3.0.4');
        assert.equal(document.info.version, version);
        assert.deepEqual(
          document.servers.map((s: { url: string }) => s.url),
          [`http://graph.example.test:8443/${version}`],
        );
        assert.deepEqual(document, JSON.parse(JSON.stringify(openApiDocument(version, `http://graph.example.test:8443/${version}`))));
        assert.ok(document.paths['/users/{user-id}/authentication/operations'].get);
      });
    }

    it('needs no token', async () => {
      const res = await app.inject({ method: 'GET', url: '/beta/openapi.json' });
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().servers[0].url, 'http://localhost:80/beta');
    });
  });

  describe('other methods: 405 in Graph’s error envelope', () => {
    for (const url of ['/v1.0/$metadata', '/beta/$metadata', '/v1.0/openapi.json', '/beta/openapi.json']) {
      it(url, async () => {
        for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const) {
          const res = await app.inject({ method, url, ...(method !== 'DELETE' && method !== 'OPTIONS' && { payload: {} }) });
          assert.equal(res.statusCode, 405, `${method} ${url}`);
          assert.equal(res.headers.allow, 'GET, HEAD', `${method} ${url}`);
          assert.equal(res.headers['content-type'], GRAPH_JSON, `${method} ${url}`);
          const body = res.json();
          assert.equal(body.error.code, 'Request_BadRequest', `${method} ${url}`);
          assert.ok(body.error.innerError['request-id'], `${method} ${url}`);
        }
      });
    }
  });
});

describe('the documents as built', () => {
  it('the CSDL string is built once and answered the same each time', () => {
    assert.equal(csdlDocument(), csdlDocument());
  });

  it('OpenAPI documents share their (frozen) invariant parts; version and server differ per call', () => {
    const a = openApiDocument('v1.0', 'https://a.example/v1.0') as { paths: object; components: object; servers: { url: string }[]; info: { version: string } };
    const b = openApiDocument('beta', 'https://b.example/beta') as typeof a;
    assert.equal(a.paths, b.paths);
    assert.equal(a.components, b.components);
    assert.deepEqual([a.servers[0]!.url, b.servers[0]!.url], ['https://a.example/v1.0', 'https://b.example/beta']);
    assert.deepEqual([a.info.version, b.info.version], ['v1.0', 'beta']);
    assert.ok(Object.isFrozen(a.paths) && Object.isFrozen(a.components));
    assert.throws(() => {
      (a.paths as Record<string, unknown>)['/x'] = {};
    }, TypeError);
  });

  it('escapeXml escapes markup, quotes and whitespace that attribute normalization would lose', () => {
    assert.equal(escapeXml(`a&b<c>d"e'f\tg\nh\ri`), 'a&amp;b&lt;c&gt;d&quot;e&apos;f&#9;g&#10;h&#13;i');
    assert.equal(escapeXml('plain text'), 'plain text');
  });
});

describe('the well-formedness checker itself', () => {
  it('accepts well-formed documents', () => {
    assert.deepEqual(checkXml('<?xml version="1.0"?>\n<!-- c --><a x="1" y="&amp;&#10;"><b/><c>t &lt; u</c></a>\n'), { root: 'a', elements: 3, maxDepth: 2 });
  });

  it('refuses what is not', () => {
    const cases: [string, RegExp][] = [
      ['<a><b></a></b>', /closes <b>/], // crossed
      ['<a><b></b>', /unclosed: a/],
      ['</a>', /closes <nothing>/],
      ['<a></a><b></b>', /second root/],
      ['<a x="1" x="2"/>', /repeats the attribute x/],
      ['<a x=1/>', /not well-formed at offset 0/], // unquoted attribute
      ['<a x="&"/>', /bare '&'/],
      ['<a>&</a>', /bare '&' in text/],
      ['<a>x < y</a>', /not well-formed at offset 5/],
      ['text<a/>', /text outside the root/],
      ['<a/><?xml version="1.0"?>', /declaration must come first/],
      ['', /no root element/],
    ];
    for (const [bad, reason] of cases) assert.throws(() => checkXml(bad), reason, JSON.stringify(bad));
  });
});
