import { newRecord, setAttribute } from '../record.ts';
import { severityFromText } from '../severity.ts';
import type { Parser } from './parser.ts';
import { epochToMs, parseIsoTime, spanIdOf, traceIdOf } from './time.ts';

/**
 * logfmt (`time=2024-01-02T10:00:00Z level=info msg="started" port=8080`), as written by Go's
 * log/slog TextHandler, go-kit, logrus' text formatter without colors and Heroku.
 *
 * A line counts as logfmt when every token is `key=value` or a bare key and at least two are
 * pairs: one `a=b` inside a sentence is not enough.
 */

const timeKeys = new Set(['time', 'ts', 't', 'timestamp', 'date']);
const levelKeys = new Set(['level', 'lvl', 'severity', 'loglevel']);
const messageKeys = new Set(['msg', 'message']);
const traceKeys = new Set(['trace_id', 'traceid', 'traceID', 'trace.id']);
const spanKeys = new Set(['span_id', 'spanid', 'spanID', 'span.id']);

/**
 * Splits a logfmt line into pairs, or returns undefined when it is not logfmt. Quoted
 * values may contain spaces and backslash escapes (`\"`, `\\`, `\n`, `\t`).
 *
 * @example
 * scanLogfmt('a=1 b="x y"'); // [['a', '1'], ['b', 'x y']]
 */
export function scanLogfmt(line: string): Array<[string, string]> | undefined {
  const pairs: Array<[string, string]> = [];
  const n = line.length;
  let i = 0;
  let withValue = 0;
  while (i < n) {
    while (i < n && line.charCodeAt(i) === 32) i++;
    if (i >= n) break;
    const keyStart = i;
    while (i < n) {
      const c = line.charCodeAt(i);
      if (c === 61 /* = */ || c === 32 || c === 34 /* " */ || c < 32) break;
      i++;
    }
    if (i === keyStart) return undefined;
    const key = line.slice(keyStart, i);
    if (i >= n || line.charCodeAt(i) === 32) {
      pairs.push([key, 'true']);
      continue;
    }
    if (line.charCodeAt(i) !== 61) return undefined;
    i++;
    withValue++;
    if (line.charCodeAt(i) === 34) {
      i++;
      let value = '';
      let closed = false;
      let chunk = i;
      while (i < n) {
        const c = line.charCodeAt(i);
        if (c === 92 /* \ */ && i + 1 < n) {
          value += line.slice(chunk, i);
          const e = line[i + 1]!;
          value += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
          i += 2;
          chunk = i;
          continue;
        }
        if (c === 34) {
          value += line.slice(chunk, i);
          closed = true;
          i++;
          break;
        }
        i++;
      }
      if (!closed) return undefined;
      if (i < n && line.charCodeAt(i) !== 32) return undefined;
      pairs.push([key, value]);
    } else {
      const valueStart = i;
      while (i < n && line.charCodeAt(i) !== 32) {
        if (line.charCodeAt(i) === 34) return undefined;
        i++;
      }
      pairs.push([key, line.slice(valueStart, i)]);
    }
  }
  return withValue >= 2 ? pairs : undefined;
}

export const logfmt: Parser = {
  name: 'logfmt',
  parse(line, ctx) {
    // Cheap refusal before scanning: logfmt starts with a key.
    const c0 = line.charCodeAt(0);
    if (line.length < 3 || c0 === 32 || c0 === 123 || c0 === 60 || c0 === 91) return undefined;
    const pairs = scanLogfmt(line);
    if (!pairs) return undefined;
    const record = newRecord(line, ctx);
    const attributes: Record<string, unknown> = {};
    let hasMessage = false;
    for (const [k, v] of pairs) {
      if (!hasMessage && messageKeys.has(k)) {
        record.body = v;
        hasMessage = true;
      } else if (record.timeUnixMs === undefined && timeKeys.has(k)) {
        const t = parseIsoTime(v) ?? (/^\d+(\.\d+)?$/.test(v) ? epochToMs(Number(v)) : undefined);
        if (t === undefined) setAttribute(attributes, k, v);
        else record.timeUnixMs = t;
      } else if (record.severityText === undefined && levelKeys.has(k)) {
        record.severityText = v;
        record.severityNumber = severityFromText(v);
      } else if (record.traceId === undefined && traceKeys.has(k) && traceIdOf(v)) {
        record.traceId = traceIdOf(v);
      } else if (record.spanId === undefined && spanKeys.has(k) && spanIdOf(v)) {
        record.spanId = spanIdOf(v);
      } else {
        setAttribute(attributes, k, v);
      }
    }
    if (!hasMessage) record.body = line;
    record.attributes = attributes;
    return record;
  },
};
