import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { VigilError, writeAll } from '../../../core/index.ts';
import type { Notification } from '../types.ts';

/**
 * The durable outbox: every notification accepted for delivery is appended to a log in
 * DATA_DIR/notify/outbox and fsynced before `enqueue` returns, so a `kill -9` (or a power
 * loss) after acceptance cannot lose it. An acknowledgement per integration (delivered, given
 * up, superseded) is appended when its fate is known; on open, the log is replayed and
 * whatever was not acknowledged is pending again. Acknowledgements are written but not
 * fsynced: losing one to a power cut means a notification is sent twice, which receivers
 * absorb (PagerDuty deduplicates by dedup_key), never that one is lost.
 *
 * The log is JSON lines. A torn last line (a crash mid-write) is discarded and reported;
 * compaction rewrites only the pending entries to a new file (written, fsynced, renamed), at
 * open and whenever enough acknowledged records have piled up.
 */

export type AckResult = 'delivered' | 'failed' | 'superseded' | 'dropped';

type EnqueueRecord = { op: 'enq'; n: Notification; to: string[]; at: number };
type AckRecord = { op: 'ack'; id: string; to: string; result: AckResult };
type OutboxRecord = EnqueueRecord | AckRecord;

/** One accepted notification and the integrations it still has to reach. */
export interface PendingEntry {
  notification: Notification;
  /** When the outbox accepted it (ms); the delivery loop's max age counts from here. */
  acceptedAt: number;
  to: Set<string>;
}

export interface OutboxReplayReport {
  /** Notifications with at least one integration still to reach. */
  pendingNotifications: number;
  /** (notification, integration) pairs still to deliver. */
  pendingDeliveries: number;
  /** Bytes of a torn last record, discarded. */
  discardedBytes: number;
  /** Records in the middle of the log that could not be read (skipped, counted). */
  corruptRecords: number;
}

export interface OutboxOptions {
  /** Most notifications kept pending; past it `enqueue` refuses with VigilError('limit'). */
  maxPending?: number;
  /** Acknowledged records that trigger a compaction. */
  compactAfter?: number;
}

/** Pending notifications kept at most: a day of a busy fleet's groups, a few MB on disk. */
export const defaultMaxPending = 10_000;
const defaultCompactAfter = 1_000;
const logName = 'outbox.log';

export class Outbox {
  private fd: number;
  private readonly entries = new Map<string, PendingEntry>();
  private deadRecords = 0;
  private readonly maxPending: number;
  private readonly compactAfter: number;
  private closed = false;

  private constructor(
    readonly dir: string,
    options: OutboxOptions,
  ) {
    this.maxPending = options.maxPending ?? defaultMaxPending;
    this.compactAfter = options.compactAfter ?? defaultCompactAfter;
    this.fd = -1;
  }

  /**
   * Opens (creating) the outbox in `dir`, replays it, and compacts it.
   *
   * @example
   * const { outbox, report } = Outbox.open(join(dataDir, 'notify', 'outbox'));
   * for (const entry of outbox.pending()) schedule(entry);
   */
  static open(dir: string, options: OutboxOptions = {}): { outbox: Outbox; report: OutboxReplayReport } {
    mkdirSync(dir, { recursive: true });
    const outbox = new Outbox(dir, options);
    const report = outbox.replay();
    outbox.compact();
    return { outbox, report };
  }

  private get path(): string {
    return join(this.dir, logName);
  }

  private replay(): OutboxReplayReport {
    let discardedBytes = 0;
    let corruptRecords = 0;
    if (existsSync(this.path)) {
      const text = readFileSync(this.path, 'utf8');
      const lines = text.split('\n');
      // Everything after the last newline is a record whose write never finished.
      const tail = lines.pop() ?? '';
      discardedBytes = Buffer.byteLength(tail);
      for (const line of lines) {
        if (line === '') continue;
        let record: OutboxRecord;
        try {
          record = JSON.parse(line) as OutboxRecord;
        } catch {
          corruptRecords++;
          continue;
        }
        this.apply(record);
      }
    }
    let pendingDeliveries = 0;
    for (const e of this.entries.values()) pendingDeliveries += e.to.size;
    return { pendingNotifications: this.entries.size, pendingDeliveries, discardedBytes, corruptRecords };
  }

  private apply(record: OutboxRecord): void {
    if (record.op === 'enq') {
      if (record.to.length > 0)
        this.entries.set(record.n.id, {
          notification: record.n,
          acceptedAt: record.at,
          to: new Set(record.to),
        });
      return;
    }
    const entry = this.entries.get(record.id);
    if (!entry) return;
    entry.to.delete(record.to);
    if (entry.to.size === 0) this.entries.delete(record.id);
  }

  /** Notifications still to deliver, in acceptance order. */
  pending(): PendingEntry[] {
    return [...this.entries.values()];
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Accepts a notification for the given integrations; durable when it returns.
   *
   * @throws VigilError('limit') when maxPending notifications are already waiting;
   *   VigilError('conflict') when the id was accepted before and is still pending.
   */
  enqueue(n: Notification, to: readonly string[], acceptedAt: number): PendingEntry {
    this.assertOpen();
    if (this.entries.has(n.id))
      throw new VigilError('conflict', `notification ${n.id} is already in the outbox`, {
        details: { id: n.id },
      });
    if (this.entries.size >= this.maxPending)
      throw new VigilError('limit', `notification outbox is full (${this.maxPending} pending)`, {
        details: { receiver: n.receiver, groupKey: n.groupKey },
      });
    const entry: PendingEntry = { notification: n, acceptedAt, to: new Set(to) };
    this.write({ op: 'enq', n, to: [...to], at: acceptedAt }, true);
    if (to.length > 0) this.entries.set(n.id, entry);
    return entry;
  }

  /** Records the fate of one (notification, integration) pair. */
  ack(id: string, to: string, result: AckResult): void {
    this.assertOpen();
    const entry = this.entries.get(id);
    if (!entry?.to.has(to)) return;
    this.write({ op: 'ack', id, to, result }, false);
    entry.to.delete(to);
    this.deadRecords++;
    if (entry.to.size === 0) {
      this.entries.delete(id);
      this.deadRecords++;
    }
    if (this.deadRecords >= this.compactAfter) this.compact();
  }

  /** Rewrites the log with only what is pending: temp file, fsync, rename, fsync the folder. */
  compact(): void {
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      let chunk = '';
      for (const e of this.entries.values()) {
        chunk += `${JSON.stringify({ op: 'enq', n: e.notification, to: [...e.to], at: e.acceptedAt })}\n`;
        if (chunk.length > 1 << 20) {
          writeAll(fd, chunk);
          chunk = '';
        }
      }
      if (chunk) writeAll(fd, chunk);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (this.fd >= 0) closeSync(this.fd);
    renameSync(tmp, this.path);
    syncDir(this.dir);
    this.fd = openSync(this.path, 'a');
    this.deadRecords = 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.fd >= 0) {
      fsyncSync(this.fd);
      closeSync(this.fd);
    }
  }

  private write(record: OutboxRecord, durable: boolean): void {
    const line = `${JSON.stringify(record)}\n`;
    try {
      writeAll(this.fd, line);
      if (durable) fsyncSync(this.fd);
    } catch (err) {
      throw new VigilError(
        'unavailable',
        `notification outbox ${this.path}: cannot write: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new VigilError('internal', 'notification outbox is closed');
  }
}

function syncDir(dir: string): void {
  // A rename is durable only once the directory entry is; some filesystems refuse, which is fine.
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // best effort
  }
}
