import { isAscii } from 'node:buffer';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { VigilError } from '../../core/index.ts';
import type { OpenMetricsLoader } from './backtest.ts';

/**
 * The I/O shell of the backtest loader: streams an OpenMetrics file into a loader in pieces cut
 * at line ends, because a week of 15s data for 1,000 series (~4 GB of text) does not fit in
 * one JavaScript string.
 */

/**
 * Bytes read at a time. Small enough that a piece's string is an ordinary young object, which
 * dies cheaply: V8 puts a string over 128 KiB in the large-object space, and 16 MiB pieces made
 * the collector mark the whole heap every few pieces (a third of a week's load; 64 KiB pieces
 * loaded the week of bench/rules-backtest.ts in 9.6 s against 17.3 s, 1 MiB pieces in 31.9 s).
 * Large enough that the per-piece work (a read, an ASCII check) stays small.
 */
const defaultPieceBytes = 64 * 1024;

/**
 * Loads `file` into `loader`; `onProgress` gets bytes read and the file size.
 *
 * @example
 * const loader = new OpenMetricsLoader(backtestStore());
 * loadOpenMetricsFile(loader, 'data.om');
 * @throws VigilError('config') when the file cannot be read, VigilError('parse') naming
 *   `file:line` for bad content.
 */
export function loadOpenMetricsFile(
  loader: OpenMetricsLoader,
  file: string,
  onProgress?: (read: number, size: number) => void,
  pieceBytes = defaultPieceBytes,
): void {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new VigilError(
      'config',
      `${file}: cannot read data: ${code === 'ENOENT' ? 'no such file' : code}`,
      {
        cause: err,
      },
    );
  }
  try {
    // Pieces are cut at a newline in the bytes and only whole lines are decoded: a newline is
    // never inside a UTF-8 sequence, and no string is concatenated or flattened per piece
    // (which cost about a tenth of the load in bench/rules-backtest.ts).
    let buffer = Buffer.allocUnsafe(pieceBytes);
    let held = 0;
    let read = 0;
    const { size } = fstatSync(fd);
    for (;;) {
      if (held === buffer.length) {
        // A line longer than a piece: make room rather than cut it.
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, held);
        buffer = bigger;
      }
      const n = readSync(fd, buffer, held, buffer.length - held, null);
      if (n === 0) break;
      read += n;
      held += n;
      // Cut at the last line end, but never after a final "# EOF": that line goes with the last piece.
      let cut = buffer.lastIndexOf(NL, held - 1);
      if (cut === held - 1 && endsWithEof(buffer, held)) cut = cut > 0 ? buffer.lastIndexOf(NL, cut - 1) : -1;
      if (cut < 0) continue;
      loadPiece(loader, file, decode(buffer, cut + 1), false);
      held = buffer.copy(buffer, 0, cut + 1, held);
      onProgress?.(read, size);
    }
    loadPiece(loader, file, decode(buffer, held), true);
  } finally {
    closeSync(fd);
  }
}

const NL = 10;

/**
 * The text of `buffer[0, end)`. Exposition text is nearly always ASCII, and checking that
 * and decoding it as ASCII costs a quarter of decoding UTF-8 (a tenth of a week's load in
 * bench/rules-backtest.ts); a piece with any other byte is decoded as UTF-8.
 */
function decode(buffer: Buffer, end: number): string {
  const bytes = buffer.subarray(0, end);
  return isAscii(bytes) ? bytes.toString('ascii') : bytes.toString('utf8');
}

const eofLine = Buffer.from('# EOF\n');

function endsWithEof(buffer: Buffer, end: number): boolean {
  return end >= eofLine.length && buffer.compare(eofLine, 0, eofLine.length, end - eofLine.length, end) === 0;
}

function loadPiece(loader: OpenMetricsLoader, file: string, text: string, last: boolean): void {
  try {
    loader.load(text, last);
  } catch (err) {
    if (err instanceof VigilError) {
      const at = /^line (\d+): /.exec(err.message);
      const where = at ? `${file}:${at[1]}` : file;
      throw new VigilError('parse', `${where}: ${err.message.slice(at?.[0].length ?? 0)}`, { cause: err });
    }
    throw err;
  }
}
