import type { LogRecord, ParseContext } from '../record.ts';

/**
 * A log format. `parse` is pure: it returns the record for a line it understands and
 * undefined for one it does not (it never throws, and never drops: the normalizer keeps a
 * line no parser understood).
 */
export interface Parser {
  readonly name: string;
  parse(line: string, ctx: ParseContext): LogRecord | undefined;
}

/**
 * A format whose records may span several lines (Java stack traces, Python tracebacks, Go
 * panics): `isContinuation` says whether a line that did not parse belongs to the record
 * before it.
 */
export interface MultilineParser extends Parser {
  isContinuation(line: string): boolean;
}

/**
 * A container-runtime envelope (CRI, docker json-file): the record's body is the
 * application's own line, which the normalizer parses again. `partial` on the record's
 * attributes marks a fragment that the runtime split and that continues in the next entry.
 */
export interface EnvelopeParser extends Parser {
  readonly envelope: true;
}

export function isMultiline(p: Parser): p is MultilineParser {
  return typeof (p as Partial<MultilineParser>).isContinuation === 'function';
}

export function isEnvelope(p: Parser): p is EnvelopeParser {
  return (p as Partial<EnvelopeParser>).envelope === true;
}

/** Attribute an envelope parser sets on a fragment the runtime split (CRI "P", docker without "\n"). */
export const partialAttribute = 'log.partial';
