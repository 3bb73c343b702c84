import type { Labels, Relabeler } from '../../core/index.ts';
import { flattenString } from '../store/index.ts';

/**
 * The per-target scrape cache, after Prometheus' scrapeCache (scrape/scrape.go): what each
 * exposed series became last time, keyed by its text exactly as the target wrote it
 * (`name{labels}`), so that a scrape repeating an unchanged series skips label parsing, target
 * labels, relabeling, key building and the store's series lookup. It also carries the
 * staleness bookkeeping: which series the last successful scrape produced.
 *
 * Pure data: no I/O, no clock. The scrape loop owns one per target.
 */

/** One series a target produced: its final labels, store key and the store's reference. */
export interface ScrapedSeries {
  readonly labels: Labels;
  /** `labelsKey(withoutEmpty(labels))`: the series' identity in the store. */
  readonly key: string;
  /** The store's reference for the series, 0 until the first append returns one. */
  ref: number;
  /** The scrape pass that last produced it: duplicate detection and staleness, with no set per scrape. */
  seenIn: number;
}

/** An exposed series text; `series` null when metric relabeling drops it. */
export interface CachedLine {
  readonly series: ScrapedSeries | null;
  usedIn: number;
}

/** What a cache's entries depend on: a change of any of them empties it. */
export interface CacheContext {
  targetLabels: Labels;
  honorLabels: boolean;
  metricRelabel: Relabeler;
}

export class ScrapeCache {
  /** Exposed series text (or, off the fast path, its labels joined) -> what it became. */
  readonly lines = new Map<string, CachedLine>();
  /** Store key -> series, so that two spellings of one series share one entry. */
  readonly series = new Map<string, ScrapedSeries>();
  /** Comment and metadata lines already found valid: a repeated one needs no parsing. */
  readonly comments = new Map<string, number>();
  /** The series the last successful scrape produced: the next one's staleness reference. */
  previous: ScrapedSeries[] = [];
  /** The pass number of the last successful scrape, -1 if the last scrape failed. */
  previousPass = -1;
  private pass = 0;
  /** Distinct lines used in the current pass: when it equals the cache size, nothing to drop. */
  private usedLines = 0;
  private context: CacheContext | undefined;

  /**
   * Starts a scrape pass and returns its number. Entries depend on target labels, honor_labels
   * and metric_relabel_configs: when any of them changed since the last pass (a reload), the
   * cache is emptied, as Prometheus does when metric relabeling changes.
   */
  begin(context: CacheContext): number {
    const last = this.context;
    if (
      last !== undefined &&
      (last.metricRelabel !== context.metricRelabel ||
        last.honorLabels !== context.honorLabels ||
        !sameLabels(last.targetLabels, context.targetLabels))
    ) {
      this.lines.clear();
      this.series.clear();
    }
    this.context = context;
    this.usedLines = 0;
    return ++this.pass;
  }

  /** Marks a line as used in `pass` (kept by the next commit). */
  use(line: CachedLine, pass: number): void {
    if (line.usedIn === pass) return;
    line.usedIn = pass;
    this.usedLines++;
  }

  /**
   * Ends a successful pass: entries not used in it are dropped, so a target whose series churn
   * (a label with a request id) does not grow the cache without bound.
   */
  commit(pass: number, produced: ScrapedSeries[]): void {
    // A walk over the cache only when some entry went unused; a steady target skips it.
    if (this.usedLines !== this.lines.size) {
      for (const [text, line] of this.lines) if (line.usedIn !== pass) this.lines.delete(text);
    }
    if (produced.length !== this.series.size) {
      for (const [key, s] of this.series) if (s.seenIn !== pass) this.series.delete(key);
    }
    if (this.comments.size > 0) {
      for (const [text, usedIn] of this.comments) if (usedIn !== pass) this.comments.delete(text);
    }
    this.previous = produced;
    this.previousPass = pass;
  }

  /** Ends a failed pass: nothing is dropped, and the next scrape has no previous series. */
  fail(): void {
    this.previous = [];
    this.previousPass = -1;
  }

  /** The series for `key`, created with `labels` if this target has not produced it yet. */
  seriesFor(key: string, labels: Labels): ScrapedSeries {
    let s = this.series.get(key);
    if (s === undefined) {
      // Held for as long as the target exposes the series: one flat string, not a cons tree.
      flattenString(key);
      s = { labels, key, ref: 0, seenIn: -1 };
      this.series.set(key, s);
    }
    return s;
  }
}

function sameLabels(a: Labels, b: Labels): boolean {
  if (a === b) return true;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}
