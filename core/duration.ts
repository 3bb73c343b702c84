import { VigilError } from './errors.ts';

/**
 * Durations in Prometheus' notation: one or more `<number><unit>` terms from largest to
 * smallest unit, units `ms s m h d w y` (a day is 24h, a week 7d, a year 365d), as in
 * `90s`, `5m`, `1h30m`, `30d`. A bare `0` is accepted, as Prometheus does.
 */

const unitMs = {
  y: 365 * 24 * 3600 * 1000,
  w: 7 * 24 * 3600 * 1000,
  d: 24 * 3600 * 1000,
  h: 3600 * 1000,
  m: 60 * 1000,
  s: 1000,
  ms: 1,
} as const;

type Unit = keyof typeof unitMs;
const unitOrder: Unit[] = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];
const termPattern = /(\d+)(ms|y|w|d|h|m|s)/y;

/**
 * Parses a duration into milliseconds.
 *
 * @example
 * parseDuration('1h30m'); // 5_400_000
 * @throws VigilError('parse') naming the text and what was expected.
 */
export function parseDuration(text: string): number {
  if (text === '0') return 0;
  if (text.length === 0) throw invalid(text, 'it is empty');
  let total = 0;
  let lastUnitIndex = -1;
  termPattern.lastIndex = 0;
  let pos = 0;
  while (pos < text.length) {
    termPattern.lastIndex = pos;
    const match = termPattern.exec(text);
    if (!match) throw invalid(text, `unexpected "${text.slice(pos, pos + 8)}" at position ${pos}`);
    const unit = match[2] as Unit;
    const unitIndex = unitOrder.indexOf(unit);
    if (unitIndex <= lastUnitIndex) throw invalid(text, `unit "${unit}" is out of order or repeated`);
    lastUnitIndex = unitIndex;
    total += Number(match[1]) * unitMs[unit];
    pos = termPattern.lastIndex;
  }
  if (!Number.isSafeInteger(total)) throw invalid(text, 'it is too long');
  return total;
}

/**
 * Formats milliseconds as the shortest duration string that parses back to the same value.
 *
 * @example
 * formatDuration(5_400_000); // '1h30m'
 */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0)
    throw new RangeError(`formatDuration: ${ms} is not a whole, non-negative number of ms`);
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of unitOrder) {
    const size = unitMs[unit];
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}

function invalid(text: string, why: string): VigilError {
  return new VigilError(
    'parse',
    `invalid duration "${text}": ${why}; expected e.g. "90s", "5m", "1h30m", "30d"`,
  );
}
