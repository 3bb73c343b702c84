import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { VigilError } from '../../core/index.ts';
import { recordToJson } from '../record.ts';
import { newSinkStats, type Sink } from './sink.ts';

export interface FileSinkOptions {
  path: string;
  /** fsync after each batch: survives a machine crash, not only a process crash, at a cost. */
  fsync?: boolean;
  name?: string;
}

/**
 * Records as JSON lines appended to a file. Writes are synchronous so that a batch is on
 * the file (in the page cache at least) before the source checkpoints: a `kill -9` then
 * loses nothing.
 *
 * @example
 * const sink = fileSink({ path: '/var/log/vigil/records.jsonl' });
 */
export function fileSink(options: FileSinkOptions): Sink {
  const stats = newSinkStats();
  let fd: number;
  try {
    mkdirSync(dirname(options.path), { recursive: true });
    fd = openSync(options.path, 'a');
  } catch (err) {
    throw new VigilError(
      'config',
      `file sink ${options.path}: cannot open: ${(err as NodeJS.ErrnoException).code}`,
      { cause: err },
    );
  }
  return {
    name: options.name ?? `file:${options.path}`,
    stats,
    async send(records) {
      if (records.length === 0) return;
      let text = '';
      for (const r of records) text += `${JSON.stringify(recordToJson(r))}\n`;
      writeSync(fd, text);
      if (options.fsync) fsyncSync(fd);
      stats.sent += records.length;
    },
    async close() {
      closeSync(fd);
    },
  };
}
