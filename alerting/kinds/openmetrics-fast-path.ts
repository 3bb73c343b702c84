import {
  isDigit,
  isMetricNameChar,
  isMetricNameStart,
  labelListEnd,
  parseValue,
  VigilError,
} from '../../core/index.ts';

/**
 * The backtest loader's fast path over OpenMetrics text, after alerting/scrape/cached-scan.ts:
 * a line whose series text (`name{labels}` exactly as written, everything before the value) was
 * accepted by core's scanner before costs a comparison or one map lookup plus the reading of its
 * value and timestamp; it is appended by series id. Every other line (the first of each series,
 * `#` lines, exemplars, a value or timestamp spelled in a way this file does not read, bad
 * lines) is handed, alone, to core's scanner, so answers and error messages stay core's.
 *
 * Why a line can go to core alone: OpenMetrics allows no raw newline inside a line, so core's
 * scanner reads each line from its start to its newline with no state from the lines before
 * (its only cross-line rule, nothing after `# EOF`, is kept by handing core the rest of the text
 * from a `# EOF` line on). Why a known series text can skip core: core read it from a line start,
 * followed by a space, and reads it the same way wherever it appears.
 *
 * Justified by bench/rules-backtest.ts: per-sample label objects and `labelsKey` made loading a
 * week of data for 1,000 series take 3 minutes.
 */

const NL = 10;
const SP = 32;
const HASH = 35;
const DOT = 46;
const LBRACE = 123;

/** Whole-second digits for which core converts digit by digit (float.ts parseSecondsToMs). */
const exactSecondsDigits = 12;

const eof = '# EOF\n';

/**
 * Core's value parser, looked up once: through the module's export, each call cost a getter
 * (about a tenth of the fast path's time, CPU profile of bench/rules-backtest.ts).
 */
const readValue = parseValue;

/**
 * Series texts seen so far, kept across the pieces of one file. Besides the map, it remembers
 * which series followed each series last time: files hold either each series' samples on
 * consecutive lines or all series per timestamp in the same order, and in both cases the guess
 * is checked with one `startsWith` and no string is made for the line.
 */
export class SeriesTextCache {
  readonly ids = new Map<string, number>();
  /** By series id: its text, a string of its own (not a slice keeping a whole piece alive). */
  readonly texts: string[] = [];
  /** By series id (and `start` for the first line): the series text that followed it last time. */
  private readonly nextText: (string | undefined)[] = [];
  private readonly nextId: number[] = [];
  private startText: string | undefined;
  private startId = -1;
  /** The series of the previous sample line, -1 before the first. */
  previous = -1;

  guess(): string | undefined {
    return this.previous < 0 ? this.startText : this.nextText[this.previous];
  }

  guessId(): number {
    return this.previous < 0 ? this.startId : this.nextId[this.previous]!;
  }

  /** Records that `text` (series `id`) followed the previous sample line. */
  follow(text: string, id: number): void {
    if (this.previous < 0) {
      this.startText = text;
      this.startId = id;
    } else {
      this.nextText[this.previous] = text;
      this.nextId[this.previous] = id;
    }
  }
}

/**
 * Scans `body` (whole lines of the piece, starting at piece line `line`) with core's scanner
 * and returns the series id of the last sample it read, or -1 when it read none. Core's errors
 * come back with `details.line` relative to `body`.
 */
export type CoreScan = (body: string) => number;

/** Appends one sample of a known series. */
export type FastAppend = (id: number, timestampMs: number, value: number) => void;

/**
 * The end of the series text of a sample line at `pos`, as core delimits it when it accepts the
 * line: a name, then a label list up to its first `}` outside quotes. -1 when there is none.
 */
function seriesEnd(text: string, pos: number, n: number): number {
  if (!isMetricNameStart(text.charCodeAt(pos))) return -1;
  let i = pos + 1;
  while (i < n && isMetricNameChar(text.charCodeAt(i))) i++;
  if (i >= n || text.charCodeAt(i) !== LBRACE) return i;
  return labelListEnd(text, i + 1);
}

/**
 * Reads ` value timestamp\n` after a known series text ending at `end` and appends it; returns
 * the index after the newline, or -1 when core must read the line (exemplar, no timestamp, a
 * timestamp other than plain seconds, anything malformed).
 */
function readSample(text: string, end: number, n: number, id: number, append: FastAppend): number {
  const valueStart = end + 1;
  let i = valueStart;
  // Plain non-negative integers of up to 15 digits (counters, the bulk of the data) are summed
  // while the token is delimited, as core's parseValue does in its own fast path; other
  // spellings go to parseValue itself.
  let value = 0;
  let c = 0;
  while (i < n) {
    c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    value = value * 10 + (c - 48);
    i++;
  }
  if (c !== SP || i === valueStart || i - valueStart > 15) {
    while (i < n) {
      c = text.charCodeAt(i);
      if (c === SP || c === NL) break;
      i++;
    }
    if (i >= n || c !== SP) return -1;
    const parsed = readValue(text, valueStart, i);
    if (parsed === undefined) return -1;
    value = parsed;
  }
  // Plain seconds with an optional fraction: the spelling for which core's parseSecondsToMs
  // converts digit by digit, truncating below the millisecond; the same arithmetic here gives
  // the same milliseconds. Other spellings (sign, exponent, 13+ digits) go to core.
  i++;
  const wholeStart = i;
  let whole = 0;
  while (i < n && isDigit(text.charCodeAt(i))) {
    whole = whole * 10 + (text.charCodeAt(i) - 48);
    i++;
  }
  const wholeDigits = i - wholeStart;
  if (wholeDigits === 0 || wholeDigits > exactSecondsDigits) return -1;
  let fraction = 0;
  if (i < n && text.charCodeAt(i) === DOT) {
    i++;
    let fractionDigits = 0;
    while (i < n && isDigit(text.charCodeAt(i))) {
      if (fractionDigits < 3) fraction = fraction * 10 + (text.charCodeAt(i) - 48);
      fractionDigits++;
      i++;
    }
    for (let d = fractionDigits; d < 3; d++) fraction *= 10;
  }
  if (i >= n || text.charCodeAt(i) !== NL) return -1;
  append(id, whole * 1000 + fraction, value);
  return i + 1;
}

/**
 * Scans one piece of OpenMetrics text (whole lines; `last`: the piece that must end with
 * `# EOF`), appending known series by id and handing every other line to `core`. Returns the
 * number of newlines in `text`, which the caller needs for line numbers and would otherwise
 * count in another pass.
 *
 * @throws what `core` throws, with `details.line` and the message's line made relative to the
 *   piece.
 * @example
 * scanOpenMetricsFast(piece, last, cache, (body) => scanWithCore(body), (id, t, v) => store.appendById(id, t, v));
 */
export function scanOpenMetricsFast(
  text: string,
  last: boolean,
  cache: SeriesTextCache,
  core: CoreScan,
  append: FastAppend,
): number {
  const n = text.length;
  const ids = cache.ids;
  let pos = 0;
  let line = 1;
  while (pos < n) {
    let raw: string | undefined;
    let end = -1;
    if (text.charCodeAt(pos) !== HASH) {
      const guess = cache.guess();
      // A slice compared with `===` is several times cheaper than `startsWith` (V8 compares
      // flat strings with memcmp, startsWith char by char): bench/rules-backtest.ts.
      const guessEnd = guess === undefined ? -1 : pos + guess.length;
      if (
        guessEnd >= 0 &&
        guessEnd < n &&
        text.charCodeAt(guessEnd) === SP &&
        text.slice(pos, guessEnd) === guess
      ) {
        const id = cache.guessId();
        const next = readSample(text, guessEnd, n, id, append);
        if (next >= 0) {
          cache.previous = id;
          pos = next;
          line++;
          continue;
        }
      } else {
        end = seriesEnd(text, pos, n);
        if (end >= 0 && end < n && text.charCodeAt(end) === SP) {
          raw = text.slice(pos, end);
          const id = ids.get(raw);
          if (id !== undefined) {
            const next = readSample(text, end, n, id, append);
            if (next >= 0) {
              cache.follow(cache.texts[id]!, id);
              cache.previous = id;
              pos = next;
              line++;
              continue;
            }
          }
        } else {
          end = -1;
        }
      }
    } else if (text.startsWith('# EOF', pos)) {
      // Core checks that nothing follows: it reads the rest, which is this line alone in a valid file.
      runCore(core, last ? text.slice(pos) : text.slice(pos) + eof, line);
      let newlines = line - 1;
      for (let i = text.indexOf('\n', pos); i !== -1; i = text.indexOf('\n', i + 1)) newlines++;
      return newlines;
    }
    const eol = text.indexOf('\n', pos);
    if (eol === -1) {
      runCore(core, last ? text.slice(pos) : text.slice(pos) + eof, line);
      return line - 1;
    }
    const id = runCore(core, `${text.slice(pos, eol + 1)}${eof}`, line);
    if (id >= 0) {
      // Core accepted the line as a sample: its series text is now known.
      if (raw === undefined && end < 0) {
        const e = seriesEnd(text, pos, n);
        if (e >= 0 && text.charCodeAt(e) === SP) raw = text.slice(pos, e);
      }
      if (raw !== undefined) {
        // A copy of its own, so that the cache does not keep the whole piece alive.
        raw = ownCopy(raw);
        ids.set(raw, id);
        cache.texts[id] = raw;
        cache.follow(raw, id);
      }
      cache.previous = id;
    }
    pos = eol + 1;
    line++;
  }
  // Core's own error for a last piece without `# EOF`, at the line after the last.
  if (last) runCore(core, '', line);
  return line - 1;
}

function ownCopy(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

function runCore(core: CoreScan, body: string, line: number): number {
  try {
    return core(body);
  } catch (err) {
    if (!(err instanceof VigilError)) throw err;
    const at = (err.details as { line?: number }).line;
    if (at === undefined) throw err;
    const pieceLine = line + at - 1;
    throw new VigilError(
      'parse',
      err.message.replace(/^exposition line \d+: /, `exposition line ${pieceLine}: `),
      {
        cause: err.cause ?? err,
        details: { ...err.details, line: pieceLine },
      },
    );
  }
}
