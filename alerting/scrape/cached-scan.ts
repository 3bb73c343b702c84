import {
  isDigit,
  isMetricNameChar,
  isMetricNameStart,
  type Labels,
  labelListEnd,
  parseValue,
  scanExposition,
} from '../../core/index.ts';
import type { CachedLine, ScrapeCache } from './series-cache.ts';

/**
 * Scans a Prometheus text format (0.0.4) body against a target's scrape cache, as Prometheus'
 * scrape loop does with its parser's raw series bytes: for each sample line, the series text
 * (`name{labels}` exactly as written) is looked up first, and only a line never seen before is
 * parsed in full, by core's scanner, on that line alone. A repeated line costs one slice, one map
 * lookup and the parsing of its value and timestamp.
 *
 * The answers are core's scanner's: a series text found in the cache was accepted by it before,
 * from the start of a line, and reads the same wherever it appears; metadata and comment lines
 * are checked the same way. Anything unusual (blanks before a name, a NUL, a value that does not
 * parse, a timestamp of 16 digits or more) makes the scan give up, and the caller scans the whole
 * body with core's scanner, which gives the exact error, with its line number, or the samples.
 *
 * Justified by bench/alerting-ingest.ts: full label parsing per sample plus building the cache
 * key from the parsed labels cost more than parsing, appending and HTTP together (CPU profile).
 */

/** Receives each sample: its cache line, value and timestamp (ms) if the line has one. */
export type CachedSampleSink = (line: CachedLine, value: number, timestampMs: number | undefined) => void;

/** Builds the cache line of a series text seen for the first time, from its parsed labels. */
export type LineResolver = (labels: Labels) => CachedLine;

const NL = 10;
const TAB = 9;
const SP = 32;
const HASH = 35;
const LBRACE = 123;

/** Digits of a timestamp that always fit in 2^53, so that summing digits is exact. */
const exactTimestampDigits = 15;

/** The index of the first character at or after `i` that is not a blank. */
function skipBlanks(text: string, i: number, n: number): number {
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c !== SP && c !== TAB) break;
    i++;
  }
  return i;
}

/** The end of a value token starting at `i`, as core's scanner delimits it. */
function valueEnd(text: string, i: number, n: number): number {
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === SP || c === TAB || c === NL || c === LBRACE) break;
    i++;
  }
  return i;
}

/** The one sample of a single line, read by core's scanner; undefined when it refuses the line. */
function parseLine(
  line: string,
): { labels: Labels; value: number; timestampMs: number | undefined } | undefined {
  let out: { labels: Labels; value: number; timestampMs: number | undefined } | undefined;
  try {
    scanExposition(
      line,
      {
        sample(_name, labels, value, timestampMs) {
          out = { labels, value, timestampMs };
        },
      },
      { format: 'prometheus', nameLabel: true },
    );
  } catch {
    return undefined;
  }
  return out;
}

function validComment(line: string): boolean {
  try {
    scanExposition(line, { sample() {} }, { format: 'prometheus' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Scans `text` (Prometheus text format) for pass `pass` of `cache`, calling `sink` per sample.
 * Returns false when it gave up: the caller must then discard what the sink received and scan
 * the whole body with core's scanner.
 *
 * @example
 * const done = scanCached(body, cache, pass, resolve, (line, v, ts) => batch.push(line, v, ts));
 */
export function scanCached(
  text: string,
  cache: ScrapeCache,
  pass: number,
  resolve: LineResolver,
  sink: CachedSampleSink,
): boolean {
  const n = text.length;
  const lines = cache.lines;
  let pos = 0;
  while (pos < n) {
    const c = text.charCodeAt(pos);
    if (c === NL) {
      pos++;
      continue;
    }
    if (c === HASH) {
      let eol = text.indexOf('\n', pos);
      if (eol === -1) eol = n;
      const comment = text.slice(pos, eol);
      if (!cache.comments.has(comment) && !validComment(comment)) return false;
      cache.comments.set(comment, pass);
      pos = eol + 1;
      continue;
    }
    if (!isMetricNameStart(c)) return false;
    let i = pos + 1;
    while (i < n && isMetricNameChar(text.charCodeAt(i))) i++;
    let end = i;
    i = skipBlanks(text, i, n);
    if (i < n && text.charCodeAt(i) === LBRACE) {
      end = labelListEnd(text, i + 1);
      if (end < 0) return false;
      i = end;
    }
    const raw = text.slice(pos, end);
    let line = lines.get(raw);
    if (line === undefined) {
      const eol = text.indexOf('\n', end);
      const stop = eol === -1 ? n : eol + 1;
      const parsed = parseLine(text.slice(pos, stop));
      if (parsed === undefined) return false;
      line = resolve(parsed.labels);
      lines.set(raw, line);
      cache.use(line, pass);
      sink(line, parsed.value, parsed.timestampMs);
      pos = stop;
      continue;
    }
    const valueStart = skipBlanks(text, i, n);
    i = valueEnd(text, valueStart, n);
    const value = parseValue(text, valueStart, i);
    if (value === undefined) return false;
    i = skipBlanks(text, i, n);
    let timestampMs: number | undefined;
    if (i < n && isDigit(text.charCodeAt(i))) {
      const digitsStart = i;
      let ts = 0;
      while (i < n && isDigit(text.charCodeAt(i))) {
        ts = ts * 10 + (text.charCodeAt(i) - 48);
        i++;
      }
      if (i - digitsStart > exactTimestampDigits) return false;
      timestampMs = ts;
      i = skipBlanks(text, i, n);
    }
    if (i < n) {
      if (text.charCodeAt(i) !== NL) return false;
      i++;
    }
    cache.use(line, pass);
    sink(line, value, timestampMs);
    pos = i;
  }
  return true;
}
