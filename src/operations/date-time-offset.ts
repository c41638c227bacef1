/**
 * Edm.DateTimeOffset with Graph's full precision: 100 ns ticks since the Unix epoch, held as a bigint
 * because today's tick count (~1.7e16) is past Number.MAX_SAFE_INTEGER.
 */
export type Ticks = bigint;

const TICKS_PER_MS = 10_000n;
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

/** Formats as UTC with `Z` and trailing fractional zeros trimmed, as Graph writes it. */
export function formatDateTimeOffset(ticks: Ticks): string {
  let ms = ticks / TICKS_PER_MS;
  let rest = ticks % TICKS_PER_MS;
  if (rest < 0n) {
    rest += TICKS_PER_MS;
    ms -= 1n;
  }
  // The engine's own ISO writer does the calendar (years 0001–9999 come out as four digits); only the
  // four sub-millisecond digits are ours to add. This runs for every date of every answer.
  const iso = new Date(Number(ms)).toISOString(); // yyyy-MM-ddTHH:mm:ss.sssZ
  const fraction = `${iso.slice(20, 23)}${String(rest).padStart(4, '0')}`.replace(TRAILING_ZEROS, '');
  return fraction ? `${iso.slice(0, 20)}${fraction}Z` : `${iso.slice(0, 19)}Z`;
}

const TRAILING_ZEROS = /0+$/;

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

