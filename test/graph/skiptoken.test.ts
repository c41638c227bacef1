import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeSkipToken, encodeSkipToken } from '../../src/graph/skiptoken.js';
import type { OrderKey, SortValue } from '../../src/operations/ports/operation-store.js';
import { seededRandom } from '../fixtures/seeded-random.js';
import { isInvalidQuery } from '../support/graph-errors.js';
import { OPERATIONS, startHarness, type Harness } from '../support/harness.js';

const asc = (property: OrderKey['property']): OrderKey => ({ property, descending: false });
const desc = (property: OrderKey['property']): OrderKey => ({ property, descending: true });

const BIG_TICKS = 17_487_812_967_891_234n; // past 2^53
const DEFAULT_ORDER = [asc('createdDateTime')];

/** Orders whose cursors are all different; each with sample values (the id tie-breaker included). */
const CASES: { name: string; order: OrderKey[]; values: SortValue[] }[] = [
  { name: 'no order (id only)', order: [], values: ['a1b2'] },
  { name: 'createdDateTime asc', order: [asc('createdDateTime')], values: [BIG_TICKS, 'f00d'] },
  { name: 'createdDateTime desc', order: [desc('createdDateTime')], values: [-1n, 'f00d'] },
  { name: 'createdDateTime asc, null value', order: [asc('createdDateTime')], values: [null, 'f00d'] },
  { name: 'lastActionDateTime desc', order: [desc('lastActionDateTime')], values: [BIG_TICKS + 1n, 'x'] },
  { name: 'status desc, lastActionDateTime asc', order: [desc('status'), asc('lastActionDateTime')], values: [3, 0n, 'y'] },
  { name: 'status asc', order: [asc('status')], values: [0, 'z'] },
  { name: 'statusDetail asc, null value', order: [asc('statusDetail')], values: [null, 'id-1'] },
  { name: 'statusDetail asc, unicode', order: [asc('statusDetail')], values: ['naïve 😀 "quoted", comma', 'id-2'] },
  { name: 'resourceLocation desc, id desc', order: [desc('resourceLocation'), desc('id')], values: ['https://x/y?a=1&b=2', 'id-3'] },
  { name: 'id desc', order: [desc('id')], values: ['zzz'] },
];

function assertRefused(token: string, order: readonly OrderKey[], message?: string): void {
  assert.throws(() => decodeSkipToken(token, order), isInvalidQuery, message ?? token);
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const tokenOf = (cursor: unknown) => b64(JSON.stringify(cursor));

describe('$skiptoken', () => {
  describe('round trip', () => {
    for (const { name, order, values } of CASES) {
      it(name, () => {
        const token = encodeSkipToken(order, values);
        assert.match(token, /^[A-Za-z0-9_-]+$/, 'base64url, safe in a URL without escaping');
        assert.deepEqual(decodeSkipToken(token, order), values);
      });
    }

    it('keeps bigint ticks exact and typed as bigint', () => {
      const [ticks] = decodeSkipToken(encodeSkipToken(DEFAULT_ORDER, [BIG_TICKS, 'id']), DEFAULT_ORDER);
      assert.equal(typeof ticks, 'bigint');
      assert.equal(ticks, BIG_TICKS);
      const [next] = decodeSkipToken(encodeSkipToken(DEFAULT_ORDER, [BIG_TICKS + 1n, 'id']), DEFAULT_ORDER);
      assert.equal(next, BIG_TICKS + 1n);
    });
  });

  it('refuses a token made for one order when presented for another', () => {
    for (const made of CASES) {
      const token = encodeSkipToken(made.order, made.values);
      for (const other of CASES) {
        const sameOrder = JSON.stringify(other.order) === JSON.stringify(made.order);
        if (sameOrder) continue;
        assertRefused(token, other.order, `token for '${made.name}' read as '${other.name}'`);
      }
    }
  });

  it('refuses garbage and wrongly shaped tokens with invalidQuery', () => {
    const garbage = [
      '',
      '!!!',
      'not-a-token',
      '%%%',
      '=',
      b64('hello'),
      b64('{'),
      b64('{"o":"createdDateTime,id","v":['),
      b64('null'),
      b64('[]'),
      b64('"createdDateTime,id"'),
      b64('42'),
      b64('true'),
      tokenOf({}),
      tokenOf({ o: 'createdDateTime,id' }),
      tokenOf({ v: ['1', 'x'] }),
      tokenOf({ o: 'createdDateTime,id', v: '1,x' }),
      tokenOf({ o: 1, v: ['1', 'x'] }),
      tokenOf({ o: null, v: ['1', 'x'] }),
      tokenOf({ o: 'createdDateTime,id', v: { 0: '1', 1: 'x', length: 2 } }),
      tokenOf([{ o: 'createdDateTime,id', v: ['1', 'x'] }]),
    ];
    for (const token of garbage) assertRefused(token, DEFAULT_ORDER);
  });

  it('refuses values of the wrong type or count for the order', () => {
    const dateOrder = DEFAULT_ORDER;
    for (const v of [
      [1, 'x'], // ticks must be a decimal string
      ['1.5', 'x'],
      ['1e3', 'x'],
      ['0x10', 'x'],
      [' 1', 'x'],
      ['', 'x'],
      ['12345678901234567890', 'x'], // 20 digits
      [true, 'x'],
      [['1'], 'x'],
      ['1', null], // id is not nullable
      ['1', 1],
      ['1'], // too few
      ['1', 'x', 'y'], // too many
      [],
    ]) {
      assertRefused(tokenOf({ o: 'createdDateTime,id', v }), dateOrder, JSON.stringify(v));
    }
    const statusOrder = [asc('status')];
    for (const v of [[4, 'x'], [-1, 'x'], [1.5, 'x'], ['1', 'x'], [true, 'x'], [{}, 'x']]) {
      assertRefused(tokenOf({ o: 'status,id', v }), statusOrder, JSON.stringify(v));
    }
    const detailOrder = [asc('statusDetail')];
    for (const v of [[1, 'x'], [{}, 'x'], [['a'], 'x']]) {
      assertRefused(tokenOf({ o: 'statusDetail,id', v }), detailOrder, JSON.stringify(v));
    }
  });

  it('refuses every strict prefix of a valid token (a truncated nextLink)', () => {
    const token = encodeSkipToken([desc('status'), asc('lastActionDateTime')], [2, BIG_TICKS, 'abc']);
    for (let length = 0; length < token.length - 1; length++) {
      assertRefused(token.slice(0, length), [desc('status'), asc('lastActionDateTime')], `prefix of length ${length}`);
    }
  });

  it('answers tampered tokens with invalidQuery or a well-typed cursor, never another exception', () => {
    const order = [desc('status'), asc('lastActionDateTime')];
    const token = encodeSkipToken(order, [2, BIG_TICKS, 'abc']);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let refused = 0;
    for (let i = 0; i < token.length; i++) {
      for (const c of alphabet) {
        if (c === token[i]) continue;
        const tampered = token.slice(0, i) + c + token.slice(i + 1);
        let values: SortValue[];
        try {
          values = decodeSkipToken(tampered, order);
        } catch (error) {
          isInvalidQuery(error);
          refused++;
          continue;
        }
        // An unsigned cursor can be edited into another valid one; it must still have the right shape.
        assert.equal(values.length, 3, tampered);
        assert.ok(typeof values[0] === 'number' && Number.isInteger(values[0]) && values[0] >= 0 && values[0] <= 3, tampered);
        assert.ok(typeof values[1] === 'bigint' || values[1] === null, tampered);
        assert.equal(typeof values[2], 'string', tampered);
      }
    }
    assert.ok(refused > 0);
  });

  it('property: random byte strings, base64url-encoded, are refused with invalidQuery', () => {
    const random = seededRandom(0x5eed_0003n);
    const orders = CASES.map((c) => c.order);
    for (let i = 0; i < 3000; i++) {
      const bytes = random.bytes(random.int(96));
      const order = random.pick(orders);
      assertRefused(bytes.toString('base64url'), order, `seed case ${i}: ${bytes.toString('hex')}`);
    }
  });

  it('property: random JSON cursors with the right signature decode only to well-typed values', () => {
    const random = seededRandom(0x5eed_0004n);
    const pool: unknown[] = [null, true, false, 0, 1, 2, 3, 4, -1, 1.5, '', 'x', '123', '-123', '99999999999999999999', [], {}, ['1']];
    const order = [desc('status'), asc('createdDateTime')];
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      const length = random.int(5);
      const v = Array.from({ length }, () => random.pick(pool));
      let values: SortValue[];
      try {
        values = decodeSkipToken(tokenOf({ o: 'status desc,createdDateTime,id', v }), order);
      } catch (error) {
        isInvalidQuery(error);
        continue;
      }
      accepted++;
      assert.equal(values.length, 3, JSON.stringify(v));
      assert.ok(values[0] === null || [0, 1, 2, 3].includes(values[0] as number), JSON.stringify(v)); // status is nullable in the model
      assert.ok(values[1] === null || typeof values[1] === 'bigint', JSON.stringify(v));
      assert.equal(typeof values[2], 'string', JSON.stringify(v));
    }
    assert.ok(accepted > 0, 'some random cursors are valid, so the acceptance path was exercised');
  });

  it('refuses tick values no DateTimeOffset can have (beyond 64-bit integers), instead of handing them to the store', () => {
    for (const ticks of ['9999999999999999999', '-9999999999999999999', '9223372036854775808', '-9223372036854775809']) {
      assertRefused(tokenOf({ o: 'createdDateTime,id', v: [ticks, 'x'] }), DEFAULT_ORDER, ticks);
    }
  });

  describe('over HTTP', () => {
    let h: Harness;
    let token: string;

    before(async () => {
      h = await startHarness();
      token = (await h.user('skiptoken@contoso.com')).token;
      for (let i = 0; i < 3; i++) {
        const res = await h.request(token, { method: 'POST', url: OPERATIONS, payload: {} });
        assert.equal(res.statusCode, 201);
      }
    });
    after(() => h.close());

    it('a garbage $skiptoken is 400 BadRequest', async () => {
      const res = await h.request(token, { method: 'GET', url: `${OPERATIONS}?$skiptoken=${b64('{')}` });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json.error.code, 'BadRequest');
    });

    it('a $skiptoken whose ticks overflow 64 bits is 400 BadRequest, not 500', async () => {
      for (const ticks of [9_999_999_999_999_999_999n, -9_999_999_999_999_999_999n]) {
        const skiptoken = encodeSkipToken(DEFAULT_ORDER, [ticks, 'x']);
        const res = await h.request(token, { method: 'GET', url: `${OPERATIONS}?$top=1&$skiptoken=${skiptoken}` });
        assert.equal(res.statusCode, 400, `ticks ${ticks}: ${res.body}`);
        assert.equal(res.json.error.code, 'BadRequest');
      }
    });

    it('the nextLink token pages through the collection', async () => {
      const first = await h.request(token, { method: 'GET', url: `${OPERATIONS}?$top=2` });
      assert.equal(first.statusCode, 200);
      assert.equal(first.json.value.length, 2);
      const next = new URL(first.json['@odata.nextLink']);
      const second = await h.request(token, { method: 'GET', url: `${next.pathname}${next.search}` });
      assert.equal(second.statusCode, 200);
      const firstIds = first.json.value.map((op: { id: string }) => op.id);
      const secondIds = second.json.value.map((op: { id: string }) => op.id);
      assert.deepEqual(
        secondIds.filter((id: string) => firstIds.includes(id)),
        [],
        'the second page starts after the last row of the first, repeating none',
      );
      assert.equal(secondIds.length, 1);
      assert.equal(second.json['@odata.nextLink'], undefined);
    });
  });
});
