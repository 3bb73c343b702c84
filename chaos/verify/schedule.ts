/**
 * The watcher's schedule as pure data: which writes are sampled, which read-backs each one gets
 * and when, and the queue of pending read-backs in due order. No timers and no files here; the
 * watcher shell drives it with a Clock and persists it with the journal.
 */

/** One write the watcher learned of: performed itself, or fed from a queue or a log stream. */
export interface WriteEvent {
  key: string;
  /** Lower-case hex SHA-256 of what was written. */
  sha256: string;
  size: number;
  /** When the store acknowledged the write, ms since the epoch. */
  writtenAt: number;
}

/** One scheduled read-back of one write at one age. */
export interface PendingCheck extends WriteEvent {
  /** `${seq}/${ageIndex}`: unique, stable across restarts. */
  id: string;
  /** The write's sequence number in the journal. */
  seq: number;
  ageMs: number;
  dueAt: number;
  /** 1 for the first try; retries of an unreadable read count up. */
  attempt: number;
}

/** Magic Pocket's ages: a minute, an hour, a day and a week after the write. */
export const defaultAgesMs: readonly number[] = [60_000, 3_600_000, 86_400_000, 604_800_000];

export interface ScheduleConfig {
  agesMs: readonly number[];
  /** Fraction of writes to verify, 0..1. The choice hashes the key, so replays choose the same. */
  sampleRate: number;
  /** Changes which keys a partial sample picks. */
  seed: number;
}

/** FNV-1a over the key's UTF-16 units, mixed with the seed: cheap, stable, well spread for sampling. */
function keyHash(key: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // A final avalanche step so that keys differing only in their last character spread evenly.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}

/**
 * True when the write of `key` is in the sample.
 *
 * @example
 * isSampled('photos/1.jpg', 1, 0); // true: a rate of 1 verifies everything
 */
export function isSampled(key: string, sampleRate: number, seed: number): boolean {
  if (sampleRate >= 1) return true;
  if (sampleRate <= 0) return false;
  return keyHash(key, seed) / 4294967296 < sampleRate;
}

/**
 * The read-backs one write gets: one per configured age, or none when it is not sampled.
 *
 * @example
 * planChecks(7, { key: 'a', sha256, size: 3, writtenAt: 0 }, { agesMs: [60000], sampleRate: 1, seed: 0 });
 * // [{ id: '7/0', dueAt: 60000, attempt: 1, ... }]
 */
export function planChecks(seq: number, write: WriteEvent, config: ScheduleConfig): PendingCheck[] {
  if (!isSampled(write.key, config.sampleRate, config.seed)) return [];
  return config.agesMs.map((ageMs, i) => ({
    ...write,
    id: `${seq}/${i}`,
    seq,
    ageMs,
    dueAt: write.writtenAt + ageMs,
    attempt: 1,
  }));
}

function before(a: PendingCheck, b: PendingCheck): boolean {
  if (a.dueAt !== b.dueAt) return a.dueAt < b.dueAt;
  if (a.seq !== b.seq) return a.seq < b.seq;
  return a.ageMs < b.ageMs;
}

/**
 * Pending read-backs ordered by due time (then by write order), so the most overdue run first
 * after a restart. A binary heap: adding and taking the next due check cost O(log n).
 */
export class PendingQueue {
  private readonly heap: PendingCheck[] = [];

  constructor(checks: Iterable<PendingCheck> = []) {
    for (const c of checks) this.heap.push(c);
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  get size(): number {
    return this.heap.length;
  }

  add(check: PendingCheck): void {
    this.heap.push(check);
    this.up(this.heap.length - 1);
  }

  /** The earliest due time, or undefined when nothing is pending. */
  nextDueAt(): number | undefined {
    return this.heap[0]?.dueAt;
  }

  /** Removes and returns up to `limit` checks due at `now` or earlier, most overdue first. */
  takeDue(now: number, limit = Number.POSITIVE_INFINITY): PendingCheck[] {
    const out: PendingCheck[] = [];
    while (out.length < limit && this.heap.length > 0 && this.heap[0]!.dueAt <= now) out.push(this.pop()!);
    return out;
  }

  /** How long the most overdue check has waited past its due time (0 when none is due). */
  overdueMs(now: number): number {
    const first = this.heap[0];
    return first && first.dueAt < now ? now - first.dueAt : 0;
  }

  /** Every pending check, in no particular order (for snapshots). */
  values(): readonly PendingCheck[] {
    return this.heap;
  }

  private pop(): PendingCheck | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (this.heap.length > 0 && last) {
      this.heap[0] = last;
      this.down(0);
    }
    return top;
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
