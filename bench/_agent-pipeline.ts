// The agent's read path as the benchmarks drive it: read a file in 1 MiB chunks on one thread,
// split lines and normalize them, calling `afterChunk` after each chunk (where a job can consume
// the records made so far). Shared by the normalize and log-to-metrics workers so both measure
// the same reading and splitting.
import { openSync, readSync } from 'node:fs';
import { Normalizer } from '../agent/normalize.ts';
import type { LogRecord } from '../agent/record.ts';
import { LineSplitter } from '../agent/sources/line-splitter.ts';

/** Returns the number of lines read. */
export function normalizeFile(
  file: string,
  format: string,
  onRecord: (record: LogRecord) => void,
  afterChunk: () => void = () => {},
): number {
  const normalizer = new Normalizer({ format }, onRecord);
  const now = Date.now();
  let lines = 0;
  const splitter = new LineSplitter(0, (line, end) => {
    lines++;
    normalizer.push(line, now, end);
  });
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    splitter.push(Buffer.from(buf.subarray(0, n)));
    afterChunk();
  }
  splitter.end();
  normalizer.end();
  return lines;
}
