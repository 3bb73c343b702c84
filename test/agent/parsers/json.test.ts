import { describe, expect, it } from 'vitest';
import { json } from '../../../agent/parsers/json.ts';
import { ctx, parserConformance } from './parser.case.ts';

parserConformance(json, [
  {
    name: 'pino with OpenTelemetry ids',
    line: '{"level":30,"time":1700000000123,"pid":7,"hostname":"h","trace_id":"4BF92F3577B34DA6A3CE929D0E0E4736","span_id":"00f067aa0ba902b7","msg":"request done","req":{"id":1}}',
    expect: {
      timeUnixMs: 1700000000123,
      severityNumber: 9,
      severityText: '30',
      body: 'request done',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      attributes: { pid: 7, hostname: 'h', req: { id: 1 } },
    },
  },
  {
    name: 'bunyan (ISO time, numeric level)',
    line: '{"name":"api","hostname":"h","pid":1,"level":50,"msg":"boom","time":"2024-01-02T10:00:00.000Z","v":0}',
    expect: {
      timeUnixMs: Date.UTC(2024, 0, 2, 10),
      severityNumber: 17,
      body: 'boom',
      attributes: { name: 'api', v: 0 },
    },
  },
  {
    name: 'winston',
    line: '{"level":"warn","message":"disk 91% full","timestamp":"2024-01-02T10:00:00.5+02:00","service":"db"}',
    expect: {
      timeUnixMs: Date.UTC(2024, 0, 2, 8, 0, 0, 500),
      severityNumber: 13,
      body: 'disk 91% full',
      attributes: { service: 'db' },
    },
  },
  {
    name: 'zap production (epoch seconds float)',
    line: '{"level":"error","ts":1700000000.5,"caller":"main.go:12","msg":"failed","error":"EOF","stacktrace":"main.main\\n\\t/src/main.go:12"}',
    expect: {
      timeUnixMs: 1700000000500,
      severityNumber: 17,
      body: 'failed',
      attributes: { caller: 'main.go:12', error: 'EOF' },
    },
  },
  {
    name: 'logrus',
    line: '{"level":"warning","msg":"retrying","time":"2024-01-02T10:00:00-05:00","attempt":3}',
    expect: {
      timeUnixMs: Date.UTC(2024, 0, 2, 15),
      severityNumber: 13,
      severityText: 'warning',
      attributes: { attempt: 3 },
    },
  },
  {
    name: 'python-json-logger (asctime with comma, levelname)',
    line: '{"asctime": "2024-01-02 10:00:00,123", "levelname": "CRITICAL", "name": "worker", "message": "out of memory", "otelTraceID": "4bf92f3577b34da6a3ce929d0e0e4736"}',
    expect: {
      timeUnixMs: Date.UTC(2024, 0, 2, 10, 0, 0, 123),
      severityNumber: 21,
      body: 'out of memory',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    },
  },
  {
    name: 'ECS @timestamp and escaped quotes in the message',
    line: '{"@timestamp":"2024-01-02T10:00:00Z","log.level":"info","message":"said \\"hi\\"","trace.id":"zzz"}',
    expect: {
      timeUnixMs: Date.UTC(2024, 0, 2, 10),
      severityNumber: 9,
      body: 'said "hi"',
      traceId: undefined,
      attributes: { 'trace.id': 'zzz' },
    },
  },
  {
    name: 'no message field: the whole line is the body',
    line: '{"a":1}',
    expect: { body: '{"a":1}', attributes: { a: 1 } },
  },
  { name: 'an array is not a record', line: '[1,2]', expect: undefined },
  { name: 'truncated JSON', line: '{"level":30,"msg":"cut', expect: undefined },
  { name: 'text before the object', line: 'INFO {"a":1}', expect: undefined },
]);

describe('json: details', () => {
  it('an all-zero trace id is no trace id', () => {
    const r = json.parse('{"msg":"x","trace_id":"00000000000000000000000000000000"}', ctx);
    expect(r?.traceId).toBeUndefined();
  });
});

describe('json: hostile keys', () => {
  it('keeps a "__proto__" field as an attribute instead of changing the prototype', () => {
    const r = json.parse('{"msg":"x","__proto__":{"polluted":true}}', ctx)!;
    expect(Object.getPrototypeOf(r.attributes)).toBe(Object.prototype);
    expect(Object.keys(r.attributes)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
