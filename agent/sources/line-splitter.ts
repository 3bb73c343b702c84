/**
 * Bytes to lines, with the byte offset just past each line so a source can checkpoint
 * exactly. Pure: no I/O. A line longer than `maxLineBytes` is handed on in pieces of that
 * size (kept, never dropped) so one runaway line cannot exhaust memory. `\r\n` endings lose
 * their `\r`. Bytes that are not UTF-8 become U+FFFD in the text; offsets stay byte-exact.
 */

/** Default cap on one line: ample for a 1 MB JSON line, bounded for a file with no newline at all. */
export const defaultMaxLineBytes = 4 << 20;

export type OnLine = (line: string, endOffset: number) => void;

/**
 * @example
 * const s = new LineSplitter(0, (line, end) => console.log(line, end));
 * s.push(Buffer.from('a\nb'));  // prints "a 2"
 * s.end();                      // prints "b 3"
 */
export class LineSplitter {
  private rest: Buffer | undefined;
  /** Offset of the first byte not yet handed on as part of a line. */
  private offset: number;

  constructor(
    startOffset: number,
    private readonly onLine: OnLine,
    private readonly maxLineBytes = defaultMaxLineBytes,
  ) {
    this.offset = startOffset;
  }

  /** Offset just past the last complete line handed on. */
  get position(): number {
    return this.offset;
  }

  /** Bytes held that do not yet end in a newline. */
  get pendingBytes(): number {
    return this.rest?.length ?? 0;
  }

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.rest) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = undefined;
    }
    let start = 0;
    const n = buf.length;
    while (start < n) {
      const nl = buf.indexOf(10, start);
      if (nl < 0) break;
      const lineEnd = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
      this.emitPieces(buf, start, lineEnd, nl + 1);
      start = nl + 1;
    }
    if (start < n) {
      // A line still without newline: if it is already over the cap, hand on full pieces now.
      while (n - start >= this.maxLineBytes) {
        const end = start + this.maxLineBytes;
        this.offset += this.maxLineBytes;
        this.onLine(buf.toString('utf8', start, end), this.offset);
        start = end;
      }
      this.rest = start < n ? buf.subarray(start) : undefined;
      if (this.rest && this.rest.byteOffset !== 0) this.rest = Buffer.from(this.rest);
    }
  }

  /** Hands on a last line that has no newline (end of a stream, not of a followed file). */
  end(): void {
    if (this.rest && this.rest.length > 0) {
      const rest = this.rest;
      this.rest = undefined;
      this.emitPieces(rest, 0, rest.length, rest.length);
    }
  }

  private emitPieces(buf: Buffer, start: number, lineEnd: number, next: number): void {
    let s = start;
    while (lineEnd - s > this.maxLineBytes) {
      const e = s + this.maxLineBytes;
      this.offset += e - s;
      this.onLine(buf.toString('utf8', s, e), this.offset);
      s = e;
    }
    this.offset += next - s;
    this.onLine(buf.toString('utf8', s, lineEnd), this.offset);
  }
}

/**
 * Bytes to blocks of complete lines, for consumers that scan many lines at once (the
 * metrics-only fast path). `onText` gets the text of all complete lines of a chunk, without
 * the final newline; a line longer than `maxLineBytes` without a newline is handed on alone.
 */
export class ChunkSplitter {
  private rest: Buffer | undefined;
  private offset: number;

  constructor(
    startOffset: number,
    private readonly onText: (text: string) => void,
    private readonly maxLineBytes = defaultMaxLineBytes,
    /**
     * latin1 for the access-log fast path: nginx escapes non-ASCII bytes as \xNN, so its lines
     * are ASCII, and latin1 decoding skips UTF-8 validation (a fifth of the fast path's time
     * in bench/agent-logmetrics.ts).
     */
    private readonly encoding: 'utf8' | 'latin1' = 'utf8',
  ) {
    this.offset = startOffset;
  }

  get position(): number {
    return this.offset;
  }

  push(chunk: Buffer): void {
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = undefined;
    const last = buf.lastIndexOf(10);
    let from = 0;
    if (last >= 0) {
      this.onText(buf.toString(this.encoding, 0, last > 0 && buf[last - 1] === 13 ? last - 1 : last));
      this.offset += last + 1;
      from = last + 1;
    }
    if (buf.length - from >= this.maxLineBytes) {
      this.onText(buf.toString(this.encoding, from));
      this.offset += buf.length - from;
      return;
    }
    if (from < buf.length) this.rest = Buffer.from(buf.subarray(from));
  }

  end(): void {
    if (this.rest && this.rest.length > 0) {
      this.onText(this.rest.toString(this.encoding));
      this.offset += this.rest.length;
    }
    this.rest = undefined;
  }
}
