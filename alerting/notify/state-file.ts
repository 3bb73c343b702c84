import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { VigilError, writeAll } from '../../core/index.ts';

/**
 * The notifier's small state files (silences, notification log): JSON, replaced atomically
 * (temp file, fsync, rename, fsync of the directory), so a crash at any point leaves either
 * the old file or the new one whole, never a torn one.
 */

/** Writes `data` as JSON to `file` atomically. */
export function writeStateFile(file: string, data: unknown): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeAll(fd, JSON.stringify(data));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/**
 * Reads a state file; undefined when it does not exist yet.
 *
 * @throws VigilError('config') when it exists but is not valid JSON: refusing to start is
 * better than silently forgetting every silence.
 */
export function readStateFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new VigilError('config', `${file}: cannot read notifier state: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new VigilError(
      'config',
      `${file}: notifier state is not valid JSON; move it away to start afresh`,
      {
        cause: err,
      },
    );
  }
}
