import { createHash } from 'node:crypto';
import { type FileHandle, open, stat } from 'node:fs/promises';
import type { Clock } from '../../core/index.ts';
import { type FormatCounts, Normalizer, newFormatCounts } from '../normalize.ts';
import type { LogRecord } from '../record.ts';
import type { Checkpoints } from './checkpoints.ts';
import { expandGlobs } from './glob.ts';
import { ChunkSplitter, defaultMaxLineBytes, LineSplitter } from './line-splitter.ts';
import { type Deliver, newSourceStats, type Source, type SourceStats } from './source.ts';

/**
 * Follows files matched by globs, like `tail -F` with memory:
 *
 * - rotation by rename (logrotate's default): the old file is read to its end through the
 *   descriptor still open, then the new file at the path is read from its start;
 * - rotation by copytruncate: the file shrinks, or its first bytes change (the writer wrote
 *   past the old size before the next poll); reading restarts at 0;
 * - positions are checkpointed after the sink accepts each batch, so a restart resumes
 *   there; a file replaced while the agent was down (other inode or first bytes) is read from 0;
 * - files present at start are read from the beginning or the end (`startAt`); files that
 *   appear later are read from the beginning.
 *
 * Polling, not inotify: it works the same on every filesystem (overlayfs, NFS, hostPath
 * mounts in pods), and one stat per file per poll is cheap.
 */

export interface FileSourceOptions {
  name: string;
  include: string[];
  exclude?: string[];
  format?: string;
  innerFormat?: string;
  startAt?: 'beginning' | 'end';
  checkpoints: Checkpoints;
  clock: Clock;
  /** How often files are checked for new data. */
  pollMs?: number;
  /** How often the globs are expanded again to find new files. */
  rescanMs?: number;
  /** A multiline record with no further line for this long is emitted. */
  multilineFlushMs?: number;
  /** Bytes read per call; a batch is the records of one read. */
  readBytes?: number;
  maxLineBytes?: number;
  resource?: Record<string, string>;
  /** Resource of a file's records (Kubernetes sources derive pod and container from the path). */
  resourceFor?: (path: string) => Record<string, string>;
  counts?: FormatCounts;
  /**
   * Metrics-only mode: lines go to this scanner in blocks instead of becoming records (no
   * sink sees them). Positions are checkpointed once a block is counted.
   */
  fastPath?: FastPath;
  /** Called when a round fails (a sink refused a batch); the source retries after a backoff. */
  onError?: (err: unknown) => void;
}

/** Longest wait between retries after failed rounds. */
const maxBackoffMs = 30_000;

/** What a metrics-only scanner offers (AccessLogFastPath). */
export interface FastPath {
  readonly stats: { lines: number; unparsed: number };
  pushText(text: string): void;
  flush(): void;
}

/** Default poll period: a quarter second keeps latency low for one stat per file. */
export const defaultPollMs = 250;
/** Bytes fingerprinted at the start of a file to notice copytruncate and replacement. */
const fingerprintBytes = 128;
/** Reads per file per poll: a busy file must not starve the others. */
const readsPerPoll = 64;

interface Followed {
  path: string;
  handle: FileHandle;
  dev: number;
  ino: number;
  readOffset: number;
  fingerprint: string;
  fingerprintLen: number;
  splitter: LineSplitter | ChunkSplitter;
  normalizer: Normalizer;
  batch: LogRecord[];
  batchPosition: number;
  committed: number;
  lastDataAt: number;
  missingSince: number | undefined;
  resource: Record<string, string>;
  /** Size at the last check, for the lag metric. */
  lastSize: number;
}

export class FileSource implements Source {
  readonly name: string;
  readonly stats: SourceStats;
  private readonly followed = new Map<string, Followed>();
  private closed = false;
  private firstScan = true;
  private lastScan = Number.NEGATIVE_INFINITY;
  private wake: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private readonly buffer: Buffer;
  /** Files with a delivered batch whose position is not yet written. */
  private readonly unsaved = new Set<Followed>();

  constructor(private readonly options: FileSourceOptions) {
    this.name = options.name;
    this.stats = newSourceStats(options.counts ?? newFormatCounts());
    this.buffer = Buffer.allocUnsafe(options.readBytes ?? 1 << 20);
  }

  run(deliver: Deliver): Promise<void> {
    this.running ??= this.loop(deliver);
    return this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.running?.catch(() => undefined);
    this.saveState();
    for (const f of this.followed.values()) await f.handle.close().catch(() => undefined);
    this.followed.clear();
  }

  private async loop(deliver: Deliver): Promise<void> {
    const { clock } = this.options;
    const pollMs = this.options.pollMs ?? defaultPollMs;
    let failures = 0;
    while (!this.closed) {
      try {
        await this.pollOnce(deliver);
        failures = 0;
      } catch (err) {
        // A sink refused a batch (disk full, permission): the lines are read again from the
        // last checkpoint after a backoff; nothing is skipped.
        failures++;
        this.stats.errors++;
        this.options.onError?.(err);
      }
      if (this.closed) break;
      const wait = failures === 0 ? pollMs : Math.min(pollMs * 2 ** failures, maxBackoffMs);
      await new Promise<void>((resolve) => {
        const t = clock.setTimeout(resolve, wait);
        this.wake = () => {
          t.cancel();
          resolve();
        };
      });
    }
  }

  /** One round: find new files, read what each has, handle rotation. Exposed for tests. */
  async pollOnce(deliver: Deliver): Promise<void> {
    const now = this.options.clock.now();
    if (now - this.lastScan >= (this.options.rescanMs ?? 1000)) {
      this.lastScan = now;
      await this.rescan();
    }
    let lag = 0;
    for (const f of [...this.followed.values()]) {
      if (this.closed) return;
      // Rotation first: after a copytruncate, bytes past the old offset belong to the new content.
      await this.checkRotation(f, deliver);
      const current = this.followed.get(f.path);
      if (current) await this.readAvailable(current, deliver);
      if (current) {
        lag += Math.max(0, current.lastSize - current.readOffset);
        if (this.options.clock.now() - current.lastDataAt >= (this.options.multilineFlushMs ?? 1000)) {
          current.normalizer.flush();
          await this.deliverBatch(current, deliver);
        }
      }
    }
    this.stats.lagBytes = lag;
    this.stats.files = this.followed.size;
    this.saveState();
  }

  private async rescan(): Promise<void> {
    const paths = expandGlobs(this.options.include, this.options.exclude);
    const seen = new Set([...this.followed.values()].map((f) => `${f.dev}:${f.ino}`));
    const known = new Set(seen);
    for (const path of paths) {
      const st = await stat(path).catch(() => undefined);
      if (!st?.isFile()) continue;
      const key = `${st.dev}:${st.ino}`;
      seen.add(key);
      // A rotated file that still matches the globs is being drained through its old descriptor.
      if (this.followed.has(path) || known.has(key)) continue;
      await this.follow(path, this.firstScan);
      const f = this.followed.get(path);
      if (f) seen.add(`${f.dev}:${f.ino}`);
    }
    // Positions of files that are gone (or rotated out of the globs) are forgotten; a rotated
    // file still matched keeps its position, so finding it under its new name repeats nothing.
    this.options.checkpoints.retain(seen);
    this.firstScan = false;
  }

  private async follow(path: string, present: boolean): Promise<void> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch {
      return; // vanished or unreadable: the next scan tries again
    }
    const st = await handle.stat();
    const [fingerprint, fingerprintLen] = await this.fingerprintOf(handle, st.size);
    let offset = 0;
    const saved = this.options.checkpoints.get(st.dev, st.ino);
    if (
      saved &&
      saved.offset <= st.size &&
      saved.fpLen <= st.size &&
      (await this.fingerprintOf(handle, saved.fpLen))[0] === saved.fp
    ) {
      offset = saved.offset;
    } else if (!saved && present && this.options.startAt === 'end') {
      offset = st.size;
    }
    const resource = {
      ...(this.options.resource ?? {}),
      ...(this.options.resourceFor?.(path) ?? {}),
      'log.file.path': path,
    };
    const f: Followed = {
      path,
      handle,
      dev: st.dev,
      ino: st.ino,
      readOffset: offset,
      fingerprint,
      fingerprintLen,
      splitter: undefined as unknown as LineSplitter,
      normalizer: undefined as unknown as Normalizer,
      batch: [],
      batchPosition: offset,
      committed: offset,
      lastDataAt: this.options.clock.now(),
      missingSince: undefined,
      resource,
      lastSize: st.size,
    };
    this.reset(f, offset);
    this.followed.set(path, f);
    this.commit(f);
  }

  private reset(f: Followed, offset: number): void {
    const res = f.resource;
    f.normalizer = new Normalizer(
      {
        format: this.options.format,
        innerFormat: this.options.innerFormat,
        resource: res,
        counts: this.stats.counts,
      },
      (record, position) => {
        f.batch.push(record);
        f.batchPosition = position;
      },
    );
    const fast = this.options.fastPath;
    if (fast) {
      f.splitter = new ChunkSplitter(
        offset,
        (text) => fast.pushText(text),
        this.options.maxLineBytes ?? defaultMaxLineBytes,
        'latin1',
      );
      f.readOffset = offset;
      f.batchPosition = offset;
      return;
    }
    f.splitter = new LineSplitter(
      offset,
      (line, end) => {
        this.stats.lines++;
        f.normalizer.push(line, this.options.clock.now(), end);
      },
      this.options.maxLineBytes ?? defaultMaxLineBytes,
    );
    f.readOffset = offset;
    f.batchPosition = offset;
  }

  private async readAvailable(f: Followed, deliver: Deliver): Promise<void> {
    for (let i = 0; i < readsPerPoll && !this.closed; i++) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await f.handle.read(this.buffer, 0, this.buffer.length, f.readOffset));
      } catch {
        return;
      }
      if (bytesRead === 0) return;
      f.readOffset += bytesRead;
      this.stats.bytes += bytesRead;
      f.lastDataAt = this.options.clock.now();
      // The splitter keeps what it needs; the shared read buffer is reused at once.
      const fast = this.options.fastPath;
      const before = fast ? { ...fast.stats } : undefined;
      // (ChunkSplitter decodes at once and copies only its remainder: no copy needed for it.)
      const chunk = this.buffer.subarray(0, bytesRead);
      f.splitter.push(fast ? chunk : Buffer.from(chunk));
      if (fast && before) this.afterFastBlock(f, fast, before);
      if (f.fingerprintLen < fingerprintBytes && f.readOffset > f.fingerprintLen) {
        [f.fingerprint, f.fingerprintLen] = await this.fingerprintOf(f.handle, f.readOffset);
      }
      await this.deliverBatch(f, deliver);
    }
  }

  /** End of a file's content (rotated away, truncated): hand on the last line without newline. */
  private endLines(f: Followed): void {
    const fast = this.options.fastPath;
    const before = fast ? { ...fast.stats } : undefined;
    f.splitter.end();
    if (fast && before) this.afterFastBlock(f, fast, before);
    else f.normalizer.end();
  }

  private afterFastBlock(f: Followed, fast: FastPath, before: { lines: number; unparsed: number }): void {
    fast.flush();
    const lines = fast.stats.lines - before.lines;
    const unparsed = fast.stats.unparsed - before.unparsed;
    this.stats.lines += lines;
    const counts = this.stats.counts;
    counts.parsed['access-log'] = (counts.parsed['access-log'] ?? 0) + lines - unparsed;
    counts.unparsed += unparsed;
    if (f.splitter.position !== f.committed) {
      f.committed = f.splitter.position;
      this.commit(f);
    }
  }

  private async deliverBatch(f: Followed, deliver: Deliver): Promise<void> {
    if (f.batch.length === 0) return;
    const batch = f.batch;
    f.batch = [];
    try {
      await deliver(batch);
    } catch (err) {
      // Rewind to the checkpoint: the failed batch and whatever was read after it are read again.
      this.reset(f, f.committed);
      throw err;
    }
    f.committed = f.batchPosition;
    this.commit(f);
  }

  private commit(f: Followed): void {
    // Positions are saved once per poll round (one write for all files) unless this file already
    // has an unsaved batch: so a crash repeats at most one batch per file.
    const saveNow = this.unsaved.has(f);
    this.options.checkpoints.set(
      {
        path: f.path,
        dev: f.dev,
        ino: f.ino,
        offset: f.committed,
        fp: f.fingerprint,
        fpLen: f.fingerprintLen,
      },
      saveNow,
    );
    if (saveNow) this.unsaved.clear();
    else this.unsaved.add(f);
  }

  private saveState(): void {
    this.options.checkpoints.flush();
    this.unsaved.clear();
  }

  private async checkRotation(f: Followed, deliver: Deliver): Promise<void> {
    const st = await stat(f.path).catch(() => undefined);
    if (!st || st.ino !== f.ino || st.dev !== f.dev) {
      // Renamed away (and maybe replaced): what was written to the old file before the rename
      // is read through the old descriptor first.
      await this.readAvailable(f, deliver);
      if (!st) {
        f.missingSince ??= this.options.clock.now();
        if (this.options.clock.now() - f.missingSince < (this.options.rescanMs ?? 1000) * 5) return;
      }
      this.endLines(f);
      await this.deliverBatch(f, deliver);
      await f.handle.close().catch(() => undefined);
      this.followed.delete(f.path);
      if (st) await this.follow(f.path, false);
      return;
    }
    f.missingSince = undefined;
    f.lastSize = st.size;
    let truncated = st.size < f.readOffset;
    // Nothing new since the last read: skip the fingerprint (a rewrite to exactly the same size
    // is caught as soon as the file grows).
    if (!truncated && f.fingerprintLen > 0 && st.size !== f.readOffset) {
      // Truncated and written past the old size since the last poll: the first bytes differ.
      const [fp] = await this.fingerprintOf(f.handle, f.fingerprintLen);
      truncated = fp !== f.fingerprint;
    }
    if (truncated) {
      this.endLines(f);
      await this.deliverBatch(f, deliver);
      this.reset(f, 0);
      f.fingerprintLen = 0;
      f.fingerprint = '';
      f.committed = 0;
      this.commit(f);
      await this.readAvailable(f, deliver);
    }
  }

  private async fingerprintOf(handle: FileHandle, size: number): Promise<[string, number]> {
    const len = Math.min(size, fingerprintBytes);
    if (len <= 0) return ['', 0];
    const buf = Buffer.alloc(len);
    const { bytesRead } = await handle.read(buf, 0, len, 0);
    return [createHash('sha1').update(buf.subarray(0, bytesRead)).digest('hex'), bytesRead];
  }
}
