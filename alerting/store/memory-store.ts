import { VigilError } from '../../core/index.ts';
import { Chunk, type ChunkSlab, chunkRange, lastIndexAtOrBefore } from './chunk.ts';
import { type Labels, labelsKey, type Matcher, metricNameLabel, withoutEmpty } from './labels.ts';
import { isStaleNaN } from './stale.ts';
import {
  type CounterResets,
  dropResetsBefore,
  summarizeWindow,
  upperBound,
  WindowCursor,
  type WindowSummary,
  windowPosition,
} from './window.ts';

/**
 * The in-memory part of the embedded store: series with their chunks, and an inverted label
 * index (name -> value -> series ids) that answers the four matcher kinds. Pure data
 * structure: no files, no timers; the persistent store wraps it with a WAL and snapshots.
 */

/** Samples of one series within a queried time range, in time order. */
export interface SeriesData {
  readonly labels: Labels;
  readonly t: Float64Array;
  readonly v: Float64Array;
}

/** One selected series that can summarize any window of itself without copying samples. */
export interface WindowReader {
  readonly labels: Labels;
  /** The labels without the metric name, made once: what rate() returns per series. */
  readonly labelsWithoutName: Labels;
  window(mint: number, maxt: number): WindowSummary | undefined;
  /** A cursor over windows that only move forward, for a backtest's fixed data. */
  cursor(): WindowCursor;
}

/** A sample read by an instant reader, written into an object the caller reuses. */
export interface InstantSample {
  t: number;
  v: number;
}

/** One selected series that can give its latest sample at any time without copying samples. */
export interface InstantReader {
  readonly labels: Labels;
  /**
   * Writes into `out` the last sample at or before `ref` and returns true, when that sample's
   * time is at least `mint`; returns false (leaving `out` alone) when there is no such sample.
   * Staleness markers are returned like any other value: the caller decides what they mean.
   */
  sampleAt(ref: number, mint: number, out: InstantSample): boolean;
}

/** What PromQL evaluation reads from: any store that can select series by matchers. */
export interface Queryable {
  /** Series matching all `matchers`, with their samples in `[mint, maxt]` (ms, inclusive). */
  select(matchers: readonly Matcher[], mint: number, maxt: number): SeriesData[];
  /**
   * Optional: the matching series as window readers, which answer rate(), increase() and
   * delta() from chunk summaries in time proportional to the chunks a window spans, not its
   * samples. A store without it is read through `select`; the answers are the same.
   */
  windowReaders?(matchers: readonly Matcher[]): WindowReader[];
  /**
   * Optional: the matching series (in `select`'s order) as instant readers, which answer an
   * instant selector by binary search instead of copying its lookback window. A store without
   * it is read through `select`; the answers are the same.
   */
  instantReaders?(matchers: readonly Matcher[]): InstantReader[];
}

export interface StoreLimits {
  /** Most series held at once; appending a new series beyond it fails with code `limit`. */
  maxSeries: number;
  /** Samples older than `newest - retentionMs` are dropped by `applyRetention`. */
  retentionMs: number;
}

export const defaultStoreLimits: StoreLimits = {
  maxSeries: 1_000_000,
  retentionMs: 15 * 24 * 3600 * 1000,
};

/** Counters the store keeps about itself, exported as vigil_store_* metrics. */
export interface StoreStats {
  series: number;
  samples: number;
  chunks: number;
  /** Appends refused because the series limit was reached (vigil_store_series_limit_hits_total). */
  seriesLimitHits: number;
  /** Samples refused because they were older than the newest one of their series. */
  outOfOrder: number;
  /** Samples with the same timestamp as the newest one but another value. */
  duplicateTimestamp: number;
  /** Samples dropped by retention. */
  retentionDropped: number;
}

interface Series {
  readonly id: number;
  readonly labels: Labels;
  readonly key: string;
  chunks: Chunk[];
  lastT: number;
  lastV: number;
  /** The newest value that is not a staleness marker (NaN before the first): reset detection. */
  lastLiveV: number;
  /** Live samples appended so far (retention does not lower it): window counts. */
  live: number;
  /** Chunks created so far: the next chunk's seq. */
  chunksCreated: number;
  /**
   * Each chunk's first timestamp, in one array: windows binary-search it instead of chunk
   * objects spread over the heap (bench/alerting-rules.ts: a third of a cycle went there).
   */
  chunkStarts: number[];
  /** Where counter resets are and the value before each: see store/window.ts. */
  resets: CounterResets;
}

/** Result of one append: `new` when it created the series (the WAL must log its labels). */
export type AppendOutcome = 'ok' | 'new' | 'out_of_order' | 'duplicate';

export class MemoryStore implements Queryable {
  private readonly byKey = new Map<string, Series>();
  private readonly byId = new Map<number, Series>();
  /**
   * The same series indexed by id in an array: ids are small consecutive integers, and an
   * element load is cheaper than a Map lookup per appended sample (bench/alerting-ingest.ts).
   * byId stays for iteration in creation order.
   */
  private readonly byRef: (Series | undefined)[] = [];
  private readonly postings = new Map<string, Map<string, Set<number>>>();
  private nextId = 1;
  private readonly stats: StoreStats = {
    series: 0,
    samples: 0,
    chunks: 0,
    seriesLimitHits: 0,
    outOfOrder: 0,
    duplicateTimestamp: 0,
    retentionDropped: 0,
  };

  /**
   * @param slab full-size chunks carved from large blocks, for a store whose series are long
   *   and never dropped (a backtest's); by default chunks start small and grow.
   */
  constructor(
    readonly limits: StoreLimits = defaultStoreLimits,
    private readonly slab?: ChunkSlab,
  ) {}

  /**
   * Returns the id of the series with these labels, creating it if needed.
   *
   * @throws VigilError('limit') naming the limit when a new series would exceed `maxSeries`.
   */
  seriesId(labels: Labels, knownKey?: string): { id: number; created: boolean } {
    if (knownKey !== undefined) {
      const existing = this.byKey.get(knownKey);
      if (existing) return { id: existing.id, created: false };
    }
    // An empty value means "no such label" in Prometheus: it is not part of the identity.
    const normalized = withoutEmpty(labels);
    const key = labelsKey(normalized);
    const existing = this.byKey.get(key);
    if (existing) return { id: existing.id, created: false };
    return { id: this.createSeries(this.nextId, normalized, key), created: true };
  }

  /** Re-creates a series under a known id (WAL replay, snapshot load). */
  restoreSeries(id: number, labels: Labels): void {
    const normalized = withoutEmpty(labels);
    const key = labelsKey(normalized);
    if (this.byKey.has(key)) return;
    this.createSeries(id, normalized, key);
  }

  private createSeries(id: number, labels: Labels, key: string): number {
    if (this.byKey.size >= this.limits.maxSeries) {
      this.stats.seriesLimitHits++;
      throw new VigilError(
        'limit',
        `series limit of ${this.limits.maxSeries} reached: cannot add a new series (store.max_series)`,
        { details: { limit: this.limits.maxSeries } },
      );
    }
    flattenString(key);
    const series: Series = {
      id,
      labels,
      key,
      chunks: [],
      lastT: Number.NEGATIVE_INFINITY,
      lastV: 0,
      lastLiveV: Number.NaN,
      live: 0,
      chunksCreated: 0,
      chunkStarts: [],
      resets: { positions: [], previous: [] },
    };
    this.byKey.set(key, series);
    this.byId.set(id, series);
    this.byRef[id] = series;
    if (id >= this.nextId) this.nextId = id + 1;
    for (const [name, value] of Object.entries(labels)) {
      let values = this.postings.get(name);
      if (!values) {
        values = new Map();
        this.postings.set(name, values);
      }
      let ids = values.get(value);
      if (!ids) {
        ids = new Set();
        values.set(value, ids);
      }
      ids.add(id);
    }
    this.stats.series++;
    this.clearReaderCaches();
    return id;
  }

  labelsOf(id: number): Labels | undefined {
    return this.byId.get(id)?.labels;
  }

  /**
   * Appends one sample. Samples must come in time order per series; an older sample is
   * refused (counted, not thrown: a scrape must go on), as Prometheus does.
   */
  appendById(id: number, t: number, v: number): AppendOutcome {
    const series = this.byRef[id];
    if (!series) throw new VigilError('internal', `append to unknown series id ${id}`);
    return this.appendTo(series, t, v);
  }

  /**
   * Appends one sample by series reference, after Prometheus' storage.Appender: `ref` is what
   * an earlier call returned (0 when unknown); when it no longer names a series (retention
   * deleted it), the series is found or created from `labels` (and `key`, as in `append`).
   * Returns the series' reference, a number rather than an object: the scraper calls this per
   * sample and keeps the reference, so a repeated series skips the key lookup and allocates
   * nothing (bench/alerting-ingest.ts). Out-of-order samples are counted as in `appendById`.
   *
   * @example
   * const ref = store.appendRef(0, { __name__: 'up' }, 1000, 1);
   * store.appendRef(ref, { __name__: 'up' }, 2000, 1);
   * @throws VigilError('limit') when a new series would exceed `maxSeries`.
   */
  appendRef(ref: number, labels: Labels, t: number, v: number, key?: string): number {
    let series = this.byRef[ref];
    if (series === undefined) series = this.byRef[this.seriesId(labels, key).id]!;
    this.appendTo(series, t, v);
    return series.id;
  }

  /** True when `ref` names a series held now. */
  hasSeries(ref: number): boolean {
    return this.byRef[ref] !== undefined;
  }

  private appendTo(series: Series, t: number, v: number): AppendOutcome {
    if (t < series.lastT) {
      this.stats.outOfOrder++;
      return 'out_of_order';
    }
    if (t === series.lastT) {
      if (!Object.is(v, series.lastV) && !(Number.isNaN(v) && Number.isNaN(series.lastV)))
        this.stats.duplicateTimestamp++;
      return 'duplicate';
    }
    let chunk = series.chunks[series.chunks.length - 1];
    if (!chunk || chunk.isFull() || !chunk.fits(t)) {
      chunk = new Chunk(t, series.chunksCreated++, series.live, this.slab);
      series.chunks.push(chunk);
      series.chunkStarts.push(t);
      this.stats.chunks++;
    }
    chunk.push(t, v);
    if (isStaleNaN(v)) chunk.staleMarkers++;
    else {
      // The comparison rate() makes between neighbouring live samples (false with a NaN).
      if (v < series.lastLiveV) {
        series.resets.positions.push(windowPosition(chunk.seq, chunk.length - 1));
        series.resets.previous.push(series.lastLiveV);
      }
      series.lastLiveV = v;
      series.live++;
    }
    series.lastT = t;
    series.lastV = v;
    this.stats.samples++;
    return 'ok';
  }

  /**
   * Appends a sample to the series with these labels, creating it if needed. `key`, when
   * given, must be `labelsKey(withoutEmpty(labels))`: callers that see the same series again
   * and again (the scraper) compute it once and save the store doing it per sample.
   *
   * @example
   * store.append({ __name__: 'up', job: 'api' }, Date.now(), 1);
   */
  append(
    labels: Labels,
    t: number,
    v: number,
    key?: string,
  ): { id: number; created: boolean; outcome: AppendOutcome } {
    const { id, created } = this.seriesId(labels, key);
    return { id, created, outcome: this.appendById(id, t, v) };
  }

  /** Ids of the series matching every matcher, smallest posting list first. */
  private matchIds(matchers: readonly Matcher[]): Iterable<number> {
    let candidates: Set<number> | undefined;
    const filters: Matcher[] = [];
    for (const m of matchers) {
      // An equality on a non-empty value is answered from one posting list; the rest filter.
      if (m.type === '=' && m.value !== '') {
        const ids = this.postings.get(m.name)?.get(m.value);
        if (!ids) return [];
        candidates = candidates ? intersect(candidates, ids) : ids;
      } else if (m.type === '=~' && !m.matches('')) {
        // The label must be present: union of the matching values' posting lists.
        const values = this.postings.get(m.name);
        if (!values) return [];
        const union = new Set<number>();
        for (const [value, ids] of values) if (m.matches(value)) for (const id of ids) union.add(id);
        candidates = candidates ? intersect(candidates, union) : union;
      } else {
        filters.push(m);
      }
    }
    const base: Iterable<number> = candidates ?? this.byId.keys();
    if (filters.length === 0) return [...base];
    const out: number[] = [];
    for (const id of base) {
      const labels = this.byId.get(id)!.labels;
      if (filters.every((m) => m.matches(labels[m.name] ?? ''))) out.push(id);
    }
    return out;
  }

  select(matchers: readonly Matcher[], mint: number, maxt: number): SeriesData[] {
    const out: SeriesData[] = [];
    for (const id of this.matchIds(matchers)) {
      const series = this.byId.get(id)!;
      const data = samplesIn(series.chunks, mint, maxt, series.chunkStarts);
      if (data) out.push({ labels: series.labels, t: data.t, v: data.v });
    }
    return out;
  }

  /**
   * Readers by selector, kept until the set of series changes: rules evaluate the same
   * selectors every interval, and a backtest thousands of times over (bench/rules-backtest.ts).
   */
  private readonly readerCache = new Map<string, WindowReader[]>();
  private readonly instantReaderCache = new Map<string, InstantReader[]>();

  private clearReaderCaches(): void {
    this.readerCache.clear();
    this.instantReaderCache.clear();
  }

  private cachedReaders<R>(
    cache: Map<string, R[]>,
    matchers: readonly Matcher[],
    reader: (series: Series) => R,
  ): R[] {
    let key = '';
    for (const m of matchers) key += `${m.name}\u0000${m.type}\u0000${m.value}\u0001`;
    const cached = cache.get(key);
    if (cached) return cached;
    const out: R[] = [];
    for (const id of this.matchIds(matchers)) out.push(reader(this.byId.get(id)!));
    // Ad-hoc API queries bring new selectors too: bound the cache rather than grow it.
    if (cache.size >= 1000) cache.clear();
    cache.set(key, out);
    return out;
  }

  windowReaders(matchers: readonly Matcher[]): WindowReader[] {
    return this.cachedReaders(this.readerCache, matchers, (series) => {
      // series.chunks is replaced by retention, so it is read at each call.
      const { [metricNameLabel]: _, ...labelsWithoutName } = series.labels;
      return {
        labels: series.labels,
        labelsWithoutName: metricNameLabel in series.labels ? labelsWithoutName : series.labels,
        window: (mint, maxt) => summarizeWindow(series, mint, maxt),
        cursor: () => new WindowCursor(series),
      };
    });
  }

  /**
   * @example
   * const out = { t: 0, v: 0 };
   * for (const reader of store.instantReaders([newMatcher('__name__', '=', 'up')]))
   *   if (reader.sampleAt(now, now - 300_000, out)) console.log(reader.labels, out.v);
   */
  instantReaders(matchers: readonly Matcher[]): InstantReader[] {
    return this.cachedReaders(this.instantReaderCache, matchers, (series) => ({
      labels: series.labels,
      sampleAt: (ref, mint, out) => lastSampleAtOrBefore(series, ref, mint, out),
    }));
  }

  /** Label sets of the series matching `matchers` (any time), for /api/v1/series. */
  seriesLabels(matchers: readonly Matcher[]): Labels[] {
    return [...this.matchIds(matchers)].map((id) => this.byId.get(id)!.labels);
  }

  /** Every label name in the store, sorted. */
  labelNames(): string[] {
    return [...this.postings.keys()].sort();
  }

  /** Every value of one label, sorted. */
  labelValues(name: string): string[] {
    return [...(this.postings.get(name)?.keys() ?? [])].sort();
  }

  /**
   * Drops whole chunks whose newest sample is older than `now - retentionMs`, and series left
   * with no samples. Returns the number of samples dropped.
   */
  applyRetention(now: number): number {
    const cutoff = now - this.limits.retentionMs;
    let dropped = 0;
    for (const series of this.byId.values()) {
      let keep = 0;
      while (keep < series.chunks.length && series.chunks[keep]!.maxTime < cutoff) {
        dropped += series.chunks[keep]!.length;
        keep++;
      }
      if (keep > 0) {
        series.chunks = series.chunks.slice(keep);
        series.chunkStarts.splice(0, keep);
        this.stats.chunks -= keep;
        dropResetsBefore(series.resets, series.chunks[0]?.seq ?? series.chunksCreated);
      }
      if (series.chunks.length === 0 && series.lastT < cutoff) this.deleteSeries(series);
    }
    this.stats.samples -= dropped;
    this.stats.retentionDropped += dropped;
    return dropped;
  }

  private deleteSeries(series: Series): void {
    this.byKey.delete(series.key);
    this.byId.delete(series.id);
    this.byRef[series.id] = undefined;
    for (const [name, value] of Object.entries(series.labels)) {
      const values = this.postings.get(name);
      const ids = values?.get(value);
      ids?.delete(series.id);
      if (ids && ids.size === 0) values!.delete(value);
      if (values && values.size === 0) this.postings.delete(name);
    }
    this.stats.series--;
    this.clearReaderCaches();
  }

  /** Bytes held by all chunks now (walks every series: for metrics and benchmarks, not per sample). */
  chunkBytes(): number {
    let total = 0;
    for (const series of this.byId.values())
      for (const chunk of series.chunks) total += chunk.allocatedBytes();
    return total;
  }

  getStats(): Readonly<StoreStats> {
    return { ...this.stats };
  }

  /** Every series with all its samples, for snapshots. */
  *allSeries(): Generator<{ id: number; labels: Labels; t: Float64Array; v: Float64Array }> {
    for (const series of this.byId.values()) {
      const data = samplesIn(series.chunks, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
      yield {
        id: series.id,
        labels: series.labels,
        t: data?.t ?? new Float64Array(0),
        v: data?.v ?? new Float64Array(0),
      };
    }
  }
}

/**
 * Makes V8 store a string built by concatenation (labelsKey's) as one flat string in place.
 * Kept as it is, a series key is a tree of ~36 cons-string nodes: 681 bytes of heap per key
 * against 132 flat, and objects that every major GC marks (heap snapshot of
 * bench/alerting-ingest.ts: 723k cons strings for 20k series). charCodeAt flattens in place;
 * hashing it for a Map does not.
 */
export function flattenString(s: string): void {
  // Kept in a variable so that an optimizing compiler cannot drop the call as unused.
  _flattenSink ^= s.charCodeAt(0);
}

let _flattenSink = 0;

function intersect(a: Set<number>, b: Set<number>): Set<number> {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  const out = new Set<number>();
  for (const id of small) if (large.has(id)) out.add(id);
  return out;
}

/**
 * The series' last sample at or before `ref` into `out`, when it is not older than `mint`.
 * Reads `series.chunks` at each call: retention replaces the array.
 */
function lastSampleAtOrBefore(
  series: { chunks: readonly Chunk[]; chunkStarts: readonly number[] },
  ref: number,
  mint: number,
  out: InstantSample,
): boolean {
  const c = upperBound(series.chunkStarts, ref) - 1;
  if (c < 0) return false;
  const chunk = series.chunks[c]!;
  const i = lastIndexAtOrBefore(chunk, ref);
  if (i < 0) return false;
  const t = chunk.timeAt(i);
  if (t < mint) return false;
  out.t = t;
  out.v = chunk.values[i]!;
  return true;
}

/**
 * Copies the samples of `chunks` within [mint, maxt]; undefined when there are none. Chunks
 * are searched by binary search and values copied in bulk: this is the hot path of long
 * windows such as rate(x[3d]) (bench/alerting-rules.ts).
 */
function samplesIn(
  chunks: readonly Chunk[],
  mint: number,
  maxt: number,
  chunkStarts?: readonly number[],
): { t: Float64Array; v: Float64Array } | undefined {
  let count = 0;
  let first = -1;
  let last = -1;
  // Start at the chunk holding mint: a 5m lookback on a week-old series skips ~2,000 chunks.
  const from = chunkStarts ? Math.max(0, upperBound(chunkStarts, mint) - 1) : 0;
  for (let c = from; c < chunks.length; c++) {
    const chunk = chunks[c]!;
    if (chunk.length === 0 || chunk.maxTime < mint) continue;
    if (chunk.minTime > maxt) break;
    if (first < 0) first = c;
    last = c;
    const [from, to] = chunkRange(chunk, mint, maxt);
    count += to - from;
  }
  if (count === 0) return undefined;
  const t = new Float64Array(count);
  const v = new Float64Array(count);
  let n = 0;
  for (let c = first; c <= last; c++) {
    const chunk = chunks[c]!;
    if (chunk.length === 0) continue;
    const [from, to] = chunkRange(chunk, mint, maxt);
    if (to <= from) continue;
    const base = chunk.base;
    const offsets = chunk.offsets;
    for (let i = from; i < to; i++) t[n + i - from] = base + offsets[i]!;
    v.set(chunk.values.subarray(from, to), n);
    n += to - from;
  }
  return { t, v };
}
