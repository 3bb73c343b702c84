import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { type Clock, systemClock, type TimerHandle, VigilError } from '../../core/index.ts';
import type { Labels, Matcher } from './labels.ts';
import {
  type AppendOutcome,
  defaultStoreLimits,
  type InstantReader,
  MemoryStore,
  type Queryable,
  type SeriesData,
  type StoreLimits,
  type WindowReader,
} from './memory-store.ts';
import {
  encodeSamples,
  encodeSeries,
  maxSamplesPerRecord,
  RecordFile,
  readRecordFile,
  type WalRecord,
} from './wal.ts';

/**
 * The embedded store on disk: the in-memory store, a write-ahead log of every series and
 * sample, and periodic snapshots that let the log be cut. Layout of the data directory:
 *
 * ```
 * data/wal/00000007.log        segments, replayed in order on start
 * data/snapshot-00000006.bin   everything up to and including segment 6
 * ```
 *
 * Appends are buffered and written to the log every `flushIntervalMs` (1s by default), so a
 * `kill -9` loses at most the last second; a crash of the machine may lose what the OS had not
 * yet written (the log is fsynced on snapshot and close).
 */

export interface PersistentStoreOptions {
  dir: string;
  clock?: Clock;
  limits?: StoreLimits;
  /** How often buffered appends are written to the log; the most a kill -9 can lose. */
  flushIntervalMs?: number;
  /** A snapshot is taken once the current log segment grows past this many bytes. */
  snapshotAfterBytes?: number;
}

/** What `open` found and replayed, reported at start-up. */
export interface ReplayReport {
  snapshot: string | undefined;
  segments: number;
  series: number;
  samples: number;
  /** Samples in the log not applied: out of order, duplicate, or of a series never logged. */
  skippedSamples: number;
  /** Bytes of torn or corrupt records at the ends of files, discarded. */
  discardedBytes: number;
}

const segmentPattern = /^(\d{8})\.log$/;
const snapshotPattern = /^snapshot-(\d{8})\.bin$/;
const pad = (n: number) => String(n).padStart(8, '0');

export class PersistentStore implements Queryable {
  readonly memory: MemoryStore;
  private segmentIndex: number;
  private wal: RecordFile;
  private pendingRecords: Buffer[] = [];
  private pendingIds: number[] = [];
  private pendingT: number[] = [];
  // A typed array, not number[]: V8 may canonicalize a NaN stored in a double array, which would
  // turn a staleness marker (a NaN with a payload) into an ordinary NaN before it reaches the WAL.
  private pendingV = new Float64Array(maxSamplesPerRecord);
  private timer: TimerHandle | undefined;
  private closed = false;
  private rotateBeforeWrite = false;
  /** Failed writes of the log (vigil_store_wal_flush_errors_total); the data stays buffered. */
  flushErrors = 0;
  lastFlushError: string | undefined;
  private readonly clock: Clock;
  private readonly flushIntervalMs: number;
  private readonly snapshotAfterBytes: number;

  private constructor(
    readonly dir: string,
    memory: MemoryStore,
    segmentIndex: number,
    options: PersistentStoreOptions,
  ) {
    this.memory = memory;
    this.segmentIndex = segmentIndex;
    this.clock = options.clock ?? systemClock;
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.snapshotAfterBytes = options.snapshotAfterBytes ?? 128 * 1024 * 1024;
    this.wal = new RecordFile(join(dir, 'wal', `${pad(segmentIndex)}.log`));
    this.schedule();
  }

  /**
   * Opens (or creates) a data directory, loading the newest snapshot and replaying the log.
   * A new log segment is always started, so nothing is ever appended after a torn record.
   *
   * @example
   * const { store, replay } = PersistentStore.open({ dir: 'data' });
   * log.info(replay, 'store replayed');
   */
  static open(options: PersistentStoreOptions): { store: PersistentStore; replay: ReplayReport } {
    const { dir } = options;
    try {
      mkdirSync(join(dir, 'wal'), { recursive: true });
    } catch (err) {
      throw new VigilError('config', `data directory ${dir}: cannot create: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const memory = new MemoryStore(options.limits ?? defaultStoreLimits);
    const report: ReplayReport = {
      snapshot: undefined,
      segments: 0,
      series: 0,
      samples: 0,
      skippedSamples: 0,
      discardedBytes: 0,
    };
    const snapshots = readdirSync(dir)
      .map((f) => snapshotPattern.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ file: m[0], index: Number(m[1]) }))
      .sort((a, b) => b.index - a.index);
    let coveredUpTo = 0;
    const newest = snapshots[0];
    if (newest) {
      const decoded = readRecordFile(join(dir, newest.file));
      apply(memory, decoded.records, report);
      report.discardedBytes += decoded.discardedBytes;
      report.snapshot = newest.file;
      coveredUpTo = newest.index;
    }
    const segments = readdirSync(join(dir, 'wal'))
      .map((f) => segmentPattern.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    for (const index of segments) {
      if (index <= coveredUpTo) continue;
      const decoded = readRecordFile(join(dir, 'wal', `${pad(index)}.log`));
      apply(memory, decoded.records, report);
      report.discardedBytes += decoded.discardedBytes;
      report.segments++;
    }
    const stats = memory.getStats();
    report.series = stats.series;
    report.samples = stats.samples;
    const next = Math.max(coveredUpTo, ...segments, 0) + 1;
    const store = new PersistentStore(dir, memory, next, options);
    // Everything replayed is now in memory: snapshot it so the next start reads one file.
    if (segments.length > 0) store.snapshot();
    return { store, replay: report };
  }

  /**
   * Appends one sample, logging the series first if it is new.
   *
   * @throws VigilError('limit') when the series limit is reached.
   */
  append(labels: Labels, t: number, v: number, key?: string): AppendOutcome {
    this.assertOpen();
    const { id, created } = this.memory.seriesId(labels, key);
    if (created) {
      this.closeSampleBatch();
      this.pendingRecords.push(encodeSeries(id, this.memory.labelsOf(id)!));
    }
    const outcome = this.memory.appendById(id, t, v);
    if (outcome === 'ok') {
      this.pendingV[this.pendingIds.length] = v;
      this.pendingIds.push(id);
      this.pendingT.push(t);
      if (this.pendingIds.length >= maxSamplesPerRecord) this.closeSampleBatch();
    }
    return created && outcome === 'ok' ? 'new' : outcome;
  }

  /**
   * Appends one sample by series reference (see MemoryStore.appendRef), logging the series
   * first if it is new. Returns the series' reference for the next call.
   *
   * @example
   * const ref = store.appendRef(0, { __name__: 'up' }, 1000, 1);
   * store.appendRef(ref, { __name__: 'up' }, 2000, 1);
   * @throws VigilError('limit') when the series limit is reached.
   */
  appendRef(ref: number, labels: Labels, t: number, v: number, key?: string): number {
    this.assertOpen();
    let id = ref;
    if (!this.memory.hasSeries(ref)) {
      const found = this.memory.seriesId(labels, key);
      id = found.id;
      if (found.created) {
        this.closeSampleBatch();
        this.pendingRecords.push(encodeSeries(id, this.memory.labelsOf(id)!));
      }
    }
    if (this.memory.appendById(id, t, v) === 'ok') {
      this.pendingV[this.pendingIds.length] = v;
      this.pendingIds.push(id);
      this.pendingT.push(t);
      if (this.pendingIds.length >= maxSamplesPerRecord) this.closeSampleBatch();
    }
    return id;
  }

  private closeSampleBatch(): void {
    const n = this.pendingIds.length;
    if (n === 0) return;
    this.pendingRecords.push(encodeSamples(this.pendingIds, this.pendingT, this.pendingV, n));
    this.pendingIds = [];
    this.pendingT = [];
  }

  /** Writes buffered appends to the log now. */
  flush(): void {
    this.closeSampleBatch();
    if (this.pendingRecords.length === 0) return;
    const buf = Buffer.concat(this.pendingRecords);
    // Cleared only once written: a failed write (disk full) is retried on the next flush, in
    // a new segment, so that a partly written record stays at the end of the old one, where
    // replay expects a torn tail.
    if (this.rotateBeforeWrite) {
      try {
        this.wal.close();
      } catch {
        // The old segment may not sync on a full disk; its records up to the tear still replay.
      }
      this.segmentIndex++;
      this.wal = new RecordFile(join(this.dir, 'wal', `${pad(this.segmentIndex)}.log`));
      this.rotateBeforeWrite = false;
    }
    try {
      this.wal.write(buf);
    } catch (err) {
      this.rotateBeforeWrite = true;
      throw err;
    }
    this.pendingRecords = [];
    if (this.wal.bytes >= this.snapshotAfterBytes) this.snapshot();
  }

  /**
   * Writes a snapshot of everything in memory, starts a new log segment and removes the
   * segments and snapshots it covers. The snapshot is written to a temporary file, fsynced and
   * renamed, so a crash leaves either the old or the new one whole.
   */
  snapshot(): void {
    this.assertOpen();
    this.flush();
    const covered = this.segmentIndex;
    const tmp = join(this.dir, 'snapshot.tmp');
    rmSync(tmp, { force: true });
    const file = new RecordFile(tmp);
    for (const series of this.memory.allSeries()) {
      file.write(encodeSeries(series.id, series.labels));
      for (let off = 0; off < series.t.length; off += maxSamplesPerRecord) {
        const n = Math.min(maxSamplesPerRecord, series.t.length - off);
        const ids = new Uint32Array(n).fill(series.id);
        file.write(encodeSamples(ids, series.t.subarray(off, off + n), series.v.subarray(off, off + n), n));
      }
    }
    file.close();
    const final = join(this.dir, `snapshot-${pad(covered)}.bin`);
    renameSync(tmp, final);
    syncDir(this.dir);
    this.wal.close();
    this.segmentIndex = covered + 1;
    this.wal = new RecordFile(join(this.dir, 'wal', `${pad(this.segmentIndex)}.log`));
    for (const f of readdirSync(join(this.dir, 'wal'))) {
      const m = segmentPattern.exec(f);
      if (m && Number(m[1]) <= covered) rmSync(join(this.dir, 'wal', f), { force: true });
    }
    for (const f of readdirSync(this.dir)) {
      const m = snapshotPattern.exec(f);
      if (m && Number(m[1]) < covered) rmSync(join(this.dir, f), { force: true });
    }
  }

  select(matchers: readonly Matcher[], mint: number, maxt: number): SeriesData[] {
    return this.memory.select(matchers, mint, maxt);
  }

  windowReaders(matchers: readonly Matcher[]): WindowReader[] {
    return this.memory.windowReaders(matchers);
  }

  instantReaders(matchers: readonly Matcher[]): InstantReader[] {
    return this.memory.instantReaders(matchers);
  }

  /** Drops samples past retention (the next snapshot then drops them from disk too). */
  applyRetention(): number {
    return this.memory.applyRetention(this.clock.now());
  }

  /** Bytes of the data directory on disk. */
  diskBytes(): number {
    let total = 0;
    for (const f of readdirSync(this.dir)) if (f.endsWith('.bin')) total += statSync(join(this.dir, f)).size;
    for (const f of readdirSync(join(this.dir, 'wal'))) total += statSync(join(this.dir, 'wal', f)).size;
    return total;
  }

  /** Flushes, fsyncs and stops the flush timer. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.timer?.cancel();
    this.wal.close();
    this.closed = true;
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => {
      if (this.closed) return;
      try {
        this.flush();
        this.lastFlushError = undefined;
      } catch (err) {
        // Kept in memory and retried next time; counted and shown, never thrown from a timer.
        this.flushErrors++;
        this.lastFlushError = (err as Error).message;
      }
      this.schedule();
    }, this.flushIntervalMs);
  }

  private assertOpen(): void {
    if (this.closed) throw new VigilError('internal', `store ${this.dir} is closed`);
  }
}

function apply(memory: MemoryStore, records: WalRecord[], report: ReplayReport): void {
  for (const record of records) {
    if (record.type === 'series') {
      memory.restoreSeries(record.id, record.labels);
      continue;
    }
    for (let i = 0; i < record.ids.length; i++) {
      const id = record.ids[i]!;
      if (!memory.labelsOf(id)) {
        report.skippedSamples++;
        continue;
      }
      if (memory.appendById(id, record.t[i]!, record.v[i]!) !== 'ok') report.skippedSamples++;
    }
  }
}

function syncDir(dir: string): void {
  if (!existsSync(dir)) return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
