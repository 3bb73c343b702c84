import { type Chunk, firstIndexAtOrAfter, lastIndexAtOrBefore } from './chunk.ts';
import { isStaleNaN } from './stale.ts';

/**
 * What rate(), increase() and delta() need of a window, read without touching its samples:
 * the live (non-stale) sample count, the first and last live samples, and the value before
 * each counter reset in it. rate(x[3d]) at 15s is 17,280 samples per series per evaluation;
 * this finds the window's two ends by binary search, counts by the chunks' running totals and
 * takes the resets between the ends from the series' reset list. The answer is the same, bit
 * for bit: the engine adds the reset values in the same order as the sample-by-sample loop
 * (test/alerting/promql/window-summary.test.ts).
 */
export interface WindowSummary {
  count: number;
  firstT: number;
  firstV: number;
  lastT: number;
  lastV: number;
  /** The value before each counter reset after the first live sample, in time order. */
  resetPrevious: readonly number[];
}

/**
 * A series' counter resets in time order: each one's position (windowPosition of the sample
 * lower than the live sample before it) and that earlier value. Kept as samples arrive.
 */
export interface CounterResets {
  positions: number[];
  previous: number[];
}

/** A sample's place in its series: chunk seq and index, as one ordered number. */
export function windowPosition(seq: number, index: number): number {
  return seq * 128 + index;
}

/** Forgets resets in chunks that retention dropped (seq below `firstSeq`). */
export function dropResetsBefore(resets: CounterResets, firstSeq: number): void {
  const keepFrom = lowerBound(resets.positions, windowPosition(firstSeq, 0));
  if (keepFrom === 0) return;
  resets.positions.splice(0, keepFrom);
  resets.previous.splice(0, keepFrom);
}

const noResets: readonly number[] = [];

/**
 * Summarizes the samples of a series within [mint, maxt] from its chunks and resets, in time
 * logarithmic in the series' length; undefined when no sample there is live.
 */
export function summarizeWindow(
  series: { chunks: readonly Chunk[]; chunkStarts: readonly number[]; resets: CounterResets },
  mint: number,
  maxt: number,
): WindowSummary | undefined {
  const { chunks, chunkStarts, resets } = series;
  // The chunk holding mint (the last one starting at or before it), or else the first.
  let lo = Math.max(0, upperBound(chunkStarts, mint) - 1);
  if (lo < chunks.length && chunks[lo]!.maxTime < mint) lo++;
  let first = -1;
  let firstChunk = lo;
  for (; firstChunk < chunks.length; firstChunk++) {
    const chunk = chunks[firstChunk]!;
    if (chunk.minTime > maxt) return undefined;
    first = firstLive(chunk, firstIndexAtOrAfter(chunk, mint), lastIndexAtOrBefore(chunk, maxt) + 1);
    if (first >= 0) break;
  }
  if (first < 0) return undefined;
  let last = -1;
  let lastChunk = upperBound(chunkStarts, maxt) - 1;
  for (; lastChunk >= firstChunk; lastChunk--) {
    const chunk = chunks[lastChunk]!;
    last = lastLive(chunk, firstIndexAtOrAfter(chunk, mint), lastIndexAtOrBefore(chunk, maxt) + 1);
    if (last >= 0) break;
  }
  const a = chunks[firstChunk]!;
  const b = chunks[lastChunk]!;
  const count = b.liveBefore + liveBefore(b, last) - (a.liveBefore + liveBefore(a, first)) + 1;
  // Resets strictly after the first live sample: one at it compared with a sample outside.
  const startAt = upperBound(resets.positions, windowPosition(a.seq, first));
  const stopAt = upperBound(resets.positions, windowPosition(b.seq, last));
  return {
    count,
    firstT: a.timeAt(first),
    firstV: a.values[first]!,
    lastT: b.timeAt(last),
    lastV: b.values[last]!,
    resetPrevious: stopAt > startAt ? resets.previous.slice(startAt, stopAt) : noResets,
  };
}

function firstLive(chunk: Chunk, from: number, to: number): number {
  for (let i = from; i < to; i++) if (chunk.staleMarkers === 0 || !isStaleNaN(chunk.values[i]!)) return i;
  return -1;
}

function lastLive(chunk: Chunk, from: number, to: number): number {
  for (let i = to - 1; i >= from; i--)
    if (chunk.staleMarkers === 0 || !isStaleNaN(chunk.values[i]!)) return i;
  return -1;
}

/** Live samples in `chunk` before index `i`. */
function liveBefore(chunk: Chunk, i: number): number {
  if (chunk.staleMarkers === 0) return i;
  let n = 0;
  for (let k = 0; k < i; k++) if (!isStaleNaN(chunk.values[k]!)) n++;
  return n;
}

/** The first index whose value is >= x (xs.length when none); xs sorted ascending. */
export function lowerBound(xs: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first index whose value is > x (xs.length when none); xs sorted ascending. */
export function upperBound(xs: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Summaries of successive windows of one series, for windows that only move forward (a
 * backtest evaluates a rule at every step of a week): each end walks sample by sample, so a
 * window costs the samples it gained and lost since the last one, not a search. Gives the
 * same count, ends and resets as summarizeWindow for every window. The series' samples must
 * not change while a cursor reads them (a backtest's loaded data does not).
 *
 * @example
 * const cursor = new WindowCursor(series);
 * for (const ref of refs) if (cursor.moveTo(ref - rangeMs, ref)) use(cursor.count, cursor.firstV, cursor.lastV);
 */
export class WindowCursor {
  /** Filled by moveTo when it returns true. */
  count = 0;
  firstT = 0;
  firstV = 0;
  lastT = 0;
  lastV = 0;
  /** The window's resets are `resets[resetFrom .. resetTo)` (values before each), in time order. */
  resetFrom = 0;
  resetTo = 0;
  readonly resets: readonly number[];
  // First live sample at or after the window's start (startChunk === chunks.length: none).
  private startChunk = 0;
  private startIndex = -1;
  // Last live sample at or before the window's end (endChunk -1: none yet).
  private endChunk = -1;
  private endIndex = -1;
  // Scratch for nextLive, so that walking allocates nothing.
  private nextChunk = 0;
  private nextIndex = 0;
  private lastMint = Number.NEGATIVE_INFINITY;
  private lastMaxt = Number.NEGATIVE_INFINITY;

  constructor(private readonly series: { chunks: readonly Chunk[]; resets: CounterResets }) {
    this.resets = series.resets.previous;
    this.rewind();
  }

  /**
   * Moves to the window [mint, maxt]; false when no live sample is in it. Both bounds must be
   * at or after the previous call's (otherwise the cursor starts over from the first sample).
   */
  moveTo(mint: number, maxt: number): boolean {
    if (mint < this.lastMint || maxt < this.lastMaxt) this.rewind();
    this.lastMint = mint;
    this.lastMaxt = maxt;
    const chunks = this.series.chunks;
    while (this.startChunk < chunks.length && chunks[this.startChunk]!.timeAt(this.startIndex) < mint) {
      this.nextLive(this.startChunk, this.startIndex);
      this.startChunk = this.nextChunk;
      this.startIndex = this.nextIndex;
    }
    for (;;) {
      if (this.endChunk < 0) this.nextLive(0, -1);
      else this.nextLive(this.endChunk, this.endIndex);
      if (this.nextChunk >= chunks.length || chunks[this.nextChunk]!.timeAt(this.nextIndex) > maxt) break;
      this.endChunk = this.nextChunk;
      this.endIndex = this.nextIndex;
    }
    const sc = this.startChunk;
    const si = this.startIndex;
    const ec = this.endChunk;
    const ei = this.endIndex;
    if (sc >= chunks.length || ec < 0 || sc > ec || (sc === ec && si > ei)) return false;
    const a = chunks[sc]!;
    const b = chunks[ec]!;
    this.count = b.liveBefore + liveBefore(b, ei) - (a.liveBefore + liveBefore(a, si)) + 1;
    this.firstT = a.timeAt(si);
    this.firstV = a.values[si]!;
    this.lastT = b.timeAt(ei);
    this.lastV = b.values[ei]!;
    // Resets strictly after the first live sample, up to the last one, as summarizeWindow.
    const positions = this.series.resets.positions;
    const startPosition = windowPosition(a.seq, si);
    const endPosition = windowPosition(b.seq, ei);
    while (this.resetFrom < positions.length && positions[this.resetFrom]! <= startPosition) this.resetFrom++;
    if (this.resetTo < this.resetFrom) this.resetTo = this.resetFrom;
    while (this.resetTo < positions.length && positions[this.resetTo]! <= endPosition) this.resetTo++;
    return true;
  }

  /** Sets nextChunk/nextIndex to the live sample after (chunk, index), or chunks.length. */
  private nextLive(chunk: number, index: number): void {
    const chunks = this.series.chunks;
    // Nearly always: the next slot of the same chunk, in a chunk without staleness markers.
    const current = chunks[chunk];
    if (current !== undefined && index + 1 < current.length && current.staleMarkers === 0) {
      this.nextChunk = chunk;
      this.nextIndex = index + 1;
      return;
    }
    let c = chunk;
    let i = index + 1;
    while (c < chunks.length) {
      const ch = chunks[c]!;
      for (; i < ch.length; i++) {
        if (ch.staleMarkers === 0 || !isStaleNaN(ch.values[i]!)) {
          this.nextChunk = c;
          this.nextIndex = i;
          return;
        }
      }
      c++;
      i = 0;
    }
    this.nextChunk = chunks.length;
    this.nextIndex = 0;
  }

  private rewind(): void {
    this.nextLive(0, -1);
    this.startChunk = this.nextChunk;
    this.startIndex = this.nextIndex;
    this.endChunk = -1;
    this.endIndex = -1;
    this.resetFrom = 0;
    this.resetTo = 0;
    this.lastMint = Number.NEGATIVE_INFINITY;
    this.lastMaxt = Number.NEGATIVE_INFINITY;
  }
}
