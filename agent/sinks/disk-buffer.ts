import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { VigilError, writeAll } from '../../core/index.ts';

/**
 * A bounded FIFO of text lines (serialized records) for a sink whose destination is down.
 * With a directory it lives on disk in segment files, so it survives a restart; without one
 * it lives in memory. Either way it holds at most `maxBytes`: `append` accepts what fits and
 * returns how many it accepted, and the caller counts the rest as dropped.
 *
 * Reading is two-phase: `peek` returns lines from the head and a cursor, `ack(cursor)` removes
 * them once delivered, so a failed delivery is retried with the same lines, in order.
 */

export interface DiskBufferOptions {
  dir?: string;
  maxBytes: number;
  /** Size at which a new segment file is started; consumed segments are deleted whole. */
  segmentBytes?: number;
}

export interface Cursor {
  segment: number;
  offset: number;
  count: number;
  bytes: number;
}

const headFile = 'head.json';
const segmentName = (n: number) => `segment-${String(n).padStart(10, '0')}.jsonl`;

export class DiskBuffer {
  private bytes = 0;
  private count = 0;
  // memory mode
  private readonly memory: string[] = [];
  private memoryHead = 0;
  // disk mode
  private readonly dir: string | undefined;
  private headSegment = 0;
  private headOffset = 0;
  private tailSegment = 0;
  private tailFd: number | undefined;
  private tailBytes = 0;
  private readonly segmentBytes: number;

  constructor(private readonly options: DiskBufferOptions) {
    this.dir = options.dir;
    this.segmentBytes = options.segmentBytes ?? 8 << 20;
    if (this.dir) this.openDisk(this.dir);
  }

  get records(): number {
    return this.count;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /** Appends lines in order while they fit; returns how many were accepted. */
  append(lines: readonly string[]): number {
    let accepted = 0;
    let text = '';
    let textBytes = 0;
    for (const line of lines) {
      const size = Buffer.byteLength(line) + 1;
      if (this.bytes + textBytes + size > this.options.maxBytes) break;
      if (this.dir) {
        text += `${line}\n`;
        textBytes += size;
      } else {
        this.memory.push(line);
        this.bytes += size;
      }
      accepted++;
    }
    if (this.dir && accepted > 0) {
      if (this.tailBytes > 0 && this.tailBytes + textBytes > this.segmentBytes) this.rollTail();
      writeAll(this.tailFd!, text);
      this.tailBytes += textBytes;
      this.bytes += textBytes;
    }
    this.count += accepted;
    return accepted;
  }

  /** Up to `max` lines from the head (fewer at a segment boundary), without removing them. */
  peek(max: number, maxBytes = 4 << 20): { lines: string[]; cursor: Cursor } {
    if (!this.dir) {
      const lines: string[] = [];
      let bytes = 0;
      for (let i = this.memoryHead; i < this.memory.length && lines.length < max && bytes < maxBytes; i++) {
        lines.push(this.memory[i]!);
        bytes += Buffer.byteLength(this.memory[i]!) + 1;
      }
      return { lines, cursor: { segment: 0, offset: 0, count: lines.length, bytes } };
    }
    for (;;) {
      const { lines, bytes } = this.readSegment(this.headSegment, this.headOffset, max, maxBytes);
      if (lines.length > 0 || this.headSegment >= this.tailSegment) {
        return {
          lines,
          cursor: { segment: this.headSegment, offset: this.headOffset + bytes, count: lines.length, bytes },
        };
      }
      // The head segment is used up and writing has moved on: drop it.
      this.removeSegment(this.headSegment);
      this.headSegment++;
      this.headOffset = 0;
      this.saveHead();
    }
  }

  /** Removes the lines returned by the `peek` that gave `cursor`. */
  ack(cursor: Cursor): void {
    if (cursor.count === 0) return;
    this.count -= cursor.count;
    this.bytes -= cursor.bytes;
    if (!this.dir) {
      this.memoryHead += cursor.count;
      if (this.memoryHead > 4096 && this.memoryHead * 2 > this.memory.length) {
        this.memory.splice(0, this.memoryHead);
        this.memoryHead = 0;
      }
      return;
    }
    this.headSegment = cursor.segment;
    this.headOffset = cursor.offset;
    this.saveHead();
  }

  close(): void {
    if (this.tailFd !== undefined) closeSync(this.tailFd);
    this.tailFd = undefined;
  }

  private openDisk(dir: string): void {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new VigilError(
        'config',
        `buffer directory ${dir}: cannot create: ${(err as NodeJS.ErrnoException).code}`,
        { cause: err },
      );
    }
    const segments = readdirSync(dir)
      .map((f) => /^segment-(\d+)\.jsonl$/.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    try {
      const head = JSON.parse(readFileSync(join(dir, headFile), 'utf8')) as {
        segment: number;
        offset: number;
      };
      this.headSegment = head.segment;
      this.headOffset = head.offset;
    } catch {
      this.headSegment = segments[0] ?? 0;
      this.headOffset = 0;
    }
    for (const s of segments) {
      if (s < this.headSegment) {
        this.removeSegment(s);
        continue;
      }
      const text = readFileSync(join(dir, segmentName(s)));
      const from = s === this.headSegment ? this.headOffset : 0;
      this.bytes += text.length - from;
      for (let i = text.indexOf(10, from); i >= 0; i = text.indexOf(10, i + 1)) this.count++;
    }
    this.tailSegment = Math.max(this.headSegment, segments.at(-1) ?? 0);
    this.tailFd = openSync(join(dir, segmentName(this.tailSegment)), 'a');
    this.tailBytes = statSync(join(dir, segmentName(this.tailSegment))).size;
  }

  private rollTail(): void {
    closeSync(this.tailFd!);
    this.tailSegment++;
    this.tailFd = openSync(join(this.dir!, segmentName(this.tailSegment)), 'a');
    this.tailBytes = 0;
  }

  private readSegment(
    segment: number,
    offset: number,
    max: number,
    maxBytes: number,
  ): { lines: string[]; bytes: number } {
    const path = join(this.dir!, segmentName(segment));
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return { lines: [], bytes: 0 };
    }
    try {
      const buf = Buffer.allocUnsafe(maxBytes);
      const n = readSync(fd, buf, 0, maxBytes, offset);
      const lines: string[] = [];
      let start = 0;
      while (lines.length < max) {
        const nl = buf.indexOf(10, start);
        if (nl < 0 || nl >= n) break;
        lines.push(buf.toString('utf8', start, nl));
        start = nl + 1;
      }
      if (lines.length === 0 && n === maxBytes) {
        // One line larger than the read window: read it whole.
        const whole = readFileSync(path).subarray(offset);
        const nl = whole.indexOf(10);
        if (nl >= 0) return { lines: [whole.toString('utf8', 0, nl)], bytes: nl + 1 };
      }
      return { lines, bytes: start };
    } finally {
      closeSync(fd);
    }
  }

  private removeSegment(segment: number): void {
    try {
      unlinkSync(join(this.dir!, segmentName(segment)));
    } catch {
      // already gone
    }
  }

  private saveHead(): void {
    const path = join(this.dir!, headFile);
    writeFileSync(`${path}.tmp`, JSON.stringify({ segment: this.headSegment, offset: this.headOffset }));
    renameSync(`${path}.tmp`, path);
  }
}
