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
