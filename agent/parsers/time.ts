/**
 * Timestamp helpers shared by the parsers. All are pure and never throw: they return
 * undefined for text that is not a time. A time without a zone is read as UTC, because the
 * agent cannot know the zone of a foreign process; a year-less time (syslog, klog) takes the
 * year of the observed time, stepping back a year when that would put it in the future.
 */

const isoRe =
  /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d{1,9}))?)?\s?(Z|z|[+-]\d\d(?::?\d\d)?)?$/;

/** Milliseconds of a fraction string ("123456" -> 123.456). */
export function fractionMs(frac: string | undefined): number {
  if (!frac) return 0;
  return Number(`0.${frac}`) * 1000;
}

/** Offset in minutes of "Z", "+01:00", "-0700", "+05"; undefined when malformed. */
export function zoneOffsetMinutes(zone: string | undefined): number | undefined {
  if (zone === undefined || zone === 'Z' || zone === 'z') return 0;
  const m = /^([+-])(\d\d):?(\d\d)?$/.exec(zone);
  if (!m) return undefined;
  const minutes = Number(m[2]) * 60 + Number(m[3] ?? '0');
  return m[1] === '-' ? -minutes : minutes;
}

/** Date.UTC with range checks, minus the zone offset; undefined when a field is out of range. */
export function utcMs(
  year: number,
  month1: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
  offsetMinutes = 0,
): number | undefined {
  if (month1 < 1 || month1 > 12 || day < 1 || day > 31 || hour > 24 || minute > 59 || second > 60)
    return undefined;
  const t = Date.UTC(year, month1 - 1, day, hour, minute, second) + ms - offsetMinutes * 60_000;
  return Number.isFinite(t) ? t : undefined;
}

/**
 * Parses RFC 3339 / ISO 8601 and the common "2024-01-02 10:00:00,123" variant.
 *
 * @example
 * parseIsoTime('2024-01-02T10:00:00.5+01:00'); // Date.UTC(2024, 0, 2, 9, 0, 0, 500)
 */
export function parseIsoTime(text: string): number | undefined {
  const m = isoRe.exec(text);
  if (!m) return undefined;
  const offset = zoneOffsetMinutes(m[8]);
  if (offset === undefined) return undefined;
  return utcMs(
    Number(m[1]),
    Number(m[2]),
    Number(m[3]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6] ?? '0'),
    fractionMs(m[7]),
    offset,
  );
}

const months: Record<string, number> = {
  Jan: 1,
  Feb: 2,
  Mar: 3,
  Apr: 4,
  May: 5,
  Jun: 6,
  Jul: 7,
  Aug: 8,
  Sep: 9,
  Oct: 10,
  Nov: 11,
  Dec: 12,
};

/** Month number 1..12 of an English three-letter abbreviation, or undefined. */
export function monthNumber(abbrev: string): number | undefined {
  return months[abbrev];
}

/**
 * Completes a year-less time with the observed year; a time more than a day ahead of the
 * observed time belongs to the year before (a December line read in January).
 */
export function withInferredYear(
  observedMs: number,
  month1: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
): number | undefined {
  const year = new Date(observedMs).getUTCFullYear();
  const t = utcMs(year, month1, day, hour, minute, second, ms);
  if (t === undefined) return undefined;
  if (t - observedMs > 86_400_000) return utcMs(year - 1, month1, day, hour, minute, second, ms);
  return t;
}

/**
 * A number that may be epoch seconds, milliseconds, microseconds or nanoseconds, told apart by
 * magnitude (pino writes ms, zap and Python write seconds with a fraction).
 */
export function epochToMs(n: number): number | undefined {
  if (!Number.isFinite(n) || n <= 0) return undefined;
  if (n < 1e11) return n * 1000; // seconds (until the year 5138)
  if (n < 1e14) return n; // milliseconds
  if (n < 1e17) return n / 1000; // microseconds
  return n / 1e6; // nanoseconds
}

const hexRe32 = /^[0-9a-fA-F]{32}$/;
const hexRe16 = /^[0-9a-fA-F]{16}$/;

/** A W3C trace id (32 hex digits, not all zero) in lowercase, or undefined. */
export function traceIdOf(v: unknown): string | undefined {
  if (typeof v !== 'string' || !hexRe32.test(v) || /^0+$/.test(v)) return undefined;
  return v.toLowerCase();
}

/** A W3C span id (16 hex digits, not all zero) in lowercase, or undefined. */
export function spanIdOf(v: unknown): string | undefined {
  if (typeof v !== 'string' || !hexRe16.test(v) || /^0+$/.test(v)) return undefined;
  return v.toLowerCase();
}
