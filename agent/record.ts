/**
 * The normalized log record: the OpenTelemetry log data model
 * (https://opentelemetry.io/docs/specs/otel/logs/data-model/), which every source and parser
 * produces and every sink consumes. Times are milliseconds since the Unix epoch (fractions
 * carry sub-millisecond precision where the line had it).
 */
export interface LogRecord {
  /** When the event happened, from the line; undefined when the line carries no time. */
  timeUnixMs: number | undefined;
  /** When the agent read the line. */
  observedTimeUnixMs: number;
  /** OpenTelemetry SeverityNumber: 0 unspecified, 1-4 TRACE, 5-8 DEBUG, 9-12 INFO, 13-16 WARN, 17-20 ERROR, 21-24 FATAL. */
  severityNumber: number;
  /** The level as the line spelled it ("warning", "E", "30"). */
  severityText: string | undefined;
  /** The message; the whole line when no parser understood it. */
  body: string;
  attributes: Record<string, unknown>;
  /** Where the line came from: service, pod, namespace, container, file. Shared by the records of a source. */
  resource: Readonly<Record<string, string>>;
  /** 32 lowercase hex digits, when the line carries a trace id. */
  traceId: string | undefined;
  /** 16 lowercase hex digits, when the line carries a span id. */
  spanId: string | undefined;
}

/** What a parser needs besides the line: the time it was read and the source's resource. */
export interface ParseContext {
  observedMs: number;
  resource: Readonly<Record<string, string>>;
}

/**
 * A record with every field present, so that all records share one object shape (V8 keeps
 * them monomorphic on the hot path).
 *
 * @example
 * const r = newRecord('hello', { observedMs: Date.now(), resource: {} });
 */
export function newRecord(body: string, ctx: ParseContext): LogRecord {
  return {
    timeUnixMs: undefined,
    observedTimeUnixMs: ctx.observedMs,
    severityNumber: 0,
    severityText: undefined,
    body,
    attributes: {},
    resource: ctx.resource,
    traceId: undefined,
    spanId: undefined,
  };
}

/**
 * Sets an attribute whose name comes from the log line. A line may say `__proto__=x`; a plain
 * assignment would change the object's prototype instead of keeping the field.
 */
export function setAttribute(attributes: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(attributes, key, { value, enumerable: true, writable: true, configurable: true });
  else attributes[key] = value;
}

/** The attribute set on a record whose line no parser understood. */
export const parseErrorAttribute = 'parse_error';

/** A JSON-friendly view of a record, as `vigil agent parse` and the stdout/file sinks write it. */
export interface RecordJson {
  timestamp?: string;
  observed_timestamp: string;
  severity_number: number;
  severity_text?: string;
  body: string;
  attributes: Record<string, unknown>;
  resource: Record<string, string>;
  trace_id?: string;
  span_id?: string;
}

function isoOrUndefined(ms: number | undefined): string | undefined {
  if (ms === undefined || !Number.isFinite(ms)) return undefined;
  const d = new Date(Math.floor(ms));
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/**
 * Converts a record to its JSON form (ISO timestamps, snake_case keys as in OTLP/JSON logs).
 *
 * @example
 * process.stdout.write(`${JSON.stringify(recordToJson(record))}\n`);
 */
export function recordToJson(r: LogRecord): RecordJson {
  const ts = isoOrUndefined(r.timeUnixMs);
  const out: RecordJson = {
    ...(ts === undefined ? {} : { timestamp: ts }),
    observed_timestamp: isoOrUndefined(r.observedTimeUnixMs) ?? new Date(0).toISOString(),
    severity_number: r.severityNumber,
    ...(r.severityText === undefined ? {} : { severity_text: r.severityText }),
    body: r.body,
    attributes: r.attributes,
    resource: { ...r.resource },
  };
  if (r.traceId !== undefined) out.trace_id = r.traceId;
  if (r.spanId !== undefined) out.span_id = r.spanId;
  return out;
}

/** Inverse of recordToJson, for sinks that read back what they buffered on disk. */
export function recordFromJson(j: RecordJson): LogRecord {
  return {
    timeUnixMs: j.timestamp === undefined ? undefined : Date.parse(j.timestamp),
    observedTimeUnixMs: Date.parse(j.observed_timestamp),
    severityNumber: j.severity_number,
    severityText: j.severity_text,
    body: j.body,
    attributes: j.attributes,
    resource: j.resource,
    traceId: j.trace_id,
    spanId: j.span_id,
  };
}
