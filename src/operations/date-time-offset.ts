/**
 * Edm.DateTimeOffset with Graph's full precision: 100 ns ticks since the Unix epoch, held as a bigint
 * because today's tick count (~1.7e16) is past Number.MAX_SAFE_INTEGER.
 */
export type Ticks = bigint;

export const TICKS_PER_MS = 10_000n;
export const TICKS_PER_SECOND = 10_000_000n;
const TICKS_PER_MINUTE = 60n * TICKS_PER_SECOND;

// ISO 8601 extended form as OData writes it: a full date, a time with seconds, up to 7 fraction digits
// (more would lose precision silently), and a zone that is `Z` or an offset with a colon.
const PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?(Z|[+-](\d{2}):(\d{2}))$/i;

export const MIN_TICKS: Ticks = BigInt(utcMilliseconds(1, 1, 1)) * TICKS_PER_MS; // 0001-01-01T00:00:00Z
export const MAX_TICKS: Ticks = BigInt(utcMilliseconds(9999, 12, 31) + 86_400_000) * TICKS_PER_MS - 1n; // 9999-12-31T23:59:59.9999999Z

/** Offsets beyond ±14:00 do not exist (and .NET's DateTimeOffset refuses them). */
const MAX_OFFSET_MINUTES = 14 * 60;

/** Parses an ISO 8601 DateTimeOffset; `undefined` when it is malformed or names a day that does not exist. */
export function parseDateTimeOffset(text: string): Ticks | undefined {
  const m = PATTERN.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  if (day < 1 || day > daysInMonth(year, month)) return undefined;
  let offsetMinutes = 0;
  if (m[8] !== 'Z' && m[8] !== 'z') {
    const oh = Number(m[9]);
    const om = Number(m[10]);
    if (om > 59 || oh * 60 + om > MAX_OFFSET_MINUTES) return undefined;
    offsetMinutes = (m[8]!.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  const ms = utcMilliseconds(year, month, day) + ((hour * 60 + minute) * 60 + second) * 1000;
  const fraction = BigInt((m[7] ?? '').padEnd(7, '0'));
  const ticks = BigInt(ms) * TICKS_PER_MS + fraction - BigInt(offsetMinutes) * TICKS_PER_MINUTE;
  return ticks < MIN_TICKS || ticks > MAX_TICKS ? undefined : ticks;
}

/**
 * Formats as UTC with `Z` and trailing fractional zeros trimmed, as Graph writes it. This runs for every
 * date of every answer (200 for a page of 100), so it does the calendar itself with integer arithmetic —
 * days to a civil date by H. Hinnant's algorithm, valid for the whole proleptic Gregorian range — and table
 * lookups for the digits: four times faster than `Date#toISOString` and string trimming, and tested
 * against that reference over the whole range of years 1–9999.
 */
export function formatDateTimeOffset(ticks: Ticks): string {
  let ms = ticks / TICKS_PER_MS;
  let rest = ticks % TICKS_PER_MS;
  if (rest < 0n) {
    rest += TICKS_PER_MS;
    ms -= 1n;
  }
  const epochMs = Number(ms); // |ms| < 2^53 for years 1–9999
  const days = Math.floor(epochMs / MS_PER_DAY);
  let msOfDay = epochMs - days * MS_PER_DAY;
  const { year, month, day } = civilFromDays(days);
  const hour = Math.floor(msOfDay / 3_600_000);
  msOfDay -= hour * 3_600_000;
  const minute = Math.floor(msOfDay / 60_000);
  msOfDay -= minute * 60_000;
  const second = Math.floor(msOfDay / 1000);
  const head = `${DIGITS4[year]}-${DIGITS2[month]}-${DIGITS2[day]}T${DIGITS2[hour]}:${DIGITS2[minute]}:${DIGITS2[second]}`;
  const fraction = `${DIGITS3[msOfDay - second * 1000]}${DIGITS4[Number(rest)]}`;
  let end = fraction.length;
  while (end > 0 && fraction.charCodeAt(end - 1) === ZERO) end--;
  return end === 0 ? `${head}Z` : `${head}.${fraction.slice(0, end)}Z`;
}

const MS_PER_DAY = 86_400_000;
const ZERO = 48; // '0'
/** "0000" to "9999", "000" to "999" and "00" to "99": every digit group a date needs, made once. */
const DIGITS4 = Array.from({ length: 10_000 }, (_, n) => String(n).padStart(4, '0'));
const DIGITS3 = DIGITS4.slice(0, 1000).map((digits) => digits.slice(1));
const DIGITS2 = DIGITS4.slice(0, 100).map((digits) => digits.slice(2));

/** Year, month (1–12) and day (1–31) of a day counted from 1970-01-01 (negative before). */
function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468; // days from 0000-03-01: leap days then fall at the end of a 4-, 100- and 400-year cycle
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153); // 0 = March
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  return {
    year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0),
    month,
    day: dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1,
  };
}

/** The same instant cut to whole milliseconds (rounding towards the past), as a JavaScript `Date` holds it. */
export function truncateToMilliseconds(ticks: Ticks): Ticks {
  const rest = ticks % TICKS_PER_MS;
  return ticks - (rest < 0n ? rest + TICKS_PER_MS : rest);
}

/** Midnight UTC of a calendar day. Not `Date.UTC`, which maps the years 0–99 to 1900–1999. */
function utcMilliseconds(year: number, month: number, day: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getTime();
}

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

