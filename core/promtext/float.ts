import { isDigit } from './lexical.ts';
/**
 * Sample values as Prometheus reads and writes them. Prometheus parses values with Go's
 * `strconv.ParseFloat`, refusing `_` and hex floats (`p`), so the accepted spellings are:
 * decimal with optional sign, fraction and exponent (`1`, `-1.5`, `.5`, `5.`, `1e-3`, `1E+9`),
 * `Inf`/`Infinity` with optional sign and `NaN`, both in any letter case. Values beyond the float
 * range (`1e400`) are an error there, and here. JavaScript's `Number()` differs (it takes hex,
 * binary, `Infinity` only, blanks, and the empty string as 0), hence this scanner.
 */

/**
 * Parses `text.slice(start, end)` as Prometheus would; undefined when it is not a valid value.
 *
 * @example
 * parseValue('+Inf', 0, 4); // Infinity
 * parseValue('0x10', 0, 4); // undefined
 */
export function parseValue(text: string, start: number, end: number): number | undefined {
  if (start >= end) return undefined;
  let i = start;
  let c = text.charCodeAt(i);
  // Fast path for plain non-negative integers up to 15 digits, the bulk of counter values:
  // exact in a double, no slice and no Number() call.
  if (c >= 48 && c <= 57 && end - start <= 15) {
    let v = 0;
    while (i < end) {
      c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      i++;
    }
    if (i === end) return v;
    i = start;
    c = text.charCodeAt(i);
  }
  let negative = false;
  if (c === 43 || c === 45) {
    negative = c === 45;
    i++;
    if (i >= end) return undefined;
    c = text.charCodeAt(i);
  }
  if (c === 73 || c === 105) {
    const word = text.slice(i, end).toLowerCase();
    if (word === 'inf' || word === 'infinity') return negative ? -Infinity : Infinity;
    return undefined;
  }
  if ((c === 78 || c === 110) && i === start) {
    return end - i === 3 && text.slice(i, end).toLowerCase() === 'nan' ? Number.NaN : undefined;
  }
  let digits = 0;
  while (i < end && isDigit(text.charCodeAt(i))) {
    i++;
    digits++;
  }
  if (i < end && text.charCodeAt(i) === 46) {
    i++;
    while (i < end && isDigit(text.charCodeAt(i))) {
      i++;
      digits++;
    }
  }
  if (digits === 0) return undefined;
  if (i < end) {
    c = text.charCodeAt(i);
    if (c !== 101 && c !== 69) return undefined;
    i++;
    if (i < end && (text.charCodeAt(i) === 43 || text.charCodeAt(i) === 45)) i++;
    let expDigits = 0;
    while (i < end && isDigit(text.charCodeAt(i))) {
      i++;
      expDigits++;
    }
    if (expDigits === 0 || i < end) return undefined;
  }
  const v = Number(text.slice(start, end));
  // Go reports a range error for finite spellings that overflow; Prometheus fails the scrape.
  if (!Number.isFinite(v)) return undefined;
  return v;
}

/**
 * Formats a value the way Prometheus' own exposition does: shortest round-trip decimal,
 * `+Inf`, `-Inf`, `NaN`, and `-0` kept distinct from `0`.
 *
 * @example
 * formatValue(Infinity); // '+Inf'
 * formatValue(0.1); // '0.1'
 */
export function formatValue(v: number): string {
  if (Number.isFinite(v)) return v === 0 && 1 / v < 0 ? '-0' : String(v);
  if (Number.isNaN(v)) return 'NaN';
  return v > 0 ? '+Inf' : '-Inf';
}

/**
 * Parses an OpenMetrics timestamp (seconds, possibly fractional) into whole milliseconds,
 * truncating below the millisecond as Prometheus does. Plain decimals are converted digit by
 * digit so that `1520879607.789` is exactly 1520879607789, not a float product one below it.
 * Returns undefined for anything that is not a finite value.
 *
 * @example
 * parseSecondsToMs('1520879607.789', 0, 14); // 1520879607789
 */
export function parseSecondsToMs(text: string, start: number, end: number): number | undefined {
  const seconds = parseValue(text, start, end);
  if (seconds === undefined || !Number.isFinite(seconds)) return undefined;
  let i = start;
  let negative = false;
  const first = text.charCodeAt(i);
  if (first === 43 || first === 45) {
    negative = first === 45;
    i++;
  }
  let whole = 0;
  let wholeDigits = 0;
  while (i < end && isDigit(text.charCodeAt(i))) {
    whole = whole * 10 + (text.charCodeAt(i) - 48);
    wholeDigits++;
    i++;
  }
  let fraction = 0;
  let fractionDigits = 0;
  if (i < end && text.charCodeAt(i) === 46) {
    i++;
    while (i < end && isDigit(text.charCodeAt(i))) {
      if (fractionDigits < 3) fraction = fraction * 10 + (text.charCodeAt(i) - 48);
      fractionDigits++;
      i++;
    }
  }
  if (i === end && wholeDigits <= 12) {
    for (let d = Math.min(fractionDigits, 3); d < 3; d++) fraction *= 10;
    const ms = whole * 1000 + fraction;
    return negative ? -ms || 0 : ms;
  }
  // Prometheus converts with int64(seconds * 1000) and accepts any finite value; one far out of
  // range is kept here as the (non-safe) number it is, for the consumer to refuse as out of bounds.
  return Math.trunc(seconds * 1000) || 0;
}

/**
 * Formats milliseconds as OpenMetrics seconds with up to three decimals.
 *
 * @example
 * formatSeconds(1520879607789); // '1520879607.789'
 */
export function formatSeconds(ms: number): string {
  const negative = ms < 0;
  const abs = Math.trunc(Math.abs(ms));
  const whole = Math.trunc(abs / 1000);
  const frac = abs - whole * 1000;
  let out = negative ? `-${whole}` : `${whole}`;
  if (frac !== 0) out += `.${String(frac).padStart(3, '0')}`.replace(/0+$/, '');
  return out;
}
