/**
 * A chunk holds up to `chunkCapacity` samples of one series in two typed arrays: timestamps as
 * 32-bit offsets from the chunk's first timestamp (a chunk spans at most ~24 days of ms) and
 * values as 64-bit floats. That is 12 bytes per sample plus a small fixed cost per chunk,
 * against roughly 40+ bytes for an array of `{t, v}` objects (see docs/alerting.md, memory
 * per sample, measured by bench/alerting-ingest.ts).
 */

/** 120 samples is two hours at 1m or 30 minutes at 15s, the size Prometheus' head chunks use. */
export const chunkCapacity = 120;

/** The largest timestamp offset a chunk can hold in its Int32Array. */
const maxOffset = 2 ** 31 - 1;

/**
 * A new chunk starts small and doubles up to chunkCapacity: a series scraped for a few minutes,
 * or one that ends soon, does not hold 120 empty slots (bench/alerting-ingest.ts).
 */
const initialCapacity = 8;

export class Chunk {
  readonly base: number;
  offsets: Int32Array;
  values: Float64Array;
  length = 0;
  /** Staleness markers in this chunk: windows over chunks without any skip the check. */
  staleMarkers = 0;

  /**
   * @param seq this chunk's number within its series (0, 1, 2, ... never reused, so it stays
   *   valid when retention drops older chunks), for positions in store/window.ts.
   * @param liveBefore live (non-stale) samples the series had before this chunk.
   * @param slab where a full-size chunk takes its arrays from, for a store whose series are
   *   long and never dropped (a backtest's loaded week); otherwise the chunk starts small.
   */
  constructor(
    base: number,
    readonly seq = 0,
    readonly liveBefore = 0,
    slab?: ChunkSlab,
  ) {
    this.base = base;
    if (slab) [this.offsets, this.values] = slab.take();
    else {
      this.offsets = new Int32Array(initialCapacity);
      this.values = new Float64Array(initialCapacity);
    }
  }

  get minTime(): number {
    return this.base;
  }

  get maxTime(): number {
    return this.length === 0 ? this.base : this.base + this.offsets[this.length - 1]!;
  }

  isFull(): boolean {
    return this.length === chunkCapacity;
  }

  /** True when `t` can be stored as an offset from this chunk's base. */
  fits(t: number): boolean {
    return t - this.base <= maxOffset;
  }

  /** Appends a sample; the caller has checked order, capacity and `fits`. */
  push(t: number, v: number): void {
    if (this.length === this.offsets.length) this.grow();
    this.offsets[this.length] = t - this.base;
    this.values[this.length] = v;
    this.length++;
  }

  private grow(): void {
    const capacity = Math.min(chunkCapacity, this.offsets.length * 2);
    const offsets = new Int32Array(capacity);
    offsets.set(this.offsets);
    const values = new Float64Array(capacity);
    values.set(this.values);
    this.offsets = offsets;
    this.values = values;
  }

  /** Bytes held by this chunk's arrays now. */
  allocatedBytes(): number {
    return this.offsets.byteLength + this.values.byteLength + 64;
  }

  timeAt(i: number): number {
    return this.base + this.offsets[i]!;
  }

  /** Bytes of memory held by a full chunk's arrays and fields. */
  static readonly bytes = chunkCapacity * (4 + 8) + 64;
}

/**
 * Full-size chunk arrays carved out of large blocks. A week of 1,000 series is 336,000 chunks:
 * as arrays of their own, 672,000 buffers outside the JavaScript heap, whose allocation kept
 * the collector busy for a third of a backtest's load (CPU profile of bench/rules-backtest.ts).
 * A block is freed only when every chunk cut from it is gone, so this is for stores that keep
 * what they load.
 */
export class ChunkSlab {
  private offsets = new Int32Array(0);
  private values = new Float64Array(0);
  private used = 0;

  constructor(private readonly chunksPerBlock = 4096) {}

  take(): [Int32Array, Float64Array] {
    if (this.used === this.offsets.length) {
      this.offsets = new Int32Array(chunkCapacity * this.chunksPerBlock);
      this.values = new Float64Array(chunkCapacity * this.chunksPerBlock);
      this.used = 0;
    }
    const from = this.used;
    this.used += chunkCapacity;
    return [this.offsets.subarray(from, this.used), this.values.subarray(from, this.used)];
  }
}

/** Index range [from, to) of a chunk's samples within [mint, maxt]. */
export function chunkRange(chunk: Chunk, mint: number, maxt: number): [number, number] {
  const lo = mint - chunk.base;
  const hi = maxt - chunk.base;
  let from = 0;
  let to = chunk.length;
  if (lo > 0) {
    let l = 0;
    let h = chunk.length;
    while (l < h) {
      const m = (l + h) >>> 1;
      if (chunk.offsets[m]! < lo) l = m + 1;
      else h = m;
    }
    from = l;
  }
  if (chunk.maxTime > maxt) {
    let l = from;
    let h = chunk.length;
    while (l < h) {
      const m = (l + h) >>> 1;
      if (chunk.offsets[m]! <= hi) l = m + 1;
      else h = m;
    }
    to = l;
  }
  return [from, to];
}

/** Index of the chunk's first sample at or after `t` (chunk.length when none). */
export function firstIndexAtOrAfter(chunk: Chunk, t: number): number {
  const target = t - chunk.base;
  if (target <= 0) return 0;
  let lo = 0;
  let hi = chunk.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (chunk.offsets[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the chunk's last sample at or before `t` (-1 when none). */
export function lastIndexAtOrBefore(chunk: Chunk, t: number): number {
  const target = t - chunk.base;
  if (chunk.length > 0 && chunk.offsets[chunk.length - 1]! <= target) return chunk.length - 1;
  let lo = 0;
  let hi = chunk.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (chunk.offsets[mid]! <= target) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
