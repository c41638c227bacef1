import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { operationsContext } from '../../src/graph/odata-context.js';

const ROOT = 'https://graph.example/v1.0';
const keyIn = (key: string) => /#users\('(.*)'\)\/authentication/.exec(operationsContext(ROOT, key, { entity: true }))![1];

describe('@odata.context: the user key as Graph writes it', () => {
  it('an object id, and any key encodeURIComponent keeps, appears as it is', () => {
    for (const key of ['0b8e2ad3-5b1f-4a7c-9d0e-2f4a6c8e1b3d', 'A_z.0!~*()-', '']) assert.equal(keyIn(key), key);
  });

  it('anything else is percent-encoded as encodeURIComponent does, and a quote doubles', () => {
    assert.equal(keyIn('alice@contoso.com'), 'alice%40contoso.com');
    assert.equal(keyIn("o'brien@contoso.com"), "o''brien%40contoso.com");
    assert.equal(keyIn('a b/c?é'), 'a%20b%2Fc%3F%C3%A9');
  });

  it('the whole context: the select list in parentheses, /$entity for one entity', () => {
    assert.equal(
      operationsContext(ROOT, 'u1', { select: ['id', 'status'], entity: true }),
      "https://graph.example/v1.0/$metadata#users('u1')/authentication/operations(id,status)/$entity",
    );
    assert.equal(operationsContext(ROOT, 'u1', { entity: false }), "https://graph.example/v1.0/$metadata#users('u1')/authentication/operations");
  });
});
