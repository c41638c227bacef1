import { TICKS_PER_SECOND, type Ticks } from '../operations/date-time-offset.js';

const TICKS_PER_MINUTE = 60n * TICKS_PER_SECOND;
const TICKS_PER_HOUR = 60n * TICKS_PER_MINUTE;
const TICKS_PER_DAY = 24n * TICKS_PER_HOUR;

/**
 * `P[nW][nD][T[nH][nM][n[.fffffff]S]]`, the ISO 8601 durations of fixed length (as `xs:dayTimeDuration`
 * and Edm.Duration write them): no years or months, whose length depends on the date. Non-negative.
 */
const PATTERN = /^P(?:(\d{1,6})W)?(?:(\d{1,7})D)?(?:T(?:(\d{1,8})H)?(?:(\d{1,10})M)?(?:(\d{1,12})(?:\.(\d{1,7}))?S)?)?$/i;

/** The duration in ticks, or `undefined` when it is not a fixed-length ISO 8601 duration. */
export function parseIsoDuration(text: string): Ticks | undefined {
  const m = PATTERN.exec(text);
  // `P` and `PT` alone name no duration, though every part is optional.
  if (!m || /^PT?$/i.test(text) || /T$/i.test(text)) return undefined;
  const [weeks, days, hours, minutes, seconds] = m.slice(1, 6).map((part) => BigInt(part ?? '0')) as [bigint, bigint, bigint, bigint, bigint];
  const fraction = BigInt((m[6] ?? '').padEnd(7, '0'));
  return (weeks * 7n + days) * TICKS_PER_DAY + hours * TICKS_PER_HOUR + minutes * TICKS_PER_MINUTE + seconds * TICKS_PER_SECOND + fraction;
}

/** The shortest form, days at most: `PT0S`, `PT5M`, `P1DT2H0.5S`. */
export function formatIsoDuration(ticks: Ticks): string {
  if (ticks < 0n) return `-${formatIsoDuration(-ticks)}`;
  const days = ticks / TICKS_PER_DAY;
  const hours = (ticks % TICKS_PER_DAY) / TICKS_PER_HOUR;
  const minutes = (ticks % TICKS_PER_HOUR) / TICKS_PER_MINUTE;
  const rest = ticks % TICKS_PER_MINUTE;
  const fraction = String(rest % TICKS_PER_SECOND).padStart(7, '0').replace(/0+$/, '');
  const seconds = rest === 0n ? '' : `${rest / TICKS_PER_SECOND}${fraction ? `.${fraction}` : ''}S`;
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${seconds}`;
  if (!days && !time) return 'PT0S';
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}
