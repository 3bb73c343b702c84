import { VigilError } from '../core/index.ts';
import {
  detectionOrder,
  type FormatName,
  formatAliases,
  isEnvelope,
  isMultiline,
  type MultilineParser,
  type Parser,
  parsers,
  partialAttribute,
} from './parsers/index.ts';
import { type LogRecord, newRecord, type ParseContext, parseErrorAttribute } from './record.ts';

/**
 * The pure core of the agent: lines in, normalized records out. It picks the parser (fixed,
 * or detected line by line with the last successful format tried first), joins multiline
 * records (stack traces) and runtime-split fragments (CRI `P`, docker without newline),
 * unwraps container envelopes and parses the application line inside, and keeps every line
 * no parser understood as a record with a `parse_error` attribute: nothing is dropped.
 *
 * Each record is emitted with the position (an opaque number chosen by the caller, a file
 * offset for files) of the last line it contains, so a shell can checkpoint only what its
 * sink has accepted.
 */

export type FormatSetting = FormatName | 'auto';

export interface NormalizerOptions {
  /** A format name, an alias (nginx, syslog, logback...) or 'auto' (the default). */
  format?: string;
  /** For envelope formats (cri, docker-json): the format of the application lines inside. */
  innerFormat?: string;
  resource?: Readonly<Record<string, string>>;
  /** A multiline record is cut after this many lines (a runaway stack trace must not grow forever). */
  maxRecordLines?: number;
  /** ... or this many characters. */
  maxRecordChars?: number;
  /** Counters to add to, shared by the normalizers of one source; a fresh set when left out. */
  counts?: FormatCounts;
}

export type Emit = (record: LogRecord, position: number) => void;

/** Counters kept per format: lines parsed, lines joined to a record, lines kept unparsed. */
export interface FormatCounts {
  parsed: Record<string, number>;
  continuation: Record<string, number>;
  unparsed: number;
  records: number;
}

export function newFormatCounts(): FormatCounts {
  return { parsed: {}, continuation: {}, unparsed: 0, records: 0 };
}

/** Default cap on lines joined into one multiline record. */
export const defaultMaxRecordLines = 1000;
/** Default cap on the characters of one joined record: 1 MiB of stack trace is already unreadable. */
export const defaultMaxRecordChars = 1 << 20;

/**
 * Resolves a format name or alias; throws a usage VigilError naming the known formats.
 *
 * @example
 * resolveFormat('nginx'); // 'access-log'
 */
export function resolveFormat(name: string): FormatSetting {
  if (name === 'auto') return 'auto';
  if (Object.hasOwn(parsers, name)) return name as FormatName;
  const alias = formatAliases[name];
  if (alias) return alias;
  const known = ['auto', ...Object.keys(parsers), ...Object.keys(formatAliases)].join(', ');
  throw new VigilError('usage', `unknown log format "${name}" (known: ${known})`, {
    details: { format: name },
  });
}

interface Pending {
  record: LogRecord;
  parser: MultilineParser;
  lines: number;
  position: number;
}

/** One level of parsing: the source's lines, or the application lines inside an envelope. */
class Stage {
  private readonly fixed: Parser | undefined;
  private readonly candidates: Parser[];
  private sticky: Parser | undefined;
  private pending: Pending | undefined;
  private inner: Stage | undefined;
  private readonly partials = new Map<string, { record: LogRecord; parts: string[]; chars: number }>();
  private readonly ctx: ParseContext;

  constructor(
    format: FormatSetting,
    private readonly innerFormat: FormatSetting,
    resource: Readonly<Record<string, string>>,
    private readonly emit: Emit,
    private readonly counts: FormatCounts,
    insideEnvelope: boolean,
    private readonly maxLines: number,
    private readonly maxChars: number,
  ) {
    this.ctx = { observedMs: 0, resource };
    this.fixed = format === 'auto' ? undefined : parsers[format];
    this.candidates = detectionOrder
      .map((n) => parsers[n] as Parser)
      .filter((p) => !(insideEnvelope && isEnvelope(p)));
  }

  push(line: string, observedMs: number, position: number, envelope?: LogRecord): void {
    this.ctx.observedMs = observedMs;
    const [parser, record] = this.parse(line);
    if (record && parser) {
      if (isEnvelope(parser)) {
        // Counted under the envelope; the application line inside is counted again under its own format.
        this.counts.parsed[parser.name] = (this.counts.parsed[parser.name] ?? 0) + 1;
        this.flushOwn();
        this.unwrap(record, observedMs, position);
        return;
      }
      this.counts.parsed[parser.name] = (this.counts.parsed[parser.name] ?? 0) + 1;
      if (envelope) mergeEnvelope(record, envelope);
      this.flush();
      if (isMultiline(parser)) this.pending = { record, parser, lines: 1, position };
      else this.out(record, position);
      return;
    }
    const p = this.pending;
    if (
      p &&
      p.lines < this.maxLines &&
      p.record.body.length + line.length < this.maxChars &&
      p.parser.isContinuation(line)
    ) {
      p.record.body += `\n${line}`;
      p.lines++;
      p.position = position;
      this.counts.continuation[p.parser.name] = (this.counts.continuation[p.parser.name] ?? 0) + 1;
      return;
    }
    this.flush();
    const kept = newRecord(line, this.ctx);
    if (envelope) mergeEnvelope(kept, envelope);
    else {
      kept.attributes[parseErrorAttribute] = this.fixed ? `not ${this.fixed.name}` : 'no format matched';
      this.counts.unparsed++;
    }
    this.out(kept, position);
  }

  /** Emits the multiline record being assembled, if any, and any held fragments. */
  flush(): void {
    this.flushOwn();
    this.inner?.flush();
  }

  private flushOwn(): void {
    const p = this.pending;
    if (p) {
      this.pending = undefined;
      this.out(p.record, p.position);
    }
  }

  /** Flushes held runtime fragments too: used at the end of input. */
  end(position: number): void {
    for (const [stream, partial] of this.partials) {
      this.partials.delete(stream);
      partial.record.body = partial.parts.join('');
      delete partial.record.attributes[partialAttribute];
      this.innerStage().push(partial.record.body, this.ctx.observedMs, position, partial.record);
    }
    this.flush();
  }

  private parse(line: string): [Parser | undefined, LogRecord | undefined] {
    if (this.fixed) return [this.fixed, this.fixed.parse(line, this.ctx)];
    const sticky = this.sticky;
    if (sticky) {
      const r = sticky.parse(line, this.ctx);
      if (r) return [sticky, r];
    }
    for (const p of this.candidates) {
      if (p === sticky) continue;
      const r = p.parse(line, this.ctx);
      if (r) {
        this.sticky = p;
        return [p, r];
      }
    }
    return [undefined, undefined];
  }

  private unwrap(record: LogRecord, observedMs: number, position: number): void {
    const stream = String(record.attributes['log.iostream'] ?? '');
    const isPartial = record.attributes[partialAttribute] === true;
    let held = this.partials.get(stream);
    if (isPartial || held) {
      if (!held) {
        held = { record, parts: [], chars: 0 };
        this.partials.set(stream, held);
      }
      held.parts.push(record.body);
      held.chars += record.body.length;
      if (isPartial && held.chars < this.maxChars) return;
      this.partials.delete(stream);
      held.record.body = held.parts.join('');
      delete held.record.attributes[partialAttribute];
      record = held.record;
    }
    this.innerStage().push(record.body, observedMs, position, record);
  }

  private innerStage(): Stage {
    this.inner ??= new Stage(
      this.innerFormat,
      'auto',
      this.ctx.resource,
      this.emit,
      this.counts,
      true,
      this.maxLines,
      this.maxChars,
    );
    return this.inner;
  }

  private out(record: LogRecord, position: number): void {
    this.counts.records++;
    this.emit(record, position);
  }
}

function mergeEnvelope(record: LogRecord, envelope: LogRecord): void {
  if (record.timeUnixMs === undefined) record.timeUnixMs = envelope.timeUnixMs;
  for (const k in envelope.attributes) {
    if (!(k in record.attributes)) record.attributes[k] = envelope.attributes[k];
  }
}

/**
 * Turns lines into records. One Normalizer per source (it keeps the multiline and detection
 * state of that stream).
 *
 * @example
 * const out: LogRecord[] = [];
 * const n = new Normalizer({ format: 'auto' }, (r) => out.push(r));
 * n.push('{"level":30,"msg":"hi"}', Date.now(), 0);
 * n.end();
 */
export class Normalizer {
  readonly counts: FormatCounts;
  private readonly stage: Stage;
  private lastPosition = 0;

  constructor(options: NormalizerOptions, emit: Emit) {
    const format = resolveFormat(options.format ?? 'auto');
    const innerFormat = resolveFormat(options.innerFormat ?? 'auto');
    this.counts = options.counts ?? newFormatCounts();
    this.stage = new Stage(
      format,
      innerFormat,
      options.resource ?? {},
      emit,
      this.counts,
      false,
      options.maxRecordLines ?? defaultMaxRecordLines,
      options.maxRecordChars ?? defaultMaxRecordChars,
    );
  }

  /** Feeds one line (without its newline). */
  push(line: string, observedMs: number, position: number): void {
    this.lastPosition = position;
    this.stage.push(line, observedMs, position);
  }

  /** Emits a multiline record being assembled: call when the input has been idle for a while. */
  flush(): void {
    this.stage.flush();
  }

  /** Emits everything held, fragments included: call at the end of input. */
  end(): void {
    this.stage.end(this.lastPosition);
  }
}
