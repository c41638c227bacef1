/** The readers of fixtures.ts themselves: what they read, and that they refuse what they do not. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseXml, parseYaml, readSchema } from './fixtures.js';

describe('the fixture readers themselves', () => {
  it('the XML reader builds the tree, decodes entities and refuses malformed input', () => {
    const tree = parseXml('<?xml version="1.0"?><!-- c --><a x="&lt;&amp;&quot;&#65;&#x42;"><b y="1"/><c></c></a>');
    assert.equal(tree.name, 'a');
    assert.equal(tree.attrs.get('x'), '<&"AB');
    assert.deepEqual(tree.children.map((c) => c.name), ['b', 'c']);
    for (const bad of ['<a><b></a></b>', '<a>', '<a/><b/>', '<a x="1" x="2"/>', '<a x="&"/>', '<a>text</a>', '<a x=1/>']) {
      assert.throws(() => parseXml(bad), Error, bad);
    }
  });

  it('the CSDL reader refuses elements it does not know, so nothing is skipped', () => {
    assert.throws(() => readSchema(parseXml('<Schema Namespace="n" Alias="a"><ComplexType Name="c"/></Schema>')), /unexpected <ComplexType>/);
    assert.throws(() => readSchema(parseXml('<Schema Namespace="n" Alias="a"><EntityType Name="t"><Foo/></EntityType></Schema>')), /unexpected <Foo>/);
    const s = readSchema(parseXml('<Schema Namespace="n.s" Alias="a"><EntityType Name="t" BaseType="a.b"><Property Name="p" Type="a.e" MaxLength="3"/><NavigationProperty Name="n" Type="Collection(a.t)"/></EntityType></Schema>'));
    assert.deepEqual(s.entities.get('n.s.t'), {
      abstract: false,
      baseType: 'n.s.b',
      key: [],
      properties: [{ name: 'p', type: 'n.s.e', nullable: true, maxLength: 3 }],
      navigation: [{ name: 'n', type: 'Collection(n.s.t)', containsTarget: false }],
    });
  });

  it('the CSDL reader defaults Nullable to true, resolves aliases, and refuses what it cannot read', () => {
    const schema = readSchema(
      parseXml(
        '<Schema Namespace="n.s" Alias="a"><EnumType Name="e"><Member Name="x" Value="7" /></EnumType>' +
          '<EntityType Name="t" BaseType="a.b"><Property Name="p" Type="a.e" /><Property Name="q" Type="Edm.Int32" Nullable="false" />' +
          '<NavigationProperty Name="n" Type="Collection(a.t)" /></EntityType></Schema>',
      ),
    );
    assert.equal(schema.alias, 'a');
    assert.deepEqual(schema.enums.get('n.s.e'), [['x', 7]]);
    const t = schema.entities.get('n.s.t')!;
    assert.equal(t.baseType, 'n.s.b');
    assert.deepEqual(t.properties, [
      { name: 'p', type: 'n.s.e', nullable: true },
      { name: 'q', type: 'Edm.Int32', nullable: false },
    ]);
    assert.deepEqual(t.navigation, [{ name: 'n', type: 'Collection(n.s.t)', containsTarget: false }]);
    // Content inside an element read by its attributes alone would be skipped: refused instead.
    assert.throws(
      () => readSchema(parseXml('<Schema Namespace="n" Alias="a"><EntityType Name="t"><Property Name="p" Type="Edm.String"><Annotation Term="x" /></Property></EntityType></Schema>')),
      /unexpected content in <Property>/,
    );
  });

  it('the YAML reader reads mappings, nested sequences of scalars and of mappings, and quoting', () => {
    const yaml = [
      '# comment',
      'a: 1',
      "'/p/{x}':",
      '  get:',
      '    tags:',
      '      - t1',
      "      - '*'",
      '    parameters:',
      '      - name: $select',
      '        in: query',
      "      - $ref: '#/c/p'",
      '    ok: true',
      "    text: 'it''s: quoted'",
      '    url: https://example.test/x',
      'b:',
      '- x',
      '- y desc',
    ].join('\n');
    assert.deepEqual(parseYaml(yaml), {
      a: 1,
      '/p/{x}': {
        get: {
          tags: ['t1', '*'],
          parameters: [{ name: '$select', in: 'query' }, { $ref: '#/c/p' }],
          ok: true,
          text: "it's: quoted",
          url: 'https://example.test/x',
        },
      },
      b: ['x', 'y desc'],
    });
    assert.throws(() => parseYaml('a: 1\n  b: 2'), /indentation|mapping entry/);
    assert.throws(() => parseYaml('a: {b: 1}'));
    assert.throws(() => parseYaml('a: 1\na: 2'), /once/);
  });
});
