import {
  compileRelabel,
  type ExpositionFormat,
  type Labels,
  labelsKey,
  metricNameLabel,
  type Relabeler,
  scanExposition,
  VigilError,
} from '../../core/index.ts';
import { normalizeLabels, staleNaN } from '../store/index.ts';

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
  /** The store key of `labels` (labelsKey of the normalized set), when already known. */
  key?: string;
}

/**
 * What an exposed series became last time: its final labels (null when relabeling dropped it)
 * and store key. Keyed by the exposed name and labels in exposition order, which a target
 * repeats scrape after scrape, so the work per sample is one string and one map lookup.
 */
export type SeriesCache = Map<string, { labels: Labels; key: string } | null>;

export interface ProcessOptions {
  targetLabels: Labels;
  honorLabels: boolean;
  honorTimestamps: boolean;
  sampleLimit: number;
  metricRelabel: Relabeler;
  /** Kept by the caller across scrapes of one target; entries not used in a scrape are dropped. */
  cache?: SeriesCache;
}

export interface ProcessResult {
  appends: ScrapeAppend[];
  /** Keys of the series this scrape produced: the next scrape's staleness reference. */
  seen: Map<string, Labels>;
  scraped: number;
  postRelabel: number;
  added: number;
  duplicates: number;
  error: string | undefined;
}

export function compileMetricRelabel(configs: Parameters<typeof compileRelabel>[0]): Relabeler {
  return compileRelabel(configs);
}

function withTargetLabels(exposed: Labels, target: Labels, honor: boolean): Labels {
  const out: Record<string, string> = { ...exposed };
  for (const [name, value] of Object.entries(target)) {
    const existing = out[name];
    if (existing !== undefined && existing !== '') {
      if (honor) continue;
      let exported = `exported_${name}`;
      while (out[exported] !== undefined) exported = `exported_${exported}`;
      out[exported] = existing;
    }
    out[name] = value;
  }
  return out;
}

/**
 * Turns a scrape body into appends. A body that fails to parse, or exceeds sample_limit,
 * yields no samples from it, `error` set, and staleness markers for every previous series.
 *
 * @example
 * const r = processScrape(body, 'prometheus', now, previous, options);
 */
export function processScrape(
  body: string | undefined,
  format: ExpositionFormat,
  t: number,
  previous: ReadonlyMap<string, Labels>,
  options: ProcessOptions,
  fetchError?: string,
): ProcessResult {
  let appends: ScrapeAppend[] = [];
  const seen = new Map<string, Labels>();
  let scraped = 0;
  let duplicates = 0;
  let error = fetchError;
  const cache: SeriesCache = options.cache ?? new Map();
  const used: SeriesCache = new Map();
  if (body !== undefined && error === undefined) {
    try {
      scanExposition(
        body,
        {
          sample(_name, labels, value, timestampMs) {
            scraped++;
            let raw = '';
            for (const k in labels) raw += `${k}\xff${labels[k]}\xfe`;
            let entry = cache.get(raw);
            if (entry === undefined) {
              const full = withTargetLabels(labels, options.targetLabels, options.honorLabels);
              const relabeled = options.metricRelabel(full);
              entry = relabeled ? { labels: relabeled, key: labelsKey(normalizeLabels(relabeled)) } : null;
            }
            used.set(raw, entry);
            if (entry === null) return;
            if (seen.has(entry.key)) {
              duplicates++;
              return;
            }
            seen.set(entry.key, entry.labels);
            appends.push({
              labels: entry.labels,
              t: options.honorTimestamps && timestampMs !== undefined ? timestampMs : t,
              v: value,
              key: entry.key,
            });
          },
        },
        { format, nameLabel: true },
      );
      if (options.sampleLimit > 0 && appends.length > options.sampleLimit) {
        throw new VigilError('limit', `sample limit exceeded: ${appends.length} > ${options.sampleLimit}`);
      }
    } catch (err) {
      error = (err as Error).message;
      appends = [];
      seen.clear();
    }
  }
  if (options.cache && error === undefined) {
    options.cache.clear();
    for (const [k, e] of used) options.cache.set(k, e);
  }
  const postRelabel = appends.length;
  let added = 0;
  for (const key of seen.keys()) if (!previous.has(key)) added++;
  for (const [key, labels] of previous) if (!seen.has(key)) appends.push({ labels, t, v: staleNaN, key });
  return { appends, seen, scraped, postRelabel, added, duplicates, error };
}

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
