import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashSecret, isSecretHash, verifySecret } from '../../src/sign-in/secret-hash.js';

describe('secret hashes', () => {
  it('a salted scrypt hash that verifies the secret it was made from, and no other', async () => {
    const hash = await hashSecret('correct horse');
    assert.match(hash, /^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    assert.notEqual(hash, await hashSecret('correct horse'), 'a new salt each time');
    assert.equal(await verifySecret('correct horse', hash), true);
    assert.equal(await verifySecret('correct horsE', hash), false);
    assert.equal(await verifySecret('', hash), false);
  });

  it('compares Unicode by its normal form, as a user typing it would expect', async () => {
    assert.equal(await verifySecret('e\u0301t\u00e9', await hashSecret('\u00e9te\u0301')), true);
  });

  it('refuses hashes it did not make the shape of, and costs that would exhaust memory', async () => {
    const hash = await hashSecret('x');
    for (const bad of ['', 'x', hash.replace('scrypt', 'bcrypt'), hash.replace('$16384$', '$16383$'), hash.replace('$16384$', '$1048576$'), hash.replace('$8$', '$64$')]) {
      assert.equal(isSecretHash(bad), false, bad);
      assert.equal(await verifySecret('x', bad), false);
    }
    assert.equal(isSecretHash(hash), true);
  });
});
