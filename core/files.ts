import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';

/**
 * Writes all of `data` at the file's position. `fs.writeSync` makes one write(2) call and
 * may write less than asked (a signal, a full disk, a pipe); a record file that silently
 * keeps half a record is corrupt, so callers that append records use this instead.
 */
export function writeAll(fd: number, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}

/**
 * Opens a newline-delimited file for appending after cutting off an incomplete last line.
 *
 * A process killed inside write(2) can leave half a line at the end (Linux checks for a
 * fatal signal between pages). Appending after it would glue the next record onto the torn
 * one and corrupt both. Writers that use this checkpoint only after a write returns, so the
 * torn record was never acknowledged and will be written again: dropping it loses nothing.
 * Returns the descriptor and how many bytes were cut.
 */
export function openLinesForAppend(path: string): { fd: number; cutBytes: number } {
  const fd = openSync(path, 'a+');
  try {
    const size = fstatSync(fd).size;
    const keep = endOfLastLine(fd, size);
    if (keep < size) ftruncateSync(fd, keep);
    return { fd, cutBytes: size - keep };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** Offset just past the last '\n' in the first `size` bytes (0 if there is none). */
function endOfLastLine(fd: number, size: number): number {
  const block = Buffer.allocUnsafe(64 * 1024);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - block.length);
    const n = readSync(fd, block, 0, end - start, start);
    const at = block.subarray(0, n).lastIndexOf(0x0a);
    if (at >= 0) return start + at + 1;
    end = start;
  }
  return 0;
}
