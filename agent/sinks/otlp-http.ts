import { request } from 'undici';
import type { Clock } from '../../core/index.ts';
import { type LogRecord, type RecordJson, recordFromJson, recordToJson } from '../record.ts';
import { DiskBuffer } from './disk-buffer.ts';
import { newSinkStats, type Sink } from './sink.ts';

/**
 * OTLP/HTTP logs (JSON encoding) to an OpenTelemetry Collector's `/v1/logs`.
 *
 * `send` only appends to a bounded buffer (on disk when `bufferDir` is set) and returns: the
 * source may checkpoint at once. A sender loop takes batches from the buffer's head and
 * posts them; a failure (connection refused, 5xx, 429) is retried with exponential backoff
 * and the same batch, so delivery stays in order; a 4xx other than 429 means the collector
 * will never take that batch, which is counted as rejected and skipped. When the buffer is
 * full, new records are counted as dropped (vigil_agent_sink_dropped_records_total).
 */

export interface OtlpHttpSinkOptions {
  /** Collector base URL (`http://127.0.0.1:4318`) or the full `/v1/logs` URL. */
  endpoint: string;
  headers?: Record<string, string>;
  clock: Clock;
  bufferDir?: string;
  /** Bound of the buffer; what would exceed it is dropped and counted. */
  bufferMaxBytes?: number;
  batchRecords?: number;
  /** Idle wait between checks of an empty buffer. */
  flushMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  timeoutMs?: number;
  /** How long close waits for the buffer to drain while the collector accepts. */
  closeGraceMs?: number;
  name?: string;
}

export const defaultBufferMaxBytes = 256 << 20;

type AnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: AnyValue[] } }
  | { kvlistValue: { values: KeyValue[] } };
type KeyValue = { key: string; value: AnyValue };

function anyValue(v: unknown, depth = 0): AnyValue {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  if (depth < 8 && Array.isArray(v)) return { arrayValue: { values: v.map((x) => anyValue(x, depth + 1)) } };
  if (depth < 8 && v !== null && typeof v === 'object')
    return { kvlistValue: { values: keyValues(v as Record<string, unknown>, depth + 1) } };
  return { stringValue: v === null || v === undefined ? '' : JSON.stringify(v) };
}

function keyValues(o: Record<string, unknown>, depth = 0): KeyValue[] {
  return Object.keys(o).map((key) => ({ key, value: anyValue(o[key], depth) }));
}

function nanos(ms: number): string {
  return (BigInt(Math.floor(ms)) * 1_000_000n + BigInt(Math.round((ms % 1) * 1e6))).toString();
}

/**
 * The OTLP/JSON ExportLogsServiceRequest for records, grouped by resource.
 *
 * @example
 * const body = JSON.stringify(toOtlpLogs(records));
 */
export function toOtlpLogs(records: readonly LogRecord[]) {
  const byResource = new Map<string, { resource: Readonly<Record<string, string>>; logs: unknown[] }>();
  for (const r of records) {
    const key = JSON.stringify(r.resource);
    let group = byResource.get(key);
    if (!group) {
      group = { resource: r.resource, logs: [] };
      byResource.set(key, group);
    }
    const log: Record<string, unknown> = {
      observedTimeUnixNano: nanos(r.observedTimeUnixMs),
      severityNumber: r.severityNumber,
      body: { stringValue: r.body },
      attributes: keyValues(r.attributes),
    };
    if (r.timeUnixMs !== undefined) log.timeUnixNano = nanos(r.timeUnixMs);
    if (r.severityText !== undefined) log.severityText = r.severityText;
    if (r.traceId !== undefined) log.traceId = r.traceId;
    if (r.spanId !== undefined) log.spanId = r.spanId;
    group.logs.push(log);
  }
  return {
    resourceLogs: [...byResource.values()].map((g) => ({
      resource: { attributes: keyValues(g.resource) },
      scopeLogs: [{ scope: { name: 'vigil-agent' }, logRecords: g.logs }],
    })),
  };
}

export function otlpHttpSink(options: OtlpHttpSinkOptions): Sink {
  const stats = newSinkStats();
  const url = options.endpoint.endsWith('/v1/logs')
    ? options.endpoint
    : `${options.endpoint.replace(/\/$/, '')}/v1/logs`;
  const buffer = new DiskBuffer({
    dir: options.bufferDir,
    maxBytes: options.bufferMaxBytes ?? defaultBufferMaxBytes,
  });
  const batchRecords = options.batchRecords ?? 1000;
  const { clock } = options;
  let closed = false;
  let wake: (() => void) | undefined;
  const updateBuffered = () => {
    stats.bufferedRecords = buffer.records;
    stats.bufferedBytes = buffer.sizeBytes;
  };
  updateBuffered();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = clock.setTimeout(resolve, ms);
      wake = () => {
        t.cancel();
        resolve();
      };
    });

  async function post(records: LogRecord[]): Promise<'ok' | 'retry' | 'reject'> {
    try {
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(options.headers ?? {}) },
        body: JSON.stringify(toOtlpLogs(records)),
        headersTimeout: options.timeoutMs ?? 10_000,
        bodyTimeout: options.timeoutMs ?? 10_000,
      });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) return 'ok';
      if (res.statusCode === 429 || res.statusCode >= 500) return 'retry';
      return 'reject';
    } catch {
      return 'retry';
    }
  }

  const loop = (async () => {
    let backoff = options.backoffInitialMs ?? 500;
    while (!closed) {
      const { lines, cursor } = buffer.peek(batchRecords);
      if (lines.length === 0) {
        await sleep(options.flushMs ?? 200);
        continue;
      }
      const records = lines.map((l) => recordFromJson(JSON.parse(l) as RecordJson));
      const outcome = await post(records);
      if (outcome === 'retry') {
        stats.retries++;
        await sleep(backoff);
        backoff = Math.min(backoff * 2, options.backoffMaxMs ?? 30_000);
        continue;
      }
      backoff = options.backoffInitialMs ?? 500;
      buffer.ack(cursor);
      if (outcome === 'ok') stats.sent += records.length;
      else stats.rejected += records.length;
      updateBuffered();
    }
  })();

  return {
    name: options.name ?? `otlp:${url}`,
    stats,
    async send(records) {
      if (records.length === 0) return;
      const lines = records.map((r) => JSON.stringify(recordToJson(r)));
      const accepted = buffer.append(lines);
      stats.dropped += lines.length - accepted;
      updateBuffered();
      wake?.();
    },
    async close() {
      // Give the sender a moment to deliver what is buffered, unless the collector is failing.
      const retries = stats.retries;
      const deadline = Date.now() + (options.closeGraceMs ?? 5000);
      while (buffer.records > 0 && stats.retries === retries && Date.now() < deadline) {
        wake?.();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      closed = true;
      wake?.();
      await loop;
      // A disk buffer keeps its records for the next run; a memory buffer loses them, and says so.
      if (!options.bufferDir && buffer.records > 0) stats.dropped += buffer.records;
      buffer.close();
    },
  };
}
