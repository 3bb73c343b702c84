import type { MetricFamily, Sample } from '../../core/index.ts';

/**
 * Counters, gauges and histograms for metrics derived from logs, kept as plain numbers in
 * maps keyed by the joined label values. prom-client hashes the label object on every
 * increment, even through a cached child; on the log-to-metrics benchmark
 * (bench/agent-logmetrics.ts) that cost more than parsing the line. Here an increment is one
 * map lookup; label objects are built only when /metrics is scraped.
 */

interface Series {
  values: readonly string[];
  value: number;
  buckets: Float64Array | undefined;
  sum: number;
  count: number;
}

export class MetricVec {
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly bucketBounds: readonly number[] = [],
  ) {}

  /** The series for label values, created on first use; `key` must identify the values. */
  get(key: string, values: readonly string[]): Series {
    let s = this.series.get(key);
    if (s === undefined) {
      s = {
        values: values.slice(),
        value: 0,
        buckets: this.type === 'histogram' ? new Float64Array(this.bucketBounds.length) : undefined,
        sum: 0,
        count: 0,
      };
      this.series.set(key, s);
    }
    return s;
  }

  inc(s: Series, by = 1): void {
    s.value += by;
  }

  set(s: Series, v: number): void {
    s.value = v;
  }

  observe(s: Series, v: number): void {
    const bounds = this.bucketBounds;
    const b = s.buckets!;
    // Buckets are stored non-cumulative: one increment per observation, summed at scrape.
    let i = 0;
    while (i < bounds.length && v > bounds[i]!) i++;
    if (i < bounds.length) b[i]!++;
    s.sum += v;
    s.count++;
  }

  /** Adds non-cumulative bucket counts, a sum and a count to a histogram series. */
  merge(s: Series, buckets: ArrayLike<number>, sum: number, count: number): void {
    const b = s.buckets!;
    for (let i = 0; i < b.length; i++) b[i]! += buckets[i]!;
    s.sum += sum;
    s.count += count;
  }

  get size(): number {
    return this.series.size;
  }

  family(): MetricFamily {
    const samples: Sample[] = [];
    const labelsOf = (values: readonly string[]) => {
      const l: Record<string, string> = {};
      for (let i = 0; i < this.labelNames.length; i++) l[this.labelNames[i]!] = values[i]!;
      return l;
    };
    for (const s of this.series.values()) {
      const labels = labelsOf(s.values);
      if (this.type !== 'histogram') {
        samples.push({ name: this.name, labels, value: s.value });
        continue;
      }
      let cumulative = 0;
      for (let i = 0; i < this.bucketBounds.length; i++) {
        cumulative += s.buckets![i]!;
        samples.push({
          name: `${this.name}_bucket`,
          labels: { ...labels, le: String(this.bucketBounds[i]) },
          value: cumulative,
        });
      }
      samples.push({ name: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: s.count });
      samples.push({ name: `${this.name}_sum`, labels, value: s.sum });
      samples.push({ name: `${this.name}_count`, labels, value: s.count });
    }
    return { name: this.name, type: this.type, help: this.help, samples };
  }
}
