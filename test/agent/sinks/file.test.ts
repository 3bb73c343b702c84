import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LogRecord } from '../../../agent/record.ts';
import { fileSink } from '../../../agent/sinks/index.ts';
import { openLinesForAppend } from '../../../core/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-file-sink-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('file sink after a crash', () => {
  it('cuts a line torn by kill -9 before appending, so every line stays valid JSON', async () => {
    const path = join(dir, 'torn.jsonl');
    writeFileSync(path, '{"body":"one"}\n{"body":"two"}\n{"body":"thr');
    const sink = fileSink({ path });
    await sink.send([record('three'), record('four')]);
    await sink.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { body: string }).body)).toEqual([
      'one',
      'two',
      'three',
      'four',
    ]);
  });

  it('leaves a file that ends in a newline alone, and cuts a file with no newline at all', () => {
    const whole = join(dir, 'whole.jsonl');
    writeFileSync(whole, 'a\nb\n');
    expect(openLinesForAppend(whole).cutBytes).toBe(0);
    expect(readFileSync(whole, 'utf8')).toBe('a\nb\n');
    const torn = join(dir, 'no-newline.jsonl');
    writeFileSync(torn, 'x'.repeat(200_000));
    expect(openLinesForAppend(torn).cutBytes).toBe(200_000);
    expect(readFileSync(torn, 'utf8')).toBe('');
  });
});

function record(body: string): LogRecord {
  return {
    timeUnixMs: undefined,
    observedTimeUnixMs: 0,
    severityNumber: 9,
    severityText: 'INFO',
    body,
    attributes: {},
    resource: {},
    traceId: undefined,
    spanId: undefined,
  };
}
