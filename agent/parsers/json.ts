import { newRecord, setAttribute } from '../record.ts';
import { severityFromPinoLevel, severityFromText } from '../severity.ts';
import type { Parser } from './parser.ts';
import { epochToMs, parseIsoTime, spanIdOf, traceIdOf } from './time.ts';

/**
 * JSON lines, with the field conventions of the common structured loggers:
 *
 * | logger | time | level | message |
 * | --- | --- | --- | --- |
 * | pino | `time` (epoch ms) | `level` (10..60) | `msg` |
 * | bunyan | `time` (ISO) | `level` (10..60) | `msg` |
 * | winston | `timestamp` (ISO) | `level` ("info") | `message` |
 * | zap | `ts` (epoch s, or ISO) | `level` ("info") | `msg` |
 * | logrus | `time` (RFC 3339) | `level` ("info") | `msg` |
 * | python-json-logger / structlog | `asctime` / `timestamp` | `levelname` / `level` | `message` / `event` |
 * | ECS / logstash | `@timestamp` | `log.level` | `message` |
 *
 * Trace context is read from `trace_id`/`span_id` (pino's OpenTelemetry mixin, zap),
 * `traceId`/`spanId`, `trace.id`/`span.id` (ECS) and `otelTraceID`/`otelSpanID` (Python).
 * The fields used for time, level, message and trace leave the attributes; all others stay.
 */

const timeKeys = ['time', 'timestamp', 'ts', '@timestamp', 'asctime', 't', 'date', 'datetime'];
const levelKeys = ['level', 'levelname', 'severity', 'lvl', 'log.level', 'loglevel', 'level_name'];
const messageKeys = ['msg', 'message', 'event', '@message', 'log', 'text'];
const traceKeys = ['trace_id', 'traceId', 'trace.id', 'otelTraceID', 'traceid', 'dd.trace_id'];
const spanKeys = ['span_id', 'spanId', 'span.id', 'otelSpanID', 'spanid', 'dd.span_id'];

function timeOf(v: unknown): number | undefined {
  if (typeof v === 'number') return epochToMs(v);
  if (typeof v === 'string') {
    const iso = parseIsoTime(v);
    if (iso !== undefined) return iso;
    if (/^\d+(\.\d+)?$/.test(v)) return epochToMs(Number(v));
  }
  return undefined;
}

export const json: Parser = {
  name: 'json',
  parse(line, ctx) {
    const start = line.charCodeAt(0) === 123 /* { */ ? 0 : line.indexOf('{');
    // Only leading whitespace may precede the object: "prefix {..." is some other format.
    if (start < 0 || line.slice(0, start).trim() !== '') return undefined;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      return undefined;
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
    const fields = obj as Record<string, unknown>;
    const record = newRecord(line, ctx);
    // Keys taken for time, level, message and trace; the rest become attributes. Copying the
    // rest is cheaper than `delete`, which turns the object into a slow dictionary.
    let used1: string | undefined;
    let used2: string | undefined;
    let used3: string | undefined;
    let used4: string | undefined;
    let used5: string | undefined;

    for (const k of messageKeys) {
      const v = fields[k];
      if (typeof v === 'string') {
        record.body = v;
        used1 = k;
        break;
      }
    }
    for (const k of timeKeys) {
      const t = timeOf(fields[k]);
      if (t !== undefined) {
        record.timeUnixMs = t;
        used2 = k;
        break;
      }
    }
    for (const k of levelKeys) {
      const v = fields[k];
      if (typeof v === 'number') {
        record.severityNumber = severityFromPinoLevel(v);
        record.severityText = String(v);
        used3 = k;
        break;
      }
      if (typeof v === 'string' && v.length > 0 && v.length < 16) {
        record.severityNumber = severityFromText(v);
        record.severityText = v;
        used3 = k;
        break;
      }
    }
    for (const k of traceKeys) {
      const id = traceIdOf(fields[k]);
      if (id !== undefined) {
        record.traceId = id;
        used4 = k;
        break;
      }
    }
    for (const k of spanKeys) {
      const id = spanIdOf(fields[k]);
      if (id !== undefined) {
        record.spanId = id;
        used5 = k;
        break;
      }
    }
    const attributes: Record<string, unknown> = {};
    for (const k in fields) {
      if (k !== used1 && k !== used2 && k !== used3 && k !== used4 && k !== used5)
        setAttribute(attributes, k, fields[k]);
    }
    record.attributes = attributes;
    return record;
  },
};
