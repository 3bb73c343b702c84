import type { LogMetrics } from './log-metrics.ts';
import { routeOf } from './route.ts';
import { routeHash } from './route-hash.ts';

/**
 * The access-log-to-metrics job without records, for sources configured `metricsOnly`: the
 * mtail use case, where nobody reads the lines afterwards. It scans a chunk of complete lines
 * once, takes method, path, status and the trailing request time by position, counts into
 * typed arrays, and hands the totals to LogMetrics once per chunk. No object per line.
 * bench/agent-logmetrics.ts measures it next to mtail.
 *
 * A line that does not look like an access log is counted as unparsed (it is not kept: this
 * mode keeps no records, which is why it must be asked for).
 */

const methods = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'PATCH', 'OPTIONS', 'other'] as const;
const classes = ['1xx', '2xx', '3xx', '4xx', '5xx', 'unknown'] as const;
const cells = methods.length * classes.length;

interface RouteEntry {
  route: string;
  counts: Float64Array;
  touched: boolean;
}

function methodIndex(text: string, start: number, end: number): number {
  const len = end - start;
  const c = text.charCodeAt(start);
  if (len === 3 && c === 71 && text.startsWith('GET', start)) return 0;
  if (len === 4 && c === 80 && text.startsWith('POST', start)) return 1;
  if (len === 3 && c === 80 && text.startsWith('PUT', start)) return 2;
  if (len === 6 && c === 68 && text.startsWith('DELETE', start)) return 3;
  if (len === 4 && c === 72 && text.startsWith('HEAD', start)) return 4;
  if (len === 5 && c === 80 && text.startsWith('PATCH', start)) return 5;
  if (len === 7 && c === 79 && text.startsWith('OPTIONS', start)) return 6;
  return 7;
}

/** A decimal like 0.250 or 12 at [start, end), or NaN. */
function decimal(text: string, start: number, end: number): number {
  let v = 0;
  let scale = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 && scale === 0) scale = 1;
    else if (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      if (scale > 0) scale *= 10;
    } else return Number.NaN;
  }
  if (end === start) return Number.NaN;
  return scale > 0 ? v / scale : v;
}

export class AccessLogFastPath {
  /** Lines seen and lines that were not access-log lines. */
  readonly stats = { lines: 0, unparsed: 0 };
  private readonly byHash = new Map<number, RouteEntry>();
  private readonly byRoute = new Map<string, RouteEntry>();
  private readonly durations: Float64Array;
  private readonly durationSums = new Float64Array(cells);
  private readonly durationCounts = new Float64Array(cells);
  private readonly bounds: readonly number[];
  private readonly maxUrls: number;

  constructor(
    private readonly metrics: LogMetrics,
    private readonly source: string,
    options: { maxUrls?: number } = {},
  ) {
    this.bounds = metrics.durationBounds;
    this.durations = new Float64Array(cells * this.bounds.length);
    this.maxUrls = options.maxUrls ?? 20_000;
  }

  /** Counts every complete line of `text` (which must end with a newline). */
  pushText(text: string): void {
    const n = text.length;
    let start = 0;
    while (start < n) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = n;
      this.line(text, start, end);
      start = end + 1;
    }
  }

  private line(text: string, start: number, end: number): void {
    this.stats.lines++;
    if (end > start && text.charCodeAt(end - 1) === 13 /* \r */) end--;
    // `... [time] "METHOD PATH PROTO" STATUS BYTES ...`
    const bracket = text.indexOf('] "', start);
    if (bracket < 0 || bracket > end) {
      this.stats.unparsed++;
      return;
    }
    const m0 = bracket + 3;
    const sp1 = text.indexOf(' ', m0);
    const q = text.indexOf('"', m0);
    if (sp1 < 0 || q < 0 || q > end || sp1 > q) {
      this.stats.unparsed++;
      return;
    }
    let sp2 = text.indexOf(' ', sp1 + 1);
    if (sp2 < 0 || sp2 > q) sp2 = q;
    const s0 = q + 2;
    const d0 = text.charCodeAt(s0) - 48;
    const cls = d0 >= 1 && d0 <= 5 && text.charCodeAt(s0 + 3) === 32 ? d0 - 1 : 5;
    const cell = methodIndex(text, m0, sp1) * classes.length + cls;
    const entry = this.entryFor(text, sp1 + 1, sp2);
    entry.counts[cell]!++;
    entry.touched = true;
    // $request_time is the last field when the log format has it.
    const lastSpace = text.lastIndexOf(' ', end - 1);
    if (lastSpace > s0) {
      const seconds = decimal(text, lastSpace + 1, end);
      if (!Number.isNaN(seconds)) {
        const bounds = this.bounds;
        let b = 0;
        while (b < bounds.length && seconds > bounds[b]!) b++;
        if (b < bounds.length) this.durations[cell * bounds.length + b]!++;
        this.durationSums[cell]! += seconds;
        this.durationCounts[cell]!++;
      }
    }
  }

  private entryFor(text: string, start: number, end: number): RouteEntry {
    if (text.charCodeAt(start) !== 47 /* / */) return this.entryForRoute(routeOf(text.slice(start, end)));
    const h = routeHash(text, start, end);
    let e = this.byHash.get(h);
    if (e !== undefined) return e;
    e = this.entryForRoute(routeOf(text.slice(start, end)));
    if (this.byHash.size < this.maxUrls) this.byHash.set(h, e);
    return e;
  }

  private entryForRoute(route: string): RouteEntry {
    const admitted = this.metrics.admitRoute(route);
    let e = this.byRoute.get(admitted);
    if (e === undefined) {
      e = { route: admitted, counts: new Float64Array(cells), touched: false };
      this.byRoute.set(admitted, e);
    }
    return e;
  }

  /** Hands the counts gathered since the last flush to LogMetrics. */
  flush(): void {
    const src = this.source;
    for (const e of this.byRoute.values()) {
      if (!e.touched) continue;
      e.touched = false;
      for (let cell = 0; cell < cells; cell++) {
        const n = e.counts[cell]!;
        if (n === 0) continue;
        e.counts[cell] = 0;
        const cls = cell % classes.length;
        this.metrics.countRequests(src, methods[(cell - cls) / classes.length]!, classes[cls]!, e.route, n);
      }
    }
    const nb = this.bounds.length;
    for (let cell = 0; cell < cells; cell++) {
      const count = this.durationCounts[cell]!;
      if (count === 0) continue;
      const cls = cell % classes.length;
      this.metrics.addDurations(
        src,
        methods[(cell - cls) / classes.length]!,
        classes[cls]!,
        this.durations.subarray(cell * nb, cell * nb + nb),
        this.durationSums[cell]!,
        count,
      );
      this.durations.fill(0, cell * nb, cell * nb + nb);
      this.durationSums[cell] = 0;
      this.durationCounts[cell] = 0;
    }
  }
}
