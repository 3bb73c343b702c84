import { closeSync, fsyncSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { openLinesForAppend, VigilError, writeAll } from '../../core/index.ts';
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
 * loses nothing. A line torn by a `kill -9` inside the write is cut off when the sink opens
 * the file again; its records were not checkpointed, so the source sends them again.
 *
 * @example
 * const sink = fileSink({ path: '/var/log/vigil/records.jsonl' });
 */
export function fileSink(options: FileSinkOptions): Sink {
  const stats = newSinkStats();
  let fd: number;
  try {
    mkdirSync(dirname(options.path), { recursive: true });
    fd = openLinesForAppend(options.path).fd;
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
      writeAll(fd, text);
      if (options.fsync) fsyncSync(fd);
      stats.sent += records.length;
    },
    async close() {
      closeSync(fd);
    },
  };
}
