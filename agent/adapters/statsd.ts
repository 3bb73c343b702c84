import { createSocket, type Socket } from 'node:dgram';
import {
  isValidLabelName,
  labelsKey,
  type MetricFamily,
  sanitizeMetricName,
  VigilError,
} from '../../core/index.ts';
import type { Adapter } from './adapter.ts';

/**
 * A StatsD listener in the manner of Prometheus' statsd_exporter: UDP packets of
 * `name:value|type[|@rate][|#tag:value,...]` lines (DogStatsD tags and InfluxDB-style
 * `name,tag=value` tags included) become Prometheus series. Mapping rules turn dotted
 * names into metric names and labels with globs (`myapp.*.requests` -> `myapp_requests_total`
 * with `service="$1"`); unmapped names have their dots replaced.
 *
 * Counters add (scaled by the sample rate), gauges set or move by `+n`/`-n`, timers,
 * histograms and distributions (milliseconds for `ms`) feed histograms in seconds. Sets are
 * not supported and counted as bad lines. The number of series is bounded; new series past
 * the bound are counted as dropped.
 */

export interface StatsdMapping {
  /** Dotted glob: `*` matches one component. */
  match: string;
  name: string;
  labels?: Record<string, string>;
  /** Timer observations as a histogram with these buckets (seconds). */
  buckets?: number[];
}

export interface StatsdLine {
  name: string;
  value: number;
  type: 'c' | 'g' | 'ms' | 'h' | 'd';
  /** For gauges: `+n` / `-n` adjust instead of set. */
  relative: boolean;
  rate: number;
  tags: Record<string, string>;
}

/**
 * Parses one StatsD line; undefined when malformed.
 *
 * @example
 * parseStatsdLine('api.hits:3|c|@0.5|#env:prod'); // { name: 'api.hits', value: 3, type: 'c', rate: 0.5, tags: { env: 'prod' }, relative: false }
 */
export function parseStatsdLine(line: string): StatsdLine | undefined {
  const colon = line.indexOf(':');
  if (colon <= 0) return undefined;
  let name = line.slice(0, colon);
  const parts = line.slice(colon + 1).split('|');
  if (parts.length < 2) return undefined;
  const raw = parts[0]!;
  const type = parts[1] as StatsdLine['type'];
  if (!['c', 'g', 'ms', 'h', 'd'].includes(type)) return undefined;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw)) return undefined;
  const value = Number(raw);
  const tags: Record<string, string> = {};
  let rate = 1;
  // InfluxDB style: name,tag=value,tag2=value2
  const comma = name.indexOf(',');
  if (comma >= 0) {
    for (const kv of name.slice(comma + 1).split(',')) {
      const eq = kv.indexOf('=');
      if (eq <= 0) return undefined;
      tags[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    name = name.slice(0, comma);
  }
  for (const p of parts.slice(2)) {
    if (p.startsWith('@')) {
      rate = Number(p.slice(1));
      if (!(rate > 0 && rate <= 1)) return undefined;
    } else if (p.startsWith('#')) {
      for (const kv of p.slice(1).split(',')) {
        if (!kv) continue;
        const c = kv.indexOf(':');
        if (c <= 0) tags[kv] = '';
        else tags[kv.slice(0, c)] = kv.slice(c + 1);
      }
    }
  }
  if (!name || !Number.isFinite(value)) return undefined;
  return { name, value, type, relative: type === 'g' && (raw[0] === '+' || raw[0] === '-'), rate, tags };
}

interface CompiledMapping {
  re: RegExp;
  mapping: StatsdMapping;
}

function compileMappings(mappings: readonly StatsdMapping[]): CompiledMapping[] {
  return mappings.map((mapping) => {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:$]*$/.test(mapping.name))
      throw new VigilError(
        'config',
        `statsd mapping ${mapping.match}: invalid metric name "${mapping.name}"`,
      );
    for (const l of Object.keys(mapping.labels ?? {})) {
      if (!isValidLabelName(l))
        throw new VigilError('config', `statsd mapping ${mapping.match}: invalid label name "${l}"`);
    }
    const re = new RegExp(
      `^${mapping.match
        .split('.')
        .map((p) => (p === '*' ? '([^.]+)' : p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
        .join('\\.')}$`,
    );
    return { re, mapping };
  });
}

const expand = (template: string, m: RegExpExecArray) =>
  template.replace(/\$\{?(\d+)\}?/g, (_, i: string) => m[Number(i)] ?? '');

/** Default buckets for timers, in seconds. */
export const defaultTimerBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Series {
  labels: Record<string, string>;
  value: number;
  /** histograms */
  counts?: number[];
  sum?: number;
  count?: number;
}

interface Store {
  type: 'counter' | 'gauge' | 'histogram';
  buckets: number[];
  series: Map<string, Series>;
}

/** The pure part: lines in, series kept, families out. */
export class StatsdStore {
  readonly stats = { lines: 0, bad: 0, droppedSeries: 0, conflicts: 0 };
  private readonly metrics = new Map<string, Store>();
  private readonly mappings: CompiledMapping[];
  private seriesCount = 0;

  constructor(
    mappings: readonly StatsdMapping[] = [],
    private readonly maxSeries = 10_000,
  ) {
    this.mappings = compileMappings(mappings);
  }

  /** Handles a packet: lines separated by newlines. */
  ingest(packet: string): void {
    for (const line of packet.split('\n')) {
      if (line.trim() === '') continue;
      this.stats.lines++;
      const parsed = parseStatsdLine(line.trim());
      if (!parsed) {
        this.stats.bad++;
        continue;
      }
      this.apply(parsed);
    }
  }

  private apply(l: StatsdLine): void {
    let name = sanitizeMetricName(l.name.replace(/[.-]/g, '_'));
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(l.tags)) if (isValidLabelName(k)) labels[k] = v;
    let buckets = defaultTimerBuckets;
    for (const c of this.mappings) {
      const m = c.re.exec(l.name);
      if (!m) continue;
      name = expand(c.mapping.name, m);
      for (const [k, v] of Object.entries(c.mapping.labels ?? {})) labels[k] = expand(v, m);
      if (c.mapping.buckets) buckets = c.mapping.buckets;
      break;
    }
    const type = l.type === 'c' ? 'counter' : l.type === 'g' ? 'gauge' : 'histogram';
    let store = this.metrics.get(name);
    if (!store) {
      store = { type, buckets, series: new Map() };
      this.metrics.set(name, store);
    } else if (store.type !== type) {
      this.stats.conflicts++;
      return;
    }
    const key = labelsKey(labels);
    let s = store.series.get(key);
    if (!s) {
      if (this.seriesCount >= this.maxSeries) {
        this.stats.droppedSeries++;
        return;
      }
      this.seriesCount++;
      s = { labels, value: 0 };
      if (type === 'histogram') {
        s.counts = new Array(store.buckets.length).fill(0);
        s.sum = 0;
        s.count = 0;
      }
      store.series.set(key, s);
    }
    if (type === 'counter') s.value += l.value / l.rate;
    else if (type === 'gauge') s.value = l.relative ? s.value + l.value : l.value;
    else {
      const v = l.type === 'ms' ? l.value / 1000 : l.value;
      const times = Math.max(1, Math.round(1 / l.rate));
      for (let i = 0; i < store.buckets.length; i++) if (v <= store.buckets[i]!) s.counts![i]! += times;
      s.sum! += v * times;
      s.count! += times;
    }
  }

  families(): MetricFamily[] {
    const out: MetricFamily[] = [];
    for (const [name, store] of this.metrics) {
      const samples: MetricFamily['samples'][number][] = [];
      for (const s of store.series.values()) {
        if (store.type !== 'histogram') {
          samples.push({ name, labels: s.labels, value: s.value });
          continue;
        }
        for (const [i, le] of store.buckets.entries())
          samples.push({
            name: `${name}_bucket`,
            labels: { ...s.labels, le: String(le) },
            value: s.counts![i]!,
          });
        samples.push({ name: `${name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.count! });
        samples.push({ name: `${name}_sum`, labels: s.labels, value: s.sum! });
        samples.push({ name: `${name}_count`, labels: s.labels, value: s.count! });
      }
      out.push({ name, type: store.type, help: `StatsD metric ${name} (vigil agent).`, samples });
    }
    return out;
  }
}

/**
 * The UDP shell around StatsdStore. Binds loopback unless told otherwise.
 *
 * @example
 * const a = await statsdAdapter({ name: 'statsd', host: '127.0.0.1', port: 9125 });
 */
export async function statsdAdapter(options: {
  name: string;
  host?: string;
  port: number;
  mappings?: StatsdMapping[];
  maxSeries?: number;
}): Promise<Adapter & { store: StatsdStore; port: number }> {
  const store = new StatsdStore(options.mappings ?? [], options.maxSeries);
  const host = options.host ?? '127.0.0.1';
  const socket: Socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  socket.on('message', (msg) => store.ingest(msg.toString('utf8')));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', (err) =>
      reject(
        new VigilError(
          'unavailable',
          `statsd ${options.name}: cannot bind ${host}:${options.port}: ${err.message}`,
          { cause: err },
        ),
      ),
    );
    socket.bind(options.port, host, () => resolve());
  });
  return {
    name: options.name,
    store,
    port: socket.address().port,
    async collect() {
      return store.families();
    },
    async close() {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
