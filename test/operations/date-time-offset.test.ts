import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatDateTimeOffset,
  MAX_TICKS,
  MIN_TICKS,
  parseDateTimeOffset,
  type Ticks,
} from '../../src/operations/date-time-offset.js';
import { seededRandom } from '../fixtures/seeded-random.js';

// Independent expectations: 100 ns ticks relative to the Unix epoch, computed here without the module.
const TICKS_PER_MS = 10_000n;
/** 0001-01-01T00:00:00Z: 719,162 days before 1970-01-01. */
const FIRST_TICK = -719_162n * 86_400n * 10_000_000n;
/** 9999-12-31T23:59:59.9999999Z: one tick before 10000-01-01, 2,932,897 days after 1970-01-01. */
const LAST_TICK = 2_932_897n * 86_400n * 10_000_000n - 1n;

/** Ticks of a UTC calendar time, with `sub` extra ticks below the millisecond (built with Date, not the module). */
function utc(year: number, month: number, day: number, h = 0, m = 0, s = 0, ms = 0, sub = 0n): Ticks {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(h, m, s, ms);
  return BigInt(d.getTime()) * TICKS_PER_MS + sub;
}

/** The expected text of a tick count, via Date#toISOString (an oracle independent of formatDateTimeOffset). */
function oracle(ticks: Ticks): string {
  let ms = ticks / TICKS_PER_MS;
  if (ticks < 0n && ms * TICKS_PER_MS !== ticks) ms -= 1n; // floor, not truncation
  const sub = ticks - ms * TICKS_PER_MS;
  const iso = new Date(Number(ms)).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ for years 0001–9999
  const fraction = (iso.slice(20, 23) + String(sub).padStart(4, '0')).replace(/0+$/, '');
  return `${iso.slice(0, 19)}${fraction ? `.${fraction}` : ''}Z`;
}

describe('parseDateTimeOffset / formatDateTimeOffset', () => {
  it('the oracle constants agree with Date (sanity check of the test itself)', () => {
    assert.equal(FIRST_TICK, BigInt(Date.parse('0001-01-01T00:00:00.000Z')) * TICKS_PER_MS);
    assert.equal(LAST_TICK, BigInt(Date.parse('9999-12-31T23:59:59.999Z')) * TICKS_PER_MS + 9_999n);
    assert.equal(oracle(-1n), '1969-12-31T23:59:59.9999999Z');
  });

  it("parses the seed's 2017-01-01T00:02:09.4916918+03:00 as 2016-12-31T21:02:09.4916918Z", () => {
    const ticks = parseDateTimeOffset('2017-01-01T00:02:09.4916918+03:00');
    assert.equal(ticks, utc(2016, 12, 31, 21, 2, 9, 491, 6918n));
    assert.equal(formatDateTimeOffset(ticks!), '2016-12-31T21:02:09.4916918Z');
  });

  it('round-trips 0 to 7 fraction digits exactly', () => {
    const digits = '1234567';
    for (let n = 0; n <= 7; n++) {
      const fraction = digits.slice(0, n);
      const text = `2021-06-15T08:09:10${n ? `.${fraction}` : ''}Z`;
      const ticks = parseDateTimeOffset(text);
      assert.equal(ticks, utc(2021, 6, 15, 8, 9, 10) + BigInt(fraction.padEnd(7, '0')), text);
      assert.equal(formatDateTimeOffset(ticks!), text, text);
    }
  });

  it('refuses 8 or more fraction digits, and a dot without digits', () => {
    for (const text of ['2021-06-15T08:09:10.12345678Z', '2021-06-15T08:09:10.000000000Z', '2021-06-15T08:09:10.Z']) {
      assert.equal(parseDateTimeOffset(text), undefined, text);
    }
  });

  it('trims trailing fractional zeros when formatting', () => {
    const cases: [string, string][] = [
      ['2021-06-15T08:09:10.1000000Z', '2021-06-15T08:09:10.1Z'],
      ['2021-06-15T08:09:10.0500Z', '2021-06-15T08:09:10.05Z'],
      ['2021-06-15T08:09:10.0000000Z', '2021-06-15T08:09:10Z'],
      ['2021-06-15T08:09:10.000Z', '2021-06-15T08:09:10Z'],
      ['2021-06-15T08:09:10.1230Z', '2021-06-15T08:09:10.123Z'],
      ['2021-06-15T08:09:10.0000010Z', '2021-06-15T08:09:10.000001Z'],
    ];
    for (const [input, expected] of cases) {
      const ticks = parseDateTimeOffset(input);
      assert.notEqual(ticks, undefined, input);
      assert.equal(formatDateTimeOffset(ticks!), expected, input);
    }
  });

  it('applies offsets up to ±14:00, including minute offsets', () => {
    const cases: [string, string][] = [
      ['2020-01-01T00:00:00+14:00', '2019-12-31T10:00:00Z'],
      ['2020-01-01T00:00:00-14:00', '2020-01-01T14:00:00Z'],
      ['2020-06-01T12:00:00+05:30', '2020-06-01T06:30:00Z'],
      ['2020-06-01T12:00:00-09:30', '2020-06-01T21:30:00Z'],
      ['2020-06-01T12:00:00+00:00', '2020-06-01T12:00:00Z'],
      ['2020-06-01T12:00:00-00:00', '2020-06-01T12:00:00Z'],
    ];
    for (const [input, expected] of cases) {
      const ticks = parseDateTimeOffset(input);
      assert.notEqual(ticks, undefined, input);
      assert.equal(formatDateTimeOffset(ticks!), expected, input);
    }
  });

  it('crosses day, month, leap-day and year boundaries with negative and positive offsets', () => {
    const cases: [string, string][] = [
      ['2019-12-31T23:30:00-05:00', '2020-01-01T04:30:00Z'], // negative offset into the next year
      ['2019-12-31T10:00:00.0000001-14:00', '2020-01-01T00:00:00.0000001Z'],
      ['2024-02-28T22:00:00-03:00', '2024-02-29T01:00:00Z'], // into a leap day
      ['2023-02-28T22:00:00-03:00', '2023-03-01T01:00:00Z'], // not a leap year
      ['2020-04-30T20:00:00-04:00', '2020-05-01T00:00:00Z'],
      ['2021-01-01T01:00:00+02:00', '2020-12-31T23:00:00Z'], // positive offset back into the previous year
      ['2024-03-01T00:59:59.9999999+01:00', '2024-02-29T23:59:59.9999999Z'],
    ];
    for (const [input, expected] of cases) {
      const ticks = parseDateTimeOffset(input);
      assert.notEqual(ticks, undefined, input);
      assert.equal(formatDateTimeOffset(ticks!), expected, input);
    }
  });

  it('refuses offsets beyond ±14:00 (the range of Edm.DateTimeOffset / .NET DateTimeOffset)', () => {
    for (const text of [
      '2020-01-01T00:00:00+15:00',
      '2020-01-01T00:00:00-15:00',
      '2020-01-01T00:00:00+14:01',
      '2020-01-01T00:00:00-14:30',
      '2020-01-01T00:00:00+14:59',
      '2020-01-01T00:00:00+05:60',
    ]) {
      assert.equal(parseDateTimeOffset(text), undefined, text);
    }
  });

  it('knows leap days: 2024-02-29 and 2000-02-29 exist, 2023-02-29 and 1900-02-29 do not', () => {
    assert.equal(parseDateTimeOffset('2024-02-29T00:00:00Z'), utc(2024, 2, 29));
    assert.equal(parseDateTimeOffset('2000-02-29T12:34:56Z'), utc(2000, 2, 29, 12, 34, 56));
    assert.equal(parseDateTimeOffset('2023-02-29T00:00:00Z'), undefined);
    assert.equal(parseDateTimeOffset('1900-02-29T00:00:00Z'), undefined);
    assert.equal(parseDateTimeOffset('2100-02-29T00:00:00Z'), undefined);
    // a day that does not exist is not rescued by an offset that would move it into an existing one
    assert.equal(parseDateTimeOffset('2023-02-29T01:00:00+02:00'), undefined);
    for (const text of ['2021-04-31T00:00:00Z', '2021-13-01T00:00:00Z', '2021-00-10T00:00:00Z', '2021-01-00T00:00:00Z', '2021-01-32T00:00:00Z']) {
      assert.equal(parseDateTimeOffset(text), undefined, text);
    }
  });

  it('spans 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.9999999Z: MIN_TICKS and MAX_TICKS', () => {
    assert.equal(MAX_TICKS, LAST_TICK);
    assert.equal(parseDateTimeOffset('9999-12-31T23:59:59.9999999Z'), LAST_TICK);
    assert.equal(formatDateTimeOffset(LAST_TICK), '9999-12-31T23:59:59.9999999Z');
    assert.equal(MIN_TICKS, FIRST_TICK, `MIN_TICKS is ${formatDateTimeOffset(MIN_TICKS)}`);
    assert.equal(parseDateTimeOffset('0001-01-01T00:00:00Z'), FIRST_TICK);
    assert.equal(formatDateTimeOffset(FIRST_TICK), '0001-01-01T00:00:00Z');
  });

  it('accepts dates before 1901 (years 0001–1900 are valid Edm.DateTimeOffset values)', () => {
    const cases: [input: string, ticks: Ticks, formatted: string][] = [
      ['0001-01-01T00:30:00+00:30', FIRST_TICK, '0001-01-01T00:00:00Z'],
      ['0001-01-01T00:00:00.0000001Z', FIRST_TICK + 1n, '0001-01-01T00:00:00.0000001Z'],
      ['0099-12-31T23:59:59Z', utc(99, 12, 31, 23, 59, 59), '0099-12-31T23:59:59Z'],
      ['1600-02-29T12:00:00Z', utc(1600, 2, 29, 12), '1600-02-29T12:00:00Z'],
      ['1899-12-31T23:59:59.9999999Z', utc(1900, 1, 1) - 1n, '1899-12-31T23:59:59.9999999Z'],
      ['1900-12-31T23:59:59Z', utc(1900, 12, 31, 23, 59, 59), '1900-12-31T23:59:59Z'],
    ];
    for (const [input, ticks, formatted] of cases) {
      assert.equal(parseDateTimeOffset(input), ticks, input);
      assert.equal(formatDateTimeOffset(ticks), formatted, input);
    }
  });

  it('refuses instants past either end, also when an offset pushes them out', () => {
    for (const text of [
      '0001-01-01T00:00:00+00:01', // 0000-12-31T23:59Z
      '0001-01-01T13:59:59.9999999+14:00',
      '0000-12-31T23:59:59.9999999Z',
      '9999-12-31T23:59:59.9999999-00:01',
      '9999-12-31T23:00:00-01:00', // 10000-01-01T00:00Z
      '9999-12-31T10:00:00-14:00',
      '10000-01-01T00:00:00Z',
    ]) {
      assert.equal(parseDateTimeOffset(text), undefined, text);
    }
    // …and the last instant is still reachable through an offset
    assert.equal(parseDateTimeOffset('9999-12-31T09:59:59.9999999-14:00'), LAST_TICK);
  });

  it('refuses malformed forms', () => {
    for (const text of [
      '2020-03-19T12-01-03.45Z', // dashes in the time
      '2020-03-19T12:01Z', // no seconds
      '2020-03-19T12:01:03', // no zone
      '2020-03-19T12:01:03.45', // no zone, with fraction
      '2020-03-19T12:01:03+0300', // offset without a colon
      '2020-03-19T12:01:03+03', // offset without minutes
      '2020-03-19T24:00:00Z', // hour 24
      '2020-03-19T12:60:00Z',
      '2020-03-19T12:00:60Z', // leap second
      '2020-03-19 12:01:03Z', // space instead of T
      ' 2020-03-19T12:01:03Z',
      '2020-03-19T12:01:03Z ',
      '2020-03-19T12:01:03 Z',
      '2020-03-19T12:01:03 +03:00',
      '2020-03-19',
      '20200319T120103Z', // basic format
      '2020-3-19T12:01:03Z',
      '2020-03-19T1:01:03Z',
      '+2020-03-19T12:01:03Z',
      '-2020-03-19T12:01:03Z',
      '2020-03-19T12:01:03.45ZZ',
      '2020-03-19T12:01:03,45Z', // comma decimal sign
      '٢٠٢٠-03-19T12:01:03Z', // non-ASCII digits
      '2020-03-19T12:01:03.45Z\n',
      '',
      'now',
    ]) {
      assert.equal(parseDateTimeOffset(text), undefined, JSON.stringify(text));
    }
  });

  it('keeps ticks beyond 2^53 exact (bigint comparison)', () => {
    const expected = BigInt(Date.UTC(2025, 5, 1, 12, 34, 56, 789)) * TICKS_PER_MS + 1234n;
    assert.equal(expected, 17_487_812_967_891_234n);
    assert.ok(expected > 2n ** 53n);
    assert.equal(parseDateTimeOffset('2025-06-01T12:34:56.7891234Z'), expected);
    assert.equal(parseDateTimeOffset('2025-06-01T12:34:56.7891235Z'), expected + 1n);
    assert.equal(parseDateTimeOffset('2025-06-01T12:34:56.7891233Z'), expected - 1n);
    // neighbours that a double would merge stay distinct
    assert.equal(formatDateTimeOffset(expected + 1n), '2025-06-01T12:34:56.7891235Z');
    assert.equal(formatDateTimeOffset(expected - 1n), '2025-06-01T12:34:56.7891233Z');
    assert.equal(formatDateTimeOffset(LAST_TICK - 1n), '9999-12-31T23:59:59.9999998Z');
  });

  it('formats pre-1970 instants (negative ticks) correctly, fractions included', () => {
    const cases: [Ticks, string][] = [
      [-1n, '1969-12-31T23:59:59.9999999Z'],
      [-9_999n, '1969-12-31T23:59:59.9990001Z'],
      [-10_000n, '1969-12-31T23:59:59.999Z'],
      [-10_001n, '1969-12-31T23:59:59.9989999Z'],
      [-10_000_000n, '1969-12-31T23:59:59Z'],
      [-10_000_001n, '1969-12-31T23:59:58.9999999Z'],
      [utc(1950, 6, 15, 10, 20, 30, 0, 1n), '1950-06-15T10:20:30.0000001Z'],
      [utc(1912, 4, 15, 2, 20, 0, 123, 4567n), '1912-04-15T02:20:00.1234567Z'],
      [0n, '1970-01-01T00:00:00Z'],
    ];
    for (const [ticks, text] of cases) {
      assert.equal(formatDateTimeOffset(ticks), text, String(ticks));
      assert.equal(parseDateTimeOffset(text), ticks, text);
    }
  });

  it('property: parse(format(t)) === t and format(t) matches an independent oracle, for random t in the whole range', () => {
    const random = seededRandom(0x5eed_0001n);
    const failures: string[] = [];
    const samples = [FIRST_TICK, LAST_TICK, 0n, -1n, 1n];
    for (let i = 0; i < 20_000; i++) samples.push(random.bigintBetween(FIRST_TICK, LAST_TICK));
    // The calendar's edges: the first and last tick of every month of leap and non-leap years, centuries and eras.
    for (const year of [1, 4, 99, 100, 399, 400, 1600, 1900, 1969, 1970, 2000, 2024, 2100, 9999]) {
      for (let month = 1; month <= 12; month++) {
        const first = utc(year, month, 1);
        samples.push(...[first, first + 1n, first - 1n].filter((t) => t >= FIRST_TICK));
      }
    }
    for (const t of samples) {
      const text = formatDateTimeOffset(t);
      const back = parseDateTimeOffset(text);
      if (text !== oracle(t) || back !== t) failures.push(`t=${t}: format=${text} oracle=${oracle(t)} parse=${back}`);
    }
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${samples.length} samples failed`);
  });

  it('property: a random instant written in a random offset parses to the same ticks', () => {
    const random = seededRandom(0x5eed_0002n);
    const failures: string[] = [];
    const fourteenHours = 14n * 3_600n * 10_000_000n;
    for (let i = 0; i < 2000; i++) {
      const t = random.bigintBetween(FIRST_TICK + fourteenHours, LAST_TICK - fourteenHours);
      const offsetMinutes = random.int(14 * 60 * 2 + 1) - 14 * 60; // −840 … +840
      const local = oracle(t + BigInt(offsetMinutes) * 60n * 10_000_000n).slice(0, -1);
      const sign = offsetMinutes < 0 ? '-' : '+';
      const abs = Math.abs(offsetMinutes);
      const text = `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
      const back = parseDateTimeOffset(text);
      if (back !== t) failures.push(`${text}: expected ${t}, got ${back}`);
    }
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of 2000 samples failed`);
  });
});
