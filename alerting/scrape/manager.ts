import { Agent, get as httpGet } from 'node:http';
import {
  type Clock,
  type ExpositionFormat,
  formatFromContentType,
  type Labels,
  scrapeAcceptHeader,
  systemClock,
  type TimerHandle,
  VigilError,
} from '../../core/index.ts';
import { staleNaN } from '../store/index.ts';
import type { ScrapeJob } from './config.ts';
import { expandPattern, readFileSd } from './file-sd.ts';
import { compileMetricRelabel, type ProcessResult, processScrape, reportSeries } from './process.ts';
import { ScrapeCache } from './series-cache.ts';
import { buildTargets, type Target, type TargetGroup } from './targets.ts';

/**
 * Runs one scrape loop per target: fetch with the job's timeout and body limit, process, append.
 * A target that fails (refused, timeout, garbage, too large) reports up=0 and the loop goes on.
 * Targets come from static_configs and file_sd files re-read every refresh interval; a target
 * that disappears gets staleness markers for all its series.
 */

/** Where samples go; `key` is the store key of `labels` when the scraper already knows it. */
export type Appender = (labels: Labels, t: number, v: number, key?: string) => void;

/**
 * Where samples go, by series reference, after Prometheus' storage.Appender: `ref` is what an
 * earlier call returned for the same series (0 when unknown), and lets the store skip finding
 * the series by its labels; `labels` and `key` are used when `ref` is 0 or no longer valid.
 * Returns the series' reference. The scraper keeps it in its cache, so a repeated series is
 * appended with no label work at all (bench/alerting-ingest.ts: the store's series lookup by
 * key was a sixth of the CPU profile).
 */
export interface SeriesAppender {
  append(ref: number, labels: Labels, t: number, v: number, key?: string): number;
}

function asSeriesAppender(append: Appender | SeriesAppender): SeriesAppender {
  if (typeof append !== 'function') return append;
  return {
    append(_ref, labels, t, v, key) {
      append(labels, t, v, key);
      return 0;
    },
  };
}

export interface TargetStatus {
  target: Target;
  health: 'unknown' | 'up' | 'down';
  lastError: string;
  lastScrape: number;
  lastScrapeDurationSeconds: number;
  scrapeUrl: string;
}

export interface ScrapeManagerOptions {
  clock?: Clock;
  /** Called when an append is refused (series limit): counted, the scrape goes on. */
  onAppendError?: (err: unknown) => void;
}

class TargetLoop {
  private timer: TimerHandle | undefined;
  /** Per target; emptied by ScrapeCache.begin if relabeling or the target labels change. */
  private readonly cache = new ScrapeCache();
  /** One connection per target, kept between scrapes as Prometheus does. */
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  private running = false;
  private stopped = false;
  readonly status: TargetStatus;
  private readonly relabel;

  constructor(
    readonly job: ScrapeJob,
    readonly target: Target,
    private readonly appender: SeriesAppender,
    private readonly clock: Clock,
    private readonly onAppendError: (err: unknown) => void,
  ) {
    this.status = {
      target,
      health: 'unknown',
      lastError: '',
      lastScrape: 0,
      lastScrapeDurationSeconds: 0,
      scrapeUrl: target.url,
    };
    this.relabel = compileMetricRelabel(job.config.metric_relabel_configs);
  }

  start(): void {
    // Spread targets over the interval, as Prometheus does, by a stable offset per target.
    let hash = 0;
    for (const c of this.target.key) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
    const now = this.clock.now();
    const offset = hash % this.job.intervalMs;
    const next =
      Math.floor((now - offset) / this.job.intervalMs) * this.job.intervalMs + offset + this.job.intervalMs;
    this.timer = this.clock.setTimeout(() => this.tick(), next - now);
  }

  private tick(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => this.tick(), this.job.intervalMs);
    // A scrape still running when the next is due is skipped, never stacked.
    if (this.running) return;
    this.running = true;
    void this.scrapeOnce().finally(() => {
      this.running = false;
    });
  }

  async scrapeOnce(): Promise<void> {
    const t = this.clock.now();
    const started = performance.now();
    let body: string | undefined;
    let error: string | undefined;
    let contentType: string | null = null;
    try {
      const fetched = await fetchLimited(
        this.target.url,
        this.job.timeoutMs,
        this.job.bodyLimitBytes,
        this.agent,
      );
      body = fetched.body;
      contentType = fetched.contentType;
    } catch (err) {
      error = (err as Error).message;
    }
    if (this.stopped) return;
    const duration = (performance.now() - started) / 1000;
    const result = processScrape(
      body,
      scrapeFormat(contentType),
      t,
      this.cache,
      {
        targetLabels: this.target.labels,
        honorLabels: this.job.config.honor_labels,
        honorTimestamps: this.job.config.honor_timestamps,
        sampleLimit: this.job.config.sample_limit,
        metricRelabel: this.relabel,
      },
      error,
    );
    this.write(result);
    for (const r of reportSeries(this.target.labels, t, result, duration))
      this.appendOne(0, r.labels, r.t, r.v);
    this.status.health = result.error === undefined ? 'up' : 'down';
    this.status.lastError = result.error ?? '';
    this.status.lastScrape = t;
    this.status.lastScrapeDurationSeconds = duration;
  }

  private write(result: Pick<ProcessResult, 'series' | 't' | 'v'>): void {
    const { series, t, v } = result;
    for (let i = 0; i < series.length; i++) {
      const s = series[i]!;
      s.ref = this.appendOne(s.ref, s.labels, t[i]!, v[i]!, s.key);
    }
  }

  /** Appends one sample; a refused one (series limit) is counted and the scrape goes on. */
  private appendOne(ref: number, labels: Labels, t: number, v: number, key?: string): number {
    try {
      return this.appender.append(ref, labels, t, v, key);
    } catch (err) {
      this.onAppendError(err);
      return 0;
    }
  }

  /** Stops the loop; `markStale` ends every series of the target (it went away). */
  stop(markStale: boolean): void {
    this.stopped = true;
    this.timer?.cancel();
    this.agent.destroy();
    if (!markStale) return;
    const t = this.clock.now();
    const previous = this.cache.previous;
    // Float64Arrays: a number array would turn the staleness NaN into an ordinary NaN.
    this.write({
      series: previous,
      t: new Float64Array(previous.length).fill(t),
      v: new Float64Array(previous.length).fill(staleNaN),
    });
    for (const name of [
      'up',
      'scrape_duration_seconds',
      'scrape_samples_scraped',
      'scrape_samples_post_metric_relabeling',
      'scrape_series_added',
    ]) {
      this.appendOne(0, { ...this.target.labels, __name__: name }, t, staleNaN);
    }
  }
}

/** The exposition format of a response; like Prometheus 2.x, anything unknown is read as text. */
function scrapeFormat(contentType: string | null): ExpositionFormat {
  try {
    return formatFromContentType(contentType ?? 'text/plain');
  } catch {
    return 'prometheus';
  }
}

/**
 * Fetches a URL with a deadline, refusing bodies larger than `limit` bytes while reading.
 * Uses node:http rather than fetch(): its web streams cost more CPU than parsing the body
 * (bench/alerting-ingest.ts).
 */
export function fetchLimited(
  url: string,
  timeoutMs: number,
  limit: number,
  agent?: Agent,
): Promise<{ body: string; contentType: string | null }> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(err);
    };
    const req = httpGet(
      url,
      { headers: { accept: scrapeAcceptHeader }, ...(agent ? { agent } : {}) },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          fail(new VigilError('unavailable', `server returned HTTP status ${res.statusCode}`));
          return;
        }
        const declared = Number(res.headers['content-length'] ?? '0');
        if (declared > limit) {
          fail(new VigilError('too_large', `body size limit exceeded (${declared} > ${limit} bytes)`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > limit)
            fail(new VigilError('too_large', `body size limit exceeded (more than ${limit} bytes)`));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({
            body: Buffer.concat(chunks).toString('utf8'),
            contentType: res.headers['content-type'] ?? null,
          });
        });
        res.on('error', (err) => fail(err));
      },
    );
    req.on('error', (err) => fail(err));
    const timer = setTimeout(
      () =>
        fail(new VigilError('timeout', `context deadline exceeded (scrape_timeout ${timeoutMs / 1000}s)`)),
      timeoutMs,
    );
  });
}

export class ScrapeManager {
  private readonly loops = new Map<string, TargetLoop>();
  private readonly fileGroups = new Map<string, TargetGroup[]>();
  private refreshTimer: TimerHandle | undefined;
  private readonly clock: Clock;
  private readonly appender: SeriesAppender;
  /** Problems reading file_sd files, by file: shown on /api/v1/targets and logged by the shell. */
  readonly discoveryErrors = new Map<string, string>();
  appendErrors = 0;

  constructor(
    private readonly jobs: readonly ScrapeJob[],
    append: Appender | SeriesAppender,
    private readonly options: ScrapeManagerOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.appender = asSeriesAppender(append);
  }

  /** Discovers targets and starts their loops; re-reads file_sd on the shortest refresh interval. */
  start(): void {
    this.sync();
    const refresh = Math.min(
      ...this.jobs.flatMap((j) => j.config.file_sd_configs.map((f) => f.refresh_interval ?? 5 * 60_000)),
      Number.POSITIVE_INFINITY,
    );
    if (Number.isFinite(refresh)) {
      const again = () => {
        this.sync();
        this.refreshTimer = this.clock.setTimeout(again, refresh);
      };
      this.refreshTimer = this.clock.setTimeout(again, refresh);
    }
  }

  /** Re-reads discovery and starts / stops loops so that they match the targets. */
  sync(): void {
    const wanted = new Map<string, { job: ScrapeJob; target: Target }>();
    for (const job of this.jobs) {
      const groups: TargetGroup[] = job.config.static_configs.map((s) => ({
        targets: s.targets,
        labels: s.labels ?? {},
        source: 'static',
      }));
      for (const sd of job.config.file_sd_configs) {
        for (const pattern of sd.files) {
          for (const file of expandPattern(pattern)) {
            try {
              this.fileGroups.set(file, readFileSd(file));
              this.discoveryErrors.delete(file);
            } catch (err) {
              this.discoveryErrors.set(file, (err as Error).message);
            }
            groups.push(...(this.fileGroups.get(file) ?? []));
          }
        }
      }
      for (const target of buildTargets(job, groups)) wanted.set(target.key, { job, target });
    }
    for (const [key, loop] of this.loops) {
      if (!wanted.has(key)) {
        loop.stop(true);
        this.loops.delete(key);
      }
    }
    for (const [key, { job, target }] of wanted) {
      if (this.loops.has(key)) continue;
      const loop = new TargetLoop(job, target, this.appender, this.clock, (err) => {
        this.appendErrors++;
        this.options.onAppendError?.(err);
      });
      this.loops.set(key, loop);
      loop.start();
    }
  }

  /** Scrapes every target once now (tests, and `vigil server` start-up). */
  async scrapeAll(): Promise<void> {
    await Promise.all([...this.loops.values()].map((l) => l.scrapeOnce()));
  }

  targets(): TargetStatus[] {
    return [...this.loops.values()].map((l) => l.status);
  }

  stop(): void {
    this.refreshTimer?.cancel();
    for (const loop of this.loops.values()) loop.stop(false);
    this.loops.clear();
  }
}
