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
  /** The job's interval and timeout in effect, as Prometheus' targets API reports them. */
  scrapeIntervalMs: number;
  scrapeTimeoutMs: number;
}

export interface ScrapeManagerOptions {
  clock?: Clock;
  /** Called when an append is refused (series limit): counted, the scrape goes on. */
  onAppendError?: (err: unknown) => void;
}

class TargetLoop {
  private timer: TimerHandle | undefined;
  /** Per target; emptied by ScrapeCache.begin if relabeling or the target labels change. */
  private readonly cache: ScrapeCache;
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
    replaced?: TargetLoop,
  ) {
    this.cache = replaced ? continuedCache(replaced.cache) : new ScrapeCache();
    this.status = {
      target,
      health: replaced?.status.health ?? 'unknown',
      lastError: replaced?.status.lastError ?? '',
      lastScrape: replaced?.status.lastScrape ?? 0,
      lastScrapeDurationSeconds: replaced?.status.lastScrapeDurationSeconds ?? 0,
      scrapeUrl: target.url,
      scrapeIntervalMs: job.intervalMs,
      scrapeTimeoutMs: job.timeoutMs,
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

/**
 * The cache of a loop restarted by a reload, as Prometheus' scrape pool reload hands over its
 * scrape cache: the last scrape's series stay the staleness reference, so a series the new
 * job config no longer produces is ended at the next scrape, and one it still produces
 * continues as the same series (same store reference, no marker). Lines are not carried:
 * relabeling may have changed what each one becomes.
 */
function continuedCache(previous: ScrapeCache): ScrapeCache {
  const cache = new ScrapeCache();
  for (const s of previous.previous) {
    // Pass numbers restart with the new cache: an old one must not count as seen.
    s.seenIn = -1;
    cache.series.set(s.key, s);
  }
  cache.previous = previous.previous;
  return cache;
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

/** What `ScrapeManager.applyJobs` did to the running loops, by target. */
export interface ApplyJobsReport {
  started: number;
  /** Targets whose job config changed: restarted with it, without staleness markers. */
  restarted: number;
  /** Targets gone from the config or from discovery: stopped with staleness markers. */
  stopped: number;
  unchanged: number;
}

/**
 * What a target's loop depends on in its job: everything except the discovery sections,
 * whose effect is already in the target's key (its URL and labels).
 */
function jobFingerprint(job: ScrapeJob): string {
  const { static_configs: _, file_sd_configs: __, ...config } = job.config;
  return JSON.stringify([job.name, job.intervalMs, job.timeoutMs, job.bodyLimitBytes, config]);
}

export class ScrapeManager {
  private readonly loops = new Map<string, TargetLoop>();
  private jobs: readonly ScrapeJob[];
  private readonly fingerprints = new WeakMap<ScrapeJob, string>();
  private started = false;
  private readonly fileGroups = new Map<string, TargetGroup[]>();
  private refreshTimer: TimerHandle | undefined;
  private readonly clock: Clock;
  private readonly appender: SeriesAppender;
  /** Problems reading file_sd files, by file: shown on /api/v1/targets and logged by the shell. */
  readonly discoveryErrors = new Map<string, string>();
  appendErrors = 0;

  constructor(
    jobs: readonly ScrapeJob[],
    append: Appender | SeriesAppender,
    private readonly options: ScrapeManagerOptions = {},
  ) {
    this.jobs = jobs;
    this.clock = options.clock ?? systemClock;
    this.appender = asSeriesAppender(append);
  }

  /** Discovers targets and starts their loops; re-reads file_sd on the shortest refresh interval. */
  start(): void {
    this.started = true;
    this.sync();
    this.scheduleRefresh();
  }

  /** The file_sd refresh timer, on the shortest refresh interval of the current jobs. */
  private scheduleRefresh(): void {
    this.refreshTimer?.cancel();
    this.refreshTimer = undefined;
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

  /**
   * Swaps the jobs (a config reload), like Prometheus' scrape pool reload: a target whose job
   * config changed restarts with the new job, stopped without staleness markers so that its
   * continuing series have no gap; a target that is gone is stopped with them; the others go
   * on untouched. Discovery is re-read and the file_sd refresh follows the new jobs.
   *
   * @example
   * scrape.applyJobs(resolveJobs(next.global, next.scrape_configs));
   */
  applyJobs(jobs: readonly ScrapeJob[]): ApplyJobsReport {
    this.jobs = jobs;
    const report = this.sync();
    if (this.started) this.scheduleRefresh();
    return report;
  }

  private fingerprintOf(job: ScrapeJob): string {
    let fp = this.fingerprints.get(job);
    if (fp === undefined) {
      fp = jobFingerprint(job);
      this.fingerprints.set(job, fp);
    }
    return fp;
  }

  /** Re-reads discovery and starts / stops loops so that they match the targets. */
  sync(): ApplyJobsReport {
    const report: ApplyJobsReport = { started: 0, restarted: 0, stopped: 0, unchanged: 0 };
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
        report.stopped++;
      }
    }
    for (const [key, { job, target }] of wanted) {
      const running = this.loops.get(key);
      if (running && (running.job === job || this.fingerprintOf(running.job) === this.fingerprintOf(job))) {
        report.unchanged++;
        continue;
      }
      running?.stop(false);
      const loop = new TargetLoop(
        job,
        target,
        this.appender,
        this.clock,
        (err) => {
          this.appendErrors++;
          this.options.onAppendError?.(err);
        },
        running,
      );
      this.loops.set(key, loop);
      if (running) report.restarted++;
      else report.started++;
      loop.start();
    }
    return report;
  }

  /** Scrapes every target once now (tests, and `vigil server` start-up). */
  async scrapeAll(): Promise<void> {
    await Promise.all([...this.loops.values()].map((l) => l.scrapeOnce()));
  }

  targets(): TargetStatus[] {
    return [...this.loops.values()].map((l) => l.status);
  }

  stop(): void {
    this.started = false;
    this.refreshTimer?.cancel();
    for (const loop of this.loops.values()) loop.stop(false);
    this.loops.clear();
  }
}
