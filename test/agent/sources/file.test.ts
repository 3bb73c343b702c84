import {
  appendFileSync,
  copyFileSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessLogFastPath, LogMetrics } from '../../../agent/logmetrics/index.ts';
import type { LogRecord } from '../../../agent/record.ts';
import { Checkpoints } from '../../../agent/sources/checkpoints.ts';
import { FileSource, type FileSourceOptions } from '../../../agent/sources/file.ts';
import { systemClock } from '../../../core/index.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-file-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const lines = (from: number, to: number) => {
  let s = '';
  for (let i = from; i <= to; i++) s += `{"level":30,"msg":"line ${i}"}\n`;
  return s;
};

function setup(options: Partial<FileSourceOptions> = {}) {
  const records: LogRecord[] = [];
  const source = new FileSource({
    name: 'files',
    include: [join(dir, '*.log')],
    checkpoints: new Checkpoints(join(dir, 'state')),
    clock: systemClock,
    rescanMs: 0,
    ...options,
  });
  const deliver = async (batch: LogRecord[]) => {
    records.push(...batch);
  };
  return { records, source, poll: () => source.pollOnce(deliver) };
}

const numbers = (records: LogRecord[]) => records.map((r) => Number(r.body.split(' ')[1]));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('FileSource', () => {
  it('reads existing files from the beginning, then follows appends', async () => {
    const file = join(dir, 'app.log');
    writeFileSync(file, lines(1, 10));
    const { records, source, poll } = setup();
    await poll();
    appendFileSync(file, lines(11, 15));
    await poll();
    expect(numbers(records)).toEqual(range(1, 15));
    expect(records[0]!.resource['log.file.path']).toBe(file);
    expect(source.stats.lines).toBe(15);
    expect(source.stats.lagBytes).toBe(0);
    await source.close();
  });

  it('with startAt end skips what files held at start, but reads files that appear later whole', async () => {
    writeFileSync(join(dir, 'old.log'), lines(1, 10));
    const { records, source, poll } = setup({ startAt: 'end' });
    await poll();
    appendFileSync(join(dir, 'old.log'), lines(11, 12));
    writeFileSync(join(dir, 'new.log'), lines(100, 101));
    await poll();
    expect(numbers(records).sort((a, b) => a - b)).toEqual([11, 12, 100, 101]);
    await source.close();
  });

  it('follows rotation by rename: the old file is drained, the new one read from its start', async () => {
    const file = join(dir, 'app.log');
    writeFileSync(file, lines(1, 100));
    const { records, source, poll } = setup();
    await poll();
    appendFileSync(file, lines(101, 150)); // written before the rename, not yet read
    renameSync(file, join(dir, 'app.log.1'));
    writeFileSync(file, lines(151, 200));
    await poll();
    await poll();
    expect(numbers(records)).toEqual(range(1, 200));
    await source.close();
  });

  it('follows copytruncate, also when the writer went past the old size before the next poll', async () => {
    const file = join(dir, 'app.log');
    writeFileSync(file, lines(1, 100));
    const { records, source, poll } = setup();
    await poll();
    copyFileSync(file, join(dir, 'app.log.1'));
    truncateSync(file, 0);
    appendFileSync(file, lines(101, 120));
    await poll();
    // Second rotation: the new content outgrows the old offset before the agent looks.
    truncateSync(file, 0);
    appendFileSync(file, lines(1001, 1300));
    await poll();
    expect(numbers(records)).toEqual([...range(1, 120), ...range(1001, 1300)]);
    await source.close();
  });

  it('resumes from the checkpoint after a restart, and restarts from 0 on a file replaced meanwhile', async () => {
    const file = join(dir, 'app.log');
    writeFileSync(file, lines(1, 50));
    const first = setup();
    await first.poll();
    await first.source.close();
    appendFileSync(file, lines(51, 60));
    const second = setup();
    await second.poll();
    expect(numbers(second.records)).toEqual(range(51, 60));
    await second.source.close();
    rmSync(file);
    writeFileSync(file, lines(500, 502));
    const third = setup();
    await third.poll();
    expect(numbers(third.records)).toEqual(range(500, 502));
    await third.source.close();
  });

  it('holds a multiline record until it is complete, and checkpoints before it', async () => {
    const file = join(dir, 'app.log');
    writeFileSync(file, '2024-01-02 10:00:00.000 [main] ERROR a.B - failed\n\tat a.B.c(B.java:1)\n');
    const { records, source, poll } = setup({ format: 'java', multilineFlushMs: 60_000 });
    await poll();
    expect(records).toHaveLength(0);
    appendFileSync(file, '2024-01-02 10:00:01.000 [main] INFO a.B - next\n');
    await poll();
    expect(records.map((r) => r.body)).toEqual(['failed\n\tat a.B.c(B.java:1)']);
    const st = statSync(file);
    const saved = new Checkpoints(join(dir, 'state')).get(st.dev, st.ino)!;
    expect(saved.offset).toBe(
      Buffer.byteLength('2024-01-02 10:00:00.000 [main] ERROR a.B - failed\n\tat a.B.c(B.java:1)\n'),
    );
    await source.close();
  });

  it('keeps a 1 MB line, binary junk and garbage among good lines', async () => {
    const file = join(dir, 'app.log');
    const big = 'y'.repeat(1 << 20);
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from(lines(1, 2)),
        Buffer.from(`${big}\n`),
        Buffer.from([0, 1, 0xff, 0xfe, 10]),
        Buffer.from(`garbage\n${lines(3, 3)}`),
      ]),
    );
    const { records, source, poll } = setup({ readBytes: 64 * 1024 });
    await poll();
    expect(records).toHaveLength(6);
    expect(records[2]!.body).toBe(big);
    expect(records[3]!.attributes['parse_error']).toBe('no format matched');
    expect(records[5]!.body).toBe('line 3');
    await source.close();
  });

  it('in metrics-only mode counts access-log lines without records and checkpoints them', async () => {
    const file = join(dir, 'access.log');
    const line = (i: number) =>
      `10.0.0.1 - - [01/Jan/2024:00:00:00 +0000] "GET /items/${i} HTTP/1.1" 200 5 "-" "ua" 0.010\n`;
    writeFileSync(
      file,
      line(1) + line(2) + 'garbage\n' + '10.0.0.1 - - [01/Jan/2024:00:00:00 +0000] "GET /items/3',
    );
    const metrics = new LogMetrics();
    const { records, source, poll } = setup({
      fastPath: new AccessLogFastPath(metrics, 'files'),
      format: 'nginx',
    });
    await poll();
    expect(records).toHaveLength(0);
    const total = () =>
      metrics
        .families()
        .find((f) => f.name === 'vigil_agent_http_requests_total')
        ?.samples.reduce((a, x) => a + x.value, 0);
    expect(total()).toBe(2);
    expect(source.stats.counts).toMatchObject({ parsed: { 'access-log': 2 }, unparsed: 1 });
    appendFileSync(file, ' HTTP/1.1" 500 5 "-" "ua" 1.5\n');
    await poll();
    expect(total()).toBe(3);
    const st = statSync(file);
    expect(new Checkpoints(join(dir, 'state')).get(st.dev, st.ino)!.offset).toBe(st.size);
    await source.close();
  });

  it('with 10% garbage, binary junk and 1 MB lines mixed in, keeps every line in order', async () => {
    const file = join(dir, 'mixed.log');
    let seed = 99;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const parts: Buffer[] = [];
    const expected: Array<'good' | 'junk' | 'big'> = [];
    for (let i = 0; i < 20_000; i++) {
      const p = rand();
      if (p < 0.1) {
        // Binary junk without newlines (a newline would make it two lines, both kept).
        const junk = Buffer.from(
          Array.from({ length: 1 + Math.floor(rand() * 200) }, () => {
            const b = Math.floor(rand() * 256);
            return b === 10 || b === 13 ? 32 : b;
          }),
        );
        parts.push(junk, Buffer.from('\n'));
        expected.push('junk');
      } else if (i % 5000 === 4999) {
        parts.push(Buffer.from(`${'z'.repeat(1 << 20)}\n`));
        expected.push('big');
      } else {
        parts.push(Buffer.from(`{"level":30,"msg":"line ${i}"}\n`));
        expected.push('good');
      }
    }
    writeFileSync(file, Buffer.concat(parts));
    const { records, source, poll } = setup({ readBytes: 256 * 1024 });
    for (let i = 0; i < 20 && records.length < expected.length; i++) await poll();
    expect(records).toHaveLength(expected.length);
    expect(records.filter((r) => r.body.length === 1 << 20)).toHaveLength(
      expected.filter((e) => e === 'big').length,
    );
    const good = records.filter(
      (r) => r.attributes['parse_error'] === undefined && r.body.startsWith('line '),
    );
    expect(good).toHaveLength(expected.filter((e) => e === 'good').length);
    expect(source.stats.lines).toBe(expected.length);
    await source.close();
  });

  it('when a sink refuses a batch, reads the lines again from the checkpoint: none skipped, none repeated', async () => {
    const file = join(dir, 'app.log');
    writeFileSync(file, lines(1, 50));
    const records: LogRecord[] = [];
    let failures = 2;
    const source = new FileSource({
      name: 'files',
      include: [join(dir, '*.log')],
      checkpoints: new Checkpoints(join(dir, 'state')),
      clock: systemClock,
      rescanMs: 0,
      readBytes: 512,
    });
    const deliver = async (batch: LogRecord[]) => {
      if (records.length >= 10 && failures > 0) {
        failures--;
        throw new Error('disk full');
      }
      records.push(...batch);
    };
    await expect(source.pollOnce(deliver)).rejects.toThrow('disk full');
    await expect(source.pollOnce(deliver)).rejects.toThrow('disk full');
    appendFileSync(file, lines(51, 60));
    await source.pollOnce(deliver);
    expect(numbers(records)).toEqual(range(1, 60));
    await source.close();
  });
});
