import {
  compileRelabel,
  type ExpositionFormat,
  type Labels,
  labelsKey,
  metricNameLabel,
  type Relabeler,
  scanExposition,
  setLabel,
  VigilError,
} from '../../core/index.ts';
import { staleNaN, withoutEmpty } from '../store/index.ts';
import { scanCached } from './cached-scan.ts';
import type { CachedLine, ScrapeCache, ScrapedSeries } from './series-cache.ts';

/**
 * What one scrape adds to the store, computed from the body without I/O: exposed samples get
 * their target's labels (an exposed label of the same name becomes `exported_<name>` unless
 * honor_labels), go through metric_relabel_configs, are refused all together past
 * sample_limit, and series seen last time but not now get a staleness marker. Then the
 * synthetic series Prometheus adds: up, scrape_duration_seconds, scrape_samples_scraped,
 * scrape_samples_post_metric_relabeling, scrape_series_added.
 */

export interface ScrapeAppend {
  labels: Labels;
  t: number;
  v: number;
}

export interface ProcessOptions {
  targetLabels: Labels;
  honorLabels: boolean;
  honorTimestamps: boolean;
  sampleLimit: number;
  metricRelabel: Relabeler;
}

/**
 * What one scrape appends, as columns (no object per sample): `series[i]` gets `v[i]` at
 * `t[i]`; staleness markers for series that went away come last.
 */
export interface ProcessResult {
  series: ScrapedSeries[];
  t: Float64Array;
  v: Float64Array;
  scraped: number;
  postRelabel: number;
  added: number;
  duplicates: number;
  error: string | undefined;
}

export function compileMetricRelabel(configs: Parameters<typeof compileRelabel>[0]): Relabeler {
  return compileRelabel(configs);
}

/**
 * The exposed labels with the target's added. Copied by assignment, not by a spread: a spread
 * copy that is then extended gets a hidden class of its own, and the 20k series of
 * bench/alerting-ingest.ts held 28k of them, each with descriptors and an enum cache that every
 * major GC marks (heap snapshot); core/relabel.ts measured the same on its hot path.
 */
function withTargetLabels(exposed: Labels, target: Labels, honor: boolean): Labels {
  const out: Record<string, string> = {};
  for (const name in exposed) setLabel(out, name, exposed[name]!);
  for (const name in target) {
    const value = target[name]!;
    const existing = Object.hasOwn(out, name) ? out[name] : undefined;
    if (existing !== undefined && existing !== '') {
      if (honor) continue;
      let exported = `exported_${name}`;
      while (Object.hasOwn(out, exported)) exported = `exported_${exported}`;
      setLabel(out, exported, existing);
    }
    setLabel(out, name, value);
  }
  return out;
}

/**
 * Turns a scrape body into appends. A body that fails to parse, or exceeds sample_limit,
 * yields no samples from it, `error` set, and staleness markers for every previous series.
 * `cache` is the target's: it remembers what each exposed series became and which series the
 * last scrape produced.
 *
 * @example
 * const cache = new ScrapeCache();
 * const r = processScrape(body, 'prometheus', now, cache, options);
 */
export function processScrape(
  body: string | undefined,
  format: ExpositionFormat,
  t: number,
  cache: ScrapeCache,
  options: ProcessOptions,
  fetchError?: string,
): ProcessResult {
  let error = fetchError;
  let batch = new Batch();
  if (body !== undefined && error === undefined) {
    try {
      let pass = cache.begin(options);
      const resolve = (labels: Labels): CachedLine => {
        const full = withTargetLabels(labels, options.targetLabels, options.honorLabels);
        const relabeled = options.metricRelabel(full);
        if (relabeled === undefined) return { series: null, usedIn: -1 };
        return { series: cache.seriesFor(labelsKey(withoutEmpty(relabeled)), relabeled), usedIn: -1 };
      };
      const fast =
        format === 'prometheus' &&
        scanCached(body, cache, pass, resolve, (line, v, ts) => batch.add(line, pass, t, v, ts, options));
      if (!fast) {
        // Off the fast path (OpenMetrics, or a body it gave up on): core's scanner over the
        // whole body, in a new pass so that what the fast scan marked does not count.
        batch = new Batch();
        pass = cache.begin(options);
        scanExposition(
          body,
          {
            sample(_name, labels, value, timestampMs) {
              let raw = '';
              for (const k in labels) raw += `${k}\xff${labels[k]}\xfe`;
              let line = cache.lines.get(raw);
              if (line === undefined) {
                line = resolve(labels);
                cache.lines.set(raw, line);
              }
              cache.use(line, pass);
              batch.add(line, pass, t, value, timestampMs, options);
            },
          },
          { format, nameLabel: true },
        );
      }
      if (options.sampleLimit > 0 && batch.series.length > options.sampleLimit) {
        throw new VigilError(
          'limit',
          `sample limit exceeded: ${batch.series.length} > ${options.sampleLimit}`,
        );
      }
      batch.pass = pass;
    } catch (err) {
      error = (err as Error).message;
      batch = new Batch();
    }
  }
  const produced = batch.series.slice();
  const postRelabel = produced.length;
  let kept = 0;
  for (const s of cache.previous) {
    if (error === undefined && s.seenIn === batch.pass) kept++;
    else batch.stale(s, t);
  }
  if (error === undefined) cache.commit(batch.pass, produced);
  else cache.fail();
  return {
    series: batch.series,
    t: batch.t,
    v: batch.v,
    scraped: batch.scraped,
    postRelabel,
    added: postRelabel - kept,
    duplicates: batch.duplicates,
    error,
  };
}

/**
 * The appends of one scrape being built, in columns. Times and values are Float64Arrays, not
 * number arrays: V8 rewrites every NaN stored in a double-element array to its canonical NaN,
 * which would turn staleness markers into ordinary NaNs.
 */
class Batch {
  readonly series: ScrapedSeries[] = [];
  private times = new Float64Array(initialBatch);
  private values = new Float64Array(initialBatch);
  scraped = 0;
  duplicates = 0;
  pass = -1;

  get t(): Float64Array {
    return this.times.subarray(0, this.series.length);
  }

  get v(): Float64Array {
    return this.values.subarray(0, this.series.length);
  }

  add(
    line: CachedLine,
    pass: number,
    now: number,
    v: number,
    timestampMs: number | undefined,
    options: ProcessOptions,
  ): void {
    this.scraped++;
    const s = line.series;
    if (s === null) return;
    if (s.seenIn === pass) {
      this.duplicates++;
      return;
    }
    s.seenIn = pass;
    this.push(s, options.honorTimestamps && timestampMs !== undefined ? timestampMs : now, v);
  }

  stale(s: ScrapedSeries, t: number): void {
    this.push(s, t, staleNaN);
  }

  private push(s: ScrapedSeries, t: number, v: number): void {
    const i = this.series.length;
    if (i === this.times.length) {
      const times = new Float64Array(i * 2);
      times.set(this.times);
      this.times = times;
      const values = new Float64Array(i * 2);
      values.set(this.values);
      this.values = values;
    }
    this.series.push(s);
    this.times[i] = t;
    this.values[i] = v;
  }
}

/** Samples a batch starts with room for; it doubles as needed. */
const initialBatch = 256;

/** The synthetic series of one scrape, with the target's labels. */
export function reportSeries(
  targetLabels: Labels,
  t: number,
  r: ProcessResult,
  durationSeconds: number,
): ScrapeAppend[] {
  const series = (name: string, v: number): ScrapeAppend => ({
    labels: { ...targetLabels, [metricNameLabel]: name },
    t,
    v,
  });
  return [
    series('up', r.error === undefined ? 1 : 0),
    series('scrape_duration_seconds', durationSeconds),
    series('scrape_samples_scraped', r.scraped),
    series('scrape_samples_post_metric_relabeling', r.postRelabel),
    series('scrape_series_added', r.added),
  ];
}
