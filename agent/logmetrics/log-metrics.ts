import type { MetricFamily } from '../../core/index.ts';
import type { LogRecord } from '../record.ts';
import { severityRange } from '../severity.ts';
import { type CompiledMapping, compileMapping, type MappingRule } from './mapping.ts';
import { routeOf, statusClass } from './route.ts';
import { routeHash } from './route-hash.ts';
import { MetricVec } from './store.ts';

/**
 * Metrics derived from logs, what mtail does, fed with the normalized records of every
 * source:
 *
 * - `vigil_agent_log_records_total{source,severity}`
 * - from access logs: `vigil_agent_http_requests_total{source,method,status_class,route}` and
 *   `vigil_agent_http_request_duration_seconds{source,method,status_class}` (when the log has
 *   a request time)
 * - user mappings from config (counters, gauges, histograms).
 *
 * Series live in MetricVec (store.ts), not prom-client: an increment is one map lookup
 * (measured in bench/agent-logmetrics.ts). `families()` hands them to /metrics.
 */

export interface LogMetricsOptions {
  mappings?: MappingRule[];
  /** Routes beyond this many distinct values count as route="other": a scanner must not blow up the series. */
  maxRoutes?: number;
  durationBuckets?: number[];
}

/** Default duration buckets (seconds): Prometheus' defaults, which fit web request times. */
export const defaultDurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class LogMetrics {
  private readonly records: MetricVec;
  private readonly requests: MetricVec;
  private readonly durations: MetricVec;
  /** Route by routeHash of the URL: ids in paths make most URLs unique, their routes are few. */
  private readonly routes = new Map<number, string>();
  /** Series of vigil_agent_log_records_total per source, indexed by severity number. */
  private readonly severitySeries = new Map<string, Array<ReturnType<MetricVec['get']> | undefined>>();
  private readonly maxRoutes: number;
  private readonly mappings: Array<{ compiled: CompiledMapping; vec: MetricVec }>;

  constructor(options: LogMetricsOptions = {}) {
    this.maxRoutes = options.maxRoutes ?? 500;
    this.records = new MetricVec(
      'vigil_agent_log_records_total',
      'counter',
      'Log records normalized, by source and severity range.',
      ['source', 'severity'],
    );
    this.requests = new MetricVec(
      'vigil_agent_http_requests_total',
      'counter',
      'HTTP requests seen in access logs, by method, status class and route.',
      ['source', 'method', 'status_class', 'route'],
    );
    this.durations = new MetricVec(
      'vigil_agent_http_request_duration_seconds',
      'histogram',
      'HTTP request durations from access logs that record them.',
      ['source', 'method', 'status_class'],
      options.durationBuckets ?? defaultDurationBuckets,
    );
    this.mappings = (options.mappings ?? []).map((rule) => {
      const compiled = compileMapping(rule);
      const help = rule.help ?? `Derived from logs by vigil agent (${rule.name}).`;
      const vec = new MetricVec(
        rule.name,
        rule.type,
        help,
        compiled.labelNames,
        rule.type === 'histogram' ? (rule.buckets ?? defaultDurationBuckets) : [],
      );
      return { compiled, vec };
    });
  }

  /** Counts a batch of records of one source. */
  observe(records: readonly LogRecord[], source: string): void {
    let bySeverity = this.severitySeries.get(source);
    if (!bySeverity) {
      bySeverity = [];
      this.severitySeries.set(source, bySeverity);
    }
    for (const r of records) {
      const n = r.severityNumber;
      let series = bySeverity[n];
      if (series === undefined) {
        const sev = severityRange(n).toLowerCase();
        series = this.records.get(`${source}\u0000${sev}`, [source, sev]);
        bySeverity[n] = series;
      }
      this.records.inc(series);
      const method = r.attributes['http.request.method'];
      if (typeof method === 'string') this.observeRequest(r, source, method);
      for (const m of this.mappings) this.observeMapping(m.compiled, m.vec, r, source);
    }
  }

  /** The derived metrics, for /metrics. */
  families(): MetricFamily[] {
    return [this.records, this.requests, this.durations, ...this.mappings.map((m) => m.vec)]
      .filter((v) => v.size > 0)
      .map((v) => v.family());
  }

  private routeFor(url: unknown): string {
    if (typeof url !== 'string') return 'other';
    if (url.charCodeAt(0) !== 47 /* / */) return routeOf(url);
    const h = routeHash(url, 0, url.length);
    let route = this.routes.get(h);
    if (route !== undefined) return route;
    route = routeOf(url);
    if (this.routes.size < this.maxRoutes * 20) this.routes.set(h, route);
    return route;
  }

  private readonly knownRoutes = new Set<string>();

  /** Bucket bounds of the request-duration histogram. */
  get durationBounds(): readonly number[] {
    return this.durations.bucketBounds;
  }

  /** The route itself while fewer than maxRoutes are known, else "other". */
  admitRoute(route: string): string {
    if (this.knownRoutes.has(route)) return route;
    if (this.knownRoutes.size >= this.maxRoutes) return 'other';
    this.knownRoutes.add(route);
    return route;
  }

  /** Adds `n` requests (the fast path counts in bulk). */
  countRequests(source: string, method: string, cls: string, route: string, n: number): void {
    this.requests.inc(
      this.requests.get(`${source}\u0000${method}\u0000${cls}\u0000${route}`, [source, method, cls, route]),
      n,
    );
    const sev = cls === '5xx' ? 'error' : cls === '4xx' ? 'warn' : cls === 'unknown' ? 'unspecified' : 'info';
    this.records.inc(this.records.get(`${source}\u0000${sev}`, [source, sev]), n);
  }

  /** Adds per-bucket (non-cumulative) duration counts gathered elsewhere. */
  addDurations(
    source: string,
    method: string,
    cls: string,
    buckets: ArrayLike<number>,
    sum: number,
    count: number,
  ): void {
    this.durations.merge(
      this.durations.get(`${source}\u0000${method}\u0000${cls}`, [source, method, cls]),
      buckets,
      sum,
      count,
    );
  }

  private observeRequest(r: LogRecord, source: string, method: string): void {
    const cls = statusClass(r.attributes['http.response.status_code']);
    const route = this.admitRoute(this.routeFor(r.attributes['url.original']));
    const key = `${source}\u0000${method}\u0000${cls}\u0000${route}`;
    this.requests.inc(this.requests.get(key, [source, method, cls, route]));
    const seconds = r.attributes['http.server.request.duration'];
    if (typeof seconds === 'number') {
      this.durations.observe(
        this.durations.get(`${source}\u0000${method}\u0000${cls}`, [source, method, cls]),
        seconds,
      );
    }
  }

  private observeMapping(m: CompiledMapping, vec: MetricVec, r: LogRecord, source: string): void {
    const hit = m.apply(r, source);
    if (!hit) return;
    const s = vec.get(hit.labels.join('\u0000'), hit.labels);
    const type = m.rule.type;
    if (type === 'counter') {
      if (hit.value >= 0) vec.inc(s, hit.value);
    } else if (type === 'gauge') vec.set(s, hit.value);
    else vec.observe(s, hit.value);
  }
}
