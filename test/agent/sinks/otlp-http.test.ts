import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newRecord } from '../../../agent/record.ts';
import { DiskBuffer, fileSink, otlpHttpSink, stdoutSink, toOtlpLogs } from '../../../agent/sinks/index.ts';
import { systemClock } from '../../../core/index.ts';
import { OtlpReceiver } from '../../support/otlp-logs-receiver.ts';

const record = (body: string) => {
  const r = newRecord(body, { observedMs: Date.UTC(2024, 0, 2), resource: { 'service.name': 'web' } });
  r.timeUnixMs = Date.UTC(2024, 0, 2) + 0.5;
  r.severityNumber = 9;
  r.attributes = { n: 1, ok: true, ratio: 0.5, nested: { a: [1, 'x'] } };
  r.traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  return r;
};

async function eventually(pred: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-sink-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('OTLP/JSON encoding', () => {
  it('groups by resource and encodes values with their OTLP types and nanosecond times', () => {
    const body = toOtlpLogs([record('a'), record('b')]);
    expect(body.resourceLogs).toHaveLength(1);
    const lr = body.resourceLogs[0]!.scopeLogs[0]!.logRecords[0] as Record<string, unknown>;
    expect(lr).toMatchObject({
      timeUnixNano: '1704153600000500000',
      severityNumber: 9,
      body: { stringValue: 'a' },
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    });
    expect(lr.attributes).toEqual([
      { key: 'n', value: { intValue: '1' } },
      { key: 'ok', value: { boolValue: true } },
      { key: 'ratio', value: { doubleValue: 0.5 } },
      {
        key: 'nested',
        value: {
          kvlistValue: {
            values: [
              { key: 'a', value: { arrayValue: { values: [{ intValue: '1' }, { stringValue: 'x' }] } } },
            ],
          },
        },
      },
    ]);
  });
});

describe('OTLP/HTTP sink', () => {
  it('buffers on disk while the collector is down, then delivers everything in order', async () => {
    const receiver = new OtlpReceiver();
    const url = await receiver.start();
    receiver.down(503);
    const sink = otlpHttpSink({
      endpoint: url,
      clock: systemClock,
      bufferDir: join(dir, 'buf'),
      batchRecords: 100,
      backoffInitialMs: 20,
      backoffMaxMs: 200,
      flushMs: 20,
    });
    for (let b = 0; b < 20; b++)
      await sink.send(Array.from({ length: 100 }, (_, i) => record(`r${b * 100 + i}`)));
    await eventually(() => sink.stats.retries >= 3);
    expect(receiver.bodies).toHaveLength(0);
    expect(sink.stats.bufferedRecords).toBe(2000);
    // Now the collector is gone entirely (connection refused), then back.
    const port = receiver.port;
    await receiver.stop();
    await new Promise((r) => setTimeout(r, 200));
    receiver.up();
    await receiver.start(port);
    await eventually(() => receiver.bodies.length >= 2000);
    expect(receiver.bodies).toEqual(Array.from({ length: 2000 }, (_, i) => `r${i}`));
    expect(sink.stats).toMatchObject({ sent: 2000, dropped: 0, bufferedRecords: 0 });
    await sink.close();
    await receiver.stop();
  });

  it('keeps the buffer across a restart of the agent', async () => {
    const receiver = new OtlpReceiver();
    const url = await receiver.start();
    receiver.down();
    const first = otlpHttpSink({
      endpoint: url,
      clock: systemClock,
      bufferDir: join(dir, 'buf'),
      backoffInitialMs: 20,
      flushMs: 20,
    });
    await first.send([record('before-restart-1'), record('before-restart-2')]);
    await first.close();
    receiver.up();
    const second = otlpHttpSink({
      endpoint: url,
      clock: systemClock,
      bufferDir: join(dir, 'buf'),
      backoffInitialMs: 20,
      flushMs: 20,
    });
    expect(second.stats.bufferedRecords).toBe(2);
    await second.send([record('after-restart')]);
    await eventually(() => receiver.bodies.length >= 3);
    expect(receiver.bodies).toEqual(['before-restart-1', 'before-restart-2', 'after-restart']);
    await second.close();
    await receiver.stop();
  });

  it('counts what exceeds the buffer bound as dropped, and a 400 as rejected', async () => {
    const receiver = new OtlpReceiver();
    const url = await receiver.start();
    receiver.down(503);
    const sink = otlpHttpSink({
      endpoint: url,
      clock: systemClock,
      bufferMaxBytes: 5000,
      backoffInitialMs: 20,
      flushMs: 20,
    });
    await sink.send(Array.from({ length: 100 }, (_, i) => record(`r${i}`)));
    expect(sink.stats.dropped).toBeGreaterThan(0);
    expect(sink.stats.dropped + sink.stats.bufferedRecords).toBe(100);
    receiver.down(400);
    await eventually(() => sink.stats.bufferedRecords === 0);
    expect(sink.stats.rejected + sink.stats.dropped).toBe(100);
    await sink.close();
    await receiver.stop();
  });
});

describe('OTLP/HTTP sink shutdown', () => {
  it('delivers what is buffered before closing, and counts what a memory buffer must give up', async () => {
    const receiver = new OtlpReceiver();
    const url = await receiver.start();
    const sink = otlpHttpSink({ endpoint: url, clock: systemClock, flushMs: 1000 });
    await sink.send(Array.from({ length: 50 }, (_, i) => record(`r${i}`)));
    await sink.close();
    expect(receiver.bodies).toHaveLength(50);
    receiver.down(503);
    const failing = otlpHttpSink({ endpoint: url, clock: systemClock, backoffInitialMs: 20, flushMs: 20 });
    await failing.send([record('lost')]);
    await failing.close();
    expect(failing.stats.dropped).toBe(1);
    await receiver.stop();
  });
});

describe('DiskBuffer', () => {
  it('rolls segments, peeks without removing, and acks in order', () => {
    const buf = new DiskBuffer({ dir: join(dir, 'b'), maxBytes: 1 << 20, segmentBytes: 64 });
    expect(buf.append(Array.from({ length: 20 }, (_, i) => `line-${i}`))).toBe(20);
    const seen: string[] = [];
    for (let guard = 0; guard < 100 && buf.records > 0; guard++) {
      const { lines, cursor } = buf.peek(3);
      expect(buf.peek(3).lines).toEqual(lines);
      seen.push(...lines);
      buf.ack(cursor);
    }
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => `line-${i}`));
    expect(buf.sizeBytes).toBe(0);
    buf.close();
  });
});

describe('stdout and file sinks', () => {
  it('write one JSON line per record', async () => {
    const chunks: string[] = [];
    const stream = new (await import('node:stream')).Writable({
      write(chunk, _enc, cb) {
        chunks.push(String(chunk));
        cb();
      },
    });
    await stdoutSink(stream).send([record('x')]);
    expect(JSON.parse(chunks.join(''))).toMatchObject({
      body: 'x',
      severity_number: 9,
      resource: { 'service.name': 'web' },
    });
    const file = fileSink({ path: join(dir, 'out', 'r.jsonl') });
    await file.send([record('a'), record('b')]);
    await file.close();
    expect(
      readFileSync(join(dir, 'out', 'r.jsonl'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(2);
  });
});
