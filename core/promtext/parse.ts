import { VigilError } from '../errors.ts';
import { emptyLabels, type Labels, metricNameLabel, setLabel } from '../labels.ts';
import { parseSecondsToMs, parseValue } from './float.ts';
import { isDigit } from './lexical.ts';
import {
  belongsToFamily,
  type Exemplar,
  type ExpositionFormat,
  type MetricFamily,
  type MetricType,
  type Sample,
  typeSuffixes,
} from './model.ts';

/**
 * Parsers for the Prometheus text format 0.0.4 and OpenMetrics 1.0 text, accepting and refusing
 * what Prometheus' own scrape parsers (model/textparse promparse.go and openmetricsparse.go)
 * accept and refuse:
 *
 * - Prometheus format: blank lines, `#` comments and blanks/tabs between tokens are allowed
 *   (but not before a metric name at the start of a line); label pairs may be separated by
 *   blanks instead of commas and may end with a trailing comma; a NUL at a line start ends it;
 *   label values may hold raw newlines; timestamps are integer milliseconds; the last line may
 *   lack its newline; HELP unescapes only `\\` and `\n`.
 * - OpenMetrics: exactly one space between tokens, no trailing comma, no blank lines, no comments other than
 *   HELP/TYPE/UNIT, `# EOF` must end the data; timestamps are seconds; exemplars after ` # `;
 *   UNIT must be a suffix of the family name; HELP unescapes like label values.
 * - Both: duplicate label names in one sample are refused (Prometheus fails the scrape), values
 *   use Go's float spellings without `_` or hex. Metadata may repeat (the last wins), come after
 *   samples, and a family's samples need not be contiguous: Prometheus accepts all three.
 *
 * Not supported: Prometheus 3's quoted UTF-8 metric and label names (`{"my.metric"}`).
 *
 * The scanner is one pass over the string with char codes, no regex and no per-line split:
 * it is on the scraper's hot path (bench/promtext-parse.ts).
 */

/** Receives what the scanner reads, in exposition order, without building a family tree. */
export interface ExpositionVisitor {
  /** One sample; `labels` is a fresh object per sample (or the shared empty set). */
  sample(
    name: string,
    labels: Labels,
    value: number,
    timestampMs: number | undefined,
    exemplar: Exemplar | undefined,
  ): void;
  help?(name: string, text: string): void;
  type?(name: string, type: MetricType): void;
  unit?(name: string, unit: string): void;
}

export interface ParseOptions {
  /** Which text format the input is in; default `prometheus`. See {@link formatFromContentType}. */
  format?: ExpositionFormat;
  /**
   * Also put the sample name into each sample's labels as `__name__` (first), so that a store
   * keying series by one label set need not copy them. Meant for {@link scanExposition} and
   * {@link parseSamples}; such labels cannot be written back as they are. Default false.
   */
  nameLabel?: boolean;
}

/**
 * Scans an exposition and calls `visitor` for every sample and metadata line: the cheapest way to
 * consume a scrape, since it builds no family tree.
 *
 * @throws VigilError('parse') naming the line and what was expected.
 * @example
 * scanExposition(body, { sample: (name, labels, value, ts) => append(name, labels, value, ts ?? now) });
 */
export function scanExposition(text: string, visitor: ExpositionVisitor, options: ParseOptions = {}): void {
  const scanner = new Scanner(text, visitor, options.nameLabel === true);
  if ((options.format ?? 'prometheus') === 'openmetrics') scanner.openMetrics();
  else scanner.prometheus();
}

/**
 * Calls `onSample` for each sample of an exposition, ignoring metadata.
 *
 * @throws VigilError('parse') naming the line and what was expected.
 * @example
 * let n = 0;
 * parseSamples('up 1\n', () => n++); // n === 1
 */
export function parseSamples(
  text: string,
  onSample: (sample: Sample) => void,
  options: ParseOptions = {},
): void {
  scanExposition(
    text,
    { sample: (name, labels, value, ts, ex) => onSample(makeSample(name, labels, value, ts, ex)) },
    options,
  );
}

interface FamilyDraft {
  name: string;
  type: MetricType;
  help: string | undefined;
  unit: string | undefined;
  samples: Sample[];
}

/**
 * Parses an exposition into metric families, in order of first appearance. A sample joins the
 * family whose name and type explain it (`x_bucket` joins histogram `x`), else a new `unknown`
 * family named after the sample.
 *
 * @throws VigilError('parse') naming the line and what was expected.
 * @example
 * const [family] = parseExposition('# TYPE up gauge\nup{job="node"} 1\n');
 * // family: { name: 'up', type: 'gauge', samples: [{ name: 'up', labels: { job: 'node' }, value: 1 }] }
 */
export function parseExposition(text: string, options: ParseOptions = {}): MetricFamily[] {
  const drafts: FamilyDraft[] = [];
  const byName = new Map<string, FamilyDraft>();
  let current: FamilyDraft | undefined;
  const open = (name: string): FamilyDraft => {
    let family = byName.get(name);
    if (family === undefined) {
      family = { name, type: 'unknown', help: undefined, unit: undefined, samples: [] };
      byName.set(name, family);
      drafts.push(family);
    }
    current = family;
    return family;
  };
  scanExposition(
    text,
    {
      help: (name, help) => {
        open(name).help = help;
      },
      type: (name, type) => {
        open(name).type = type;
      },
      unit: (name, unit) => {
        open(name).unit = unit;
      },
      sample: (name, labels, value, ts, exemplar) => {
        let family = current;
        if (family === undefined || !belongsToFamily(name, family.name, family.type)) {
          family = findFamily(byName, name) ?? open(name);
          current = family;
        }
        family.samples.push(makeSample(name, labels, value, ts, exemplar));
      },
    },
    options,
  );
  return drafts.map((d) => {
    const family: { -readonly [K in keyof MetricFamily]: MetricFamily[K] } = {
      name: d.name,
      type: d.type,
      samples: d.samples,
    };
    if (d.help !== undefined) family.help = d.help;
    if (d.unit !== undefined) family.unit = d.unit;
    return family;
  });
}

const allSuffixes = [...new Set(Object.values(typeSuffixes).flat())];

function findFamily(byName: Map<string, FamilyDraft>, sampleName: string): FamilyDraft | undefined {
  const exact = byName.get(sampleName);
  if (exact !== undefined) return exact;
  for (const suffix of allSuffixes) {
    if (!sampleName.endsWith(suffix)) continue;
    const family = byName.get(sampleName.slice(0, -suffix.length));
    if (family !== undefined && typeSuffixes[family.type].includes(suffix)) return family;
  }
  return undefined;
}

function makeSample(
  name: string,
  labels: Labels,
  value: number,
  timestampMs: number | undefined,
  exemplar: Exemplar | undefined,
): Sample {
  if (timestampMs === undefined && exemplar === undefined) return { name, labels, value };
  if (exemplar === undefined) return { name, labels, value, timestampMs };
  if (timestampMs === undefined) return { name, labels, value, exemplar };
  return { name, labels, value, timestampMs, exemplar };
}

const NL = 10;
const TAB = 9;
const SP = 32;
const QUOTE = 34;
const HASH = 35;
const COMMA = 44;
const EQ = 61;
const BSLASH = 92;
const LBRACE = 123;
const RBRACE = 125;

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || (c >= 48 && c <= 57);
}

const promTypes: Readonly<Record<string, MetricType>> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  summary: 'summary',
  untyped: 'unknown',
};

const openMetricsTypes: Readonly<Record<string, MetricType>> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  gaugehistogram: 'gaugehistogram',
  summary: 'summary',
  info: 'info',
  stateset: 'stateset',
  unknown: 'unknown',
};

class Scanner {
  private pos = 0;
  private line = 1;
  private readonly n: number;
  // Consecutive samples mostly repeat their label names at the same positions. Reusing the
  // previous sample's name string after an in-place comparison skips a slice and V8's
  // internalization of a fresh object key (about 5-10% on bench/promtext-parse.ts). Doing the
  // same for the metric name and label values made it slower: they differ too often.
  private readonly names: string[] = [];

  constructor(
    private readonly text: string,
    private readonly visitor: ExpositionVisitor,
    private readonly nameLabel: boolean,
  ) {
    this.n = text.length;
  }

  prometheus(): void {
    const text = this.text;
    const n = this.n;
    while (this.pos < n) {
      const lineStart = this.pos;
      this.skipBlanks();
      if (this.pos >= n) return;
      const c = text.charCodeAt(this.pos);
      if (c === NL) {
        this.pos++;
        this.line++;
      } else if (c === HASH) {
        this.promComment();
      } else if (c === 0) {
        // Prometheus' lexer reads a NUL at the start of a line as the end of the input.
        return;
      } else {
        // Blanks may precede a comment or end a blank line, but Prometheus takes blanks before
        // a metric name into the name, which then is invalid and fails the scrape.
        if (this.pos > lineStart) this.fail('a metric name at the start of the line (no leading blanks)');
        this.promSample();
      }
    }
  }

  openMetrics(): void {
    const text = this.text;
    for (;;) {
      if (this.pos >= this.n) this.failWith('missing "# EOF" at the end of the exposition');
      if (text.charCodeAt(this.pos) === HASH) {
        if (this.omComment()) return;
      } else {
        this.omSample();
      }
    }
  }

  // --- Prometheus text format 0.0.4 ---

  private promComment(): void {
    const text = this.text;
    const n = this.n;
    let i = this.pos + 1;
    const afterHash = i;
    while (i < n && isBlank(text.charCodeAt(i))) i++;
    // `# HELP` and `# TYPE` need blanks on both sides of the keyword; anything else is a comment.
    if (i > afterHash && (text.startsWith('HELP', i) || text.startsWith('TYPE', i))) {
      const isHelp = text.charCodeAt(i) === 72;
      let j = i + 4;
      while (j < n && isBlank(text.charCodeAt(j))) j++;
      if (j > i + 4) {
        this.pos = j;
        this.promMeta(isHelp);
        return;
      }
    }
    this.skipLine();
  }

  private promMeta(isHelp: boolean): void {
    const text = this.text;
    const keyword = isHelp ? 'HELP' : 'TYPE';
    const name = this.metricName(`a metric name after ${keyword}`);
    let eol = text.indexOf('\n', this.pos);
    if (eol === -1) eol = this.n;
    // Prometheus takes the rest of the line minus its first byte (normally the separating blank).
    // When that byte starts a multi-byte character, the rest is not UTF-8 and Prometheus fails.
    if (this.pos < eol && !isBlank(text.charCodeAt(this.pos)) && text.charCodeAt(this.pos) >= 0x80) {
      this.fail(`a blank after "${name}"`);
    }
    const start = this.pos < eol ? this.pos + 1 : eol;
    if (isHelp) {
      this.visitor.help?.(name, unescapeText(text, start, eol, false));
    } else {
      const word = text.slice(start, eol);
      const type = Object.hasOwn(promTypes, word) ? promTypes[word] : undefined;
      if (type === undefined) {
        this.failWith(
          `invalid metric type "${clip(word)}" for "${name}"; expected counter, gauge, histogram, summary or untyped`,
        );
      }
      this.visitor.type?.(name, type);
    }
    this.pos = eol + 1;
    this.line++;
  }

  private promSample(): void {
    const text = this.text;
    const n = this.n;
    const name = this.metricName('a metric name, a "#" comment or a blank line');
    this.skipBlanks();
    let labels: Labels = this.nameLabel ? { [metricNameLabel]: name } : emptyLabels;
    if (this.pos < n && text.charCodeAt(this.pos) === LBRACE) {
      this.pos++;
      labels = this.promLabels(name);
      this.skipBlanks();
    }
    const valueStart = this.pos;
    while (this.pos < n) {
      const c = text.charCodeAt(this.pos);
      if (c === SP || c === TAB || c === NL || c === LBRACE) break;
      this.pos++;
    }
    if (valueStart === this.pos) this.fail(`a value after "${name}"`);
    const value = parseValue(text, valueStart, this.pos);
    if (value === undefined) {
      this.pos = valueStart;
      this.fail(`a number, NaN, +Inf or -Inf as the value of "${name}"`);
    }
    this.skipBlanks();
    let timestampMs: number | undefined;
    if (this.pos < n && isDigit(text.charCodeAt(this.pos))) {
      const start = this.pos;
      while (this.pos < n && isDigit(text.charCodeAt(this.pos))) this.pos++;
      const digits = text.slice(start, this.pos);
      // Prometheus reads the timestamp as an int64; beyond 2^53 the value here is the nearest double.
      if (!fitsInt64(digits)) {
        this.pos = start;
        this.fail('a timestamp in milliseconds that fits in 64 bits');
      }
      timestampMs = Number(digits);
      this.skipBlanks();
    }
    if (this.pos < n) {
      if (text.charCodeAt(this.pos) !== NL) {
        this.fail(
          timestampMs === undefined
            ? 'a timestamp in milliseconds or the end of the line'
            : 'the end of the line after the timestamp',
        );
      }
      this.pos++;
    }
    this.visitor.sample(name, labels, value, timestampMs, undefined);
    this.line++;
  }

  private promLabels(sampleName: string): Labels {
    const text = this.text;
    const n = this.n;
    const labels: Record<string, string> = this.nameLabel ? { [metricNameLabel]: sampleName } : {};
    for (let k = 0; ; k++) {
      this.skipBlanks();
      if (this.pos >= n) this.fail('a label name or "}"');
      const c = text.charCodeAt(this.pos);
      if (c === RBRACE) {
        this.pos++;
        return labels;
      }
      const name = this.labelName('a label name or "}"', k);
      this.skipBlanks();
      if (this.pos >= n || text.charCodeAt(this.pos) !== EQ) this.fail(`"=" after label name "${name}"`);
      this.pos++;
      this.skipBlanks();
      if (this.pos >= n || text.charCodeAt(this.pos) !== QUOTE)
        this.fail(`a quoted value for label "${name}"`);
      this.addLabel(labels, k, name, this.quoted(false), true);
      this.skipBlanks();
      // Prometheus accepts a missing comma between pairs and a trailing comma.
      if (this.pos < n && text.charCodeAt(this.pos) === COMMA) this.pos++;
    }
  }

  // --- OpenMetrics 1.0 ---

  /** Reads a `#` line; true when it was `# EOF`. */
  private omComment(): boolean {
    const text = this.text;
    if (text.startsWith('# EOF', this.pos)) {
      this.pos += 5;
      if (this.pos < this.n && text.charCodeAt(this.pos) === NL) {
        this.pos++;
        this.line++;
      }
      if (this.pos < this.n) this.failWith('unexpected data after "# EOF"');
      return true;
    }
    let keyword: 'HELP' | 'TYPE' | 'UNIT';
    if (text.startsWith('# HELP ', this.pos)) keyword = 'HELP';
    else if (text.startsWith('# TYPE ', this.pos)) keyword = 'TYPE';
    else if (text.startsWith('# UNIT ', this.pos)) keyword = 'UNIT';
    else this.fail('"# HELP ", "# TYPE ", "# UNIT " or "# EOF" (OpenMetrics allows no other comments)');
    this.pos += 7;
    const name = this.metricName(`a metric name after ${keyword}`);
    if (this.pos >= this.n || text.charCodeAt(this.pos) !== SP)
      this.fail(`a space and the ${keyword} text after "${name}"`);
    this.pos++;
    const start = this.pos;
    const eol = text.indexOf('\n', start);
    if (eol === -1) this.failWith('missing "# EOF" at the end of the exposition');
    if (keyword === 'HELP') {
      this.visitor.help?.(name, unescapeText(text, start, eol, true));
    } else if (keyword === 'TYPE') {
      const word = text.slice(start, eol);
      const type = Object.hasOwn(openMetricsTypes, word) ? openMetricsTypes[word] : undefined;
      if (type === undefined) {
        this.failWith(
          `invalid metric type "${clip(word)}" for "${name}"; expected counter, gauge, histogram, gaugehistogram, summary, info, stateset or unknown`,
        );
      }
      this.visitor.type?.(name, type);
    } else {
      const unit = text.slice(start, eol);
      if (unit !== '' && !(name.length > unit.length + 1 && name.endsWith(`_${unit}`))) {
        this.failWith(`unit "${clip(unit)}" is not a suffix of metric "${name}"`);
      }
      this.visitor.unit?.(name, unit);
    }
    this.pos = eol + 1;
    this.line++;
    return false;
  }

  private omSample(): void {
    const text = this.text;
    const n = this.n;
    const name = this.metricName('a metric name or "#"');
    let labels: Labels = this.nameLabel ? { [metricNameLabel]: name } : emptyLabels;
    if (this.pos < n && text.charCodeAt(this.pos) === LBRACE) labels = this.omLabels(name);
    if (this.pos >= n || text.charCodeAt(this.pos) !== SP) this.fail(`one space and a value after "${name}"`);
    this.pos++;
    const value = this.omNumber('a number, NaN, +Inf or -Inf as the sample value');
    let timestampMs: number | undefined;
    let exemplar: Exemplar | undefined;
    if (this.pos < n && text.charCodeAt(this.pos) === SP) {
      if (text.startsWith(' # {', this.pos)) {
        exemplar = this.omExemplar();
      } else {
        this.pos++;
        timestampMs = this.omTimestamp();
        if (this.pos < n && text.charCodeAt(this.pos) === SP) {
          if (!text.startsWith(' # {', this.pos))
            this.fail('the end of the line or an exemplar " # {...}" after the timestamp');
          exemplar = this.omExemplar();
        }
      }
    }
    this.omEndOfLine();
    this.visitor.sample(name, labels, value, timestampMs, exemplar);
    this.line++;
  }

  private omExemplar(): Exemplar {
    this.pos += 3;
    const labels = this.omLabels(undefined);
    if (this.pos >= this.n || this.text.charCodeAt(this.pos) !== SP)
      this.fail('one space and a value after the exemplar labels');
    this.pos++;
    const value = this.omNumber('a number as the exemplar value');
    if (this.pos < this.n && this.text.charCodeAt(this.pos) === SP) {
      this.pos++;
      return { labels, value, timestampMs: this.omTimestamp() };
    }
    return { labels, value };
  }

  private omEndOfLine(): void {
    if (this.pos >= this.n) this.failWith('missing "# EOF" at the end of the exposition');
    if (this.text.charCodeAt(this.pos) !== NL) this.fail('the end of the line');
    this.pos++;
  }

  /** A token up to the next space or newline, read as a value. */
  private omNumber(expected: string): number {
    const start = this.pos;
    this.omToken();
    const value = parseValue(this.text, start, this.pos);
    if (value === undefined) {
      this.pos = start;
      this.fail(expected);
    }
    return value;
  }

  private omTimestamp(): number {
    const start = this.pos;
    this.omToken();
    const ms = parseSecondsToMs(this.text, start, this.pos);
    if (ms === undefined) {
      this.pos = start;
      this.fail('a finite timestamp in seconds');
    }
    return ms;
  }

  private omToken(): void {
    const text = this.text;
    while (this.pos < this.n) {
      const c = text.charCodeAt(this.pos);
      if (c === SP || c === NL) break;
      this.pos++;
    }
  }

  /** Labels at pos: a sample's (given its name) or an exemplar's (name undefined). */
  private omLabels(sampleName: string | undefined): Labels {
    const exemplar = sampleName === undefined;
    const text = this.text;
    const n = this.n;
    this.pos++;
    const labels: Record<string, string> =
      this.nameLabel && sampleName !== undefined ? { [metricNameLabel]: sampleName } : {};
    if (this.pos < n && text.charCodeAt(this.pos) === RBRACE) {
      this.pos++;
      return labels;
    }
    for (let k = exemplar ? 32 : 0; ; k++) {
      const name = this.labelName('a label name', k);
      if (this.pos >= n || text.charCodeAt(this.pos) !== EQ) this.fail(`"=" after label name "${name}"`);
      this.pos++;
      if (this.pos >= n || text.charCodeAt(this.pos) !== QUOTE)
        this.fail(`a quoted value for label "${name}"`);
      this.addLabel(labels, exemplar ? k - 32 : k, name, this.quoted(true), !exemplar);
      if (this.pos >= n) this.fail('"," or "}"');
      const c = text.charCodeAt(this.pos);
      if (c === RBRACE) {
        this.pos++;
        return labels;
      }
      if (c !== COMMA) this.fail('"," or "}" after a label value');
      // No trailing comma: the OpenMetrics grammar has none and Prometheus 2.x refuses it.
      this.pos++;
    }
  }

  // --- shared ---

  private metricName(expected: string): string {
    const text = this.text;
    const start = this.pos;
    if (start >= this.n) this.fail(expected);
    const c = text.charCodeAt(start);
    if (!isNameStart(c) && c !== 58) this.fail(expected);
    let i = start + 1;
    while (i < this.n) {
      const d = text.charCodeAt(i);
      if (!isNameChar(d) && d !== 58) break;
      i++;
    }
    this.pos = i;
    return text.slice(start, i);
  }

  /** The label name at pos; `k` is its position in the sample, for reuse of the previous one. */
  private labelName(expected: string, k: number): string {
    const text = this.text;
    const start = this.pos;
    if (start >= this.n || !isNameStart(text.charCodeAt(start))) this.fail(expected);
    let i = start + 1;
    while (i < this.n && isNameChar(text.charCodeAt(i))) i++;
    this.pos = i;
    const cached = this.names[k];
    if (cached !== undefined && cached.length === i - start && text.startsWith(cached, start)) return cached;
    const name = text.slice(start, i);
    this.names[k] = name;
    return name;
  }

  /** Adds the k-th label of a sample; the names before it are in `this.names[0..k)` or equal to them. */
  private addLabel(
    labels: Record<string, string>,
    k: number,
    name: string,
    value: string,
    isSeries: boolean,
  ): void {
    if (isSeries && name === metricNameLabel)
      this.failWith(`label "${metricNameLabel}" repeats the metric name`);
    // A linear scan of the few names before this one is cheaper than Object.hasOwn per label.
    const offset = isSeries ? 0 : 32;
    for (let j = 0; j < k; j++) {
      if (this.names[offset + j] === name) this.failWith(`duplicate label name "${name}" in one sample`);
    }
    if (name === '__proto__') setLabel(labels, name, value);
    else labels[name] = value;
  }

  /** Reads a double-quoted string at pos; OpenMetrics forbids raw newlines inside. */
  private quoted(openMetrics: boolean): string {
    const text = this.text;
    const n = this.n;
    const startLine = this.line;
    const start = ++this.pos;
    let escaped = false;
    for (;;) {
      if (this.pos >= n) {
        this.line = startLine;
        this.failWith('unterminated quoted label value');
      }
      const c = text.charCodeAt(this.pos);
      if (c === QUOTE) break;
      if (c === BSLASH) {
        escaped = true;
        this.pos++;
        if (this.pos < n && text.charCodeAt(this.pos) === NL)
          this.fail('an escape sequence (\\\\, \\" or \\n) after "\\"');
      } else if (c === NL) {
        if (openMetrics) this.fail('a closing quote before the end of the line');
        this.line++;
      }
      this.pos++;
    }
    const end = this.pos++;
    return escaped ? unescapeText(text, start, end, true) : text.slice(start, end);
  }

  private skipBlanks(): void {
    const text = this.text;
    while (this.pos < this.n && isBlank(text.charCodeAt(this.pos))) this.pos++;
  }

  private skipLine(): void {
    const eol = this.text.indexOf('\n', this.pos);
    this.pos = eol === -1 ? this.n : eol + 1;
    this.line++;
  }

  private fail(expected: string): never {
    this.failWith(`expected ${expected}, got ${this.describe()}`);
  }

  private failWith(message: string): never {
    throw new VigilError('parse', `exposition line ${this.line}: ${message}`, {
      details: { line: this.line },
    });
  }

  private describe(): string {
    if (this.pos >= this.n) return 'the end of the input';
    if (this.text.charCodeAt(this.pos) === NL) return 'the end of the line';
    let end = this.pos;
    while (end < this.n && end - this.pos < 20 && this.text.charCodeAt(end) !== NL) end++;
    return JSON.stringify(this.text.slice(this.pos, end));
  }
}

const int64Max = '9223372036854775807';

function fitsInt64(digits: string): boolean {
  let i = 0;
  while (i < digits.length - 1 && digits.charCodeAt(i) === 48) i++;
  const significant = digits.length - i;
  return significant < int64Max.length || (significant === int64Max.length && digits.slice(i) <= int64Max);
}

function isBlank(c: number): boolean {
  return c === SP || c === TAB;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/**
 * Undoes text-format escaping: `\\` and `\n` always, `\"` in label values and OpenMetrics HELP
 * (Prometheus-format HELP keeps `\"` as is). Other backslash pairs stay verbatim, as in Prometheus.
 */
function unescapeText(text: string, start: number, end: number, quotes: boolean): string {
  let i = start;
  while (i < end && text.charCodeAt(i) !== BSLASH) i++;
  if (i === end) return text.slice(start, end);
  let out = '';
  let last = start;
  for (; i < end - 1; i++) {
    if (text.charCodeAt(i) !== BSLASH) continue;
    const d = text.charCodeAt(i + 1);
    const replacement = d === BSLASH ? '\\' : d === 110 ? '\n' : d === QUOTE && quotes ? '"' : undefined;
    if (replacement !== undefined) {
      out += text.slice(last, i) + replacement;
      last = i + 2;
    }
    i++;
  }
  return out + text.slice(last, end);
}
