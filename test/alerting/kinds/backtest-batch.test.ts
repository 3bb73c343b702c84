import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kinds, rules, store as storeModule } from '../../../alerting/index.ts';

/**
 * A backtest computes the parts of its rules that read only loaded data many steps at a time
 * (alerting/promql/batch.ts). Those answers must be the step-by-step engine's, bit for bit
 * and in the same order, or the alerts would differ. Here both paths replay the same data
 * through the same rules and every series they wrote, and every alert, must be identical. The
 * data has what makes windows hard: counter resets, NaN, staleness markers, gaps longer than
 * the windows, series that start late (so groups appear in another order) and block edges.
 */

type Labels = Record<string, string>;
const { staleNaN } = storeModule;
const start = Date.UTC(2026, 0, 5);
const hours = 8;

/** Request counters per job, route and code, with the awkward cases above. */
function load(target: storeModule.MemoryStore): void {
  const append = (labels: Labels, t: number, v: number) => target.append(labels, t, v);
  // The first series made starts three hours in: until then its job's group first appears
  // after other jobs' groups, so a batch must not assume one order for every step.
  const late = { __name__: 'http_requests_total', job: 'j3', route: '/late', code: '200' };
  for (let t = start + 3 * 3_600_000; t <= start + hours * 3_600_000; t += 15_000)
    append(late, t, (t - start) / 1000);
  for (let j = 0; j < 4; j++) {
    for (let r = 0; r < 3; r++) {
      for (const code of ['200', '500', '401']) {
        const labels = { __name__: 'http_requests_total', job: `j${j}`, route: `/r${r}`, code };
        // j3 starts two hours late: groups then appear in another order than at first.
        const first = j === 3 ? start + 2 * 3_600_000 : start;
        let value = 0;
        for (let t = first; t <= start + hours * 3_600_000; t += 15_000) {
          const minute = (t - start) / 60_000;
          // A gap of 40 minutes in one series, longer than the 5m and 30m windows.
          if (j === 1 && r === 0 && code === '500' && minute >= 100 && minute < 140) continue;
          const rate = code === '200' ? 10 : code === '500' ? (j === 2 && minute > 300 ? 3 : 0.05) : 0.4;
          value += Math.round(rate * 15 * (1 + ((minute * 7 + j + r) % 5) / 10));
          // A counter reset (restart) in some series, twice in one.
          if ((j === 0 && minute === 200) || (j === 2 && r === 1 && (minute === 61 || minute === 333)))
            value = 3;
          append(labels, t, value);
          // A scrape that ended (staleness marker) and came back in one series.
          if (j === 0 && r === 2 && code === '200' && minute === 250) append(labels, t + 1000, staleNaN);
        }
      }
    }
    // A gauge with NaN values, read by avg/min/max.
    for (let t = start; t <= start + hours * 3_600_000; t += 15_000) {
      const minute = (t - start) / 60_000;
      target.append(
        { __name__: 'queue_depth', job: `j${j}` },
        t,
        minute % 97 === 0 ? Number.NaN : (minute * (j + 1)) % 50,
      );
    }
  }
}

const ruleText = `
groups:
  - name: batched
    rules:
      - record: job:errors:ratio_rate5m
        expr: sum by (job) (rate(http_requests_total{code="500"}[5m])) / sum by (job) (rate(http_requests_total[5m]))
      - record: job:errors:ratio_rate30m
        expr: 1 - (sum by (job) (rate(http_requests_total{code!="500"}[30m])) / sum by (job) (rate(http_requests_total[30m])))
      - record: route:requests:increase1h
        expr: sum without (code, job) (increase(http_requests_total[1h] offset 10m))
      - record: job:depth:stats
        expr: avg by (job) (delta(queue_depth[10m])) + max by (job) (delta(queue_depth[10m])) - min by (job) (delta(queue_depth[10m]))
      - record: job:requests:avg
        expr: avg by (job) (rate(http_requests_total[5m]))
      - record: requests:sum_of_sums
        expr: sum(sum by (job) (rate(http_requests_total[5m])) / 3)
      - record: job:series:count
        expr: count by (job) (rate(http_requests_total[2m])) * group by (job) (rate(http_requests_total[2m]))
      - record: code:rate:negated
        expr: -sum by (code) (rate(http_requests_total[15m]))
      - record: job:unauthorized:high
        expr: sum by (job) (rate(http_requests_total{code="401"}[5m])) > bool 5
      - record: job:unauthorized:filtered
        expr: 0.01 < sum by (job) (rate(http_requests_total{code="401"}[10m])) / on (job) sum by (job) (rate(http_requests_total[10m]))
      - record: job:errors:or
        expr: sum by (job) (rate(http_requests_total{code="500"}[5m])) > 0.5 or sum by (job) (rate(http_requests_total{code="500"}[1h]))
      - record: job:errors:ratio_rate5m:scaled
        expr: job:errors:ratio_rate5m / 0.001
      - record: job:requests:max_over_subquery
        expr: max_over_time(sum by (job) (rate(http_requests_total[5m]))[30m:1m])
      - record: route:ratio:ignoring
        expr: sum by (job, route) (rate(http_requests_total{code="500"}[5m])) / ignoring (route) group_left sum by (job) (rate(http_requests_total[5m]))
      - alert: ErrorsHigh
        expr: job:errors:ratio_rate5m > 0.02 and job:errors:ratio_rate30m > 0.02
        for: 2m
        labels: { severity: page }
  - name: slower
    interval: 90s
    rules:
      - alert: RequestsDropped
        expr: sum by (job) (rate(http_requests_total{code="200"}[5m])) < 0.8 * sum by (job) (rate(http_requests_total{code="200"}[5m] offset 1h))
        for: 3m
`;

function replay(
  groups: rules.RuleGroup[],
  batch: boolean,
  fill: (target: storeModule.MemoryStore) => void,
  blockSteps: number,
) {
  const target = kinds.backtestStore();
  fill(target);
  const result = kinds.runBacktest(groups, target, {
    start: start + 60_000,
    end: start + hours * 3_600_000,
    stepMs: 30_000,
    batch,
    batchBlockSteps: blockSteps,
  });
  return { result, target };
}

/**
 * Replays both ways and requires the same alerts and the same bits in every written series;
 * returns the step-by-step replay. Small blocks (37 steps by default) make windows and alerts
 * cross many block edges.
 */
function expectSameBothWays(groups: rules.RuleGroup[], fill = load, blockSteps = 37) {
  const reference = replay(groups, false, fill, blockSteps);
  const batched = replay(groups, true, fill, blockSteps);
  expect(batched.result).toEqual(reference.result);
  const expected = written(reference.target);
  const got = written(batched.target);
  expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [key, samples] of expected) expect(got.get(key), key).toBe(samples);
  return { result: reference.result, written: expected };
}

/** Every series the rules wrote, with its samples as raw bits (NaN and staleness kept apart). */
function written(target: storeModule.MemoryStore): Map<string, string> {
  const out = new Map<string, string>();
  const bits = new DataView(new ArrayBuffer(8));
  for (const series of target.select([], Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY)) {
    const name = series.labels.__name__ ?? '';
    if (name === 'http_requests_total' || name === 'queue_depth') continue;
    const parts: string[] = [];
    series.t.forEach((t, i) => {
      bits.setFloat64(0, series.v[i]!);
      parts.push(`${t}:${bits.getBigUint64(0).toString(16)}`);
    });
    out.set(storeModule.labelsKey(series.labels), parts.join(' '));
  }
  return out;
}

describe('backtest batches', () => {
  it('write the same series and fire the same alerts as step-by-step evaluation', () => {
    const groups = rules.parseRuleFile('batched.yaml', ruleText);
    const reference = expectSameBothWays(groups);
    // The data must exercise the rules: results and alerts from several jobs.
    expect(reference.written.size).toBeGreaterThan(40);
    expect(reference.result.alerts.length).toBeGreaterThan(0);
    expect(reference.result.errors).toEqual([]);
  });

  it('leave detector rules (which query ranges themselves) the same answers', () => {
    const groups = rules.parseRuleFile(
      'detectors.yaml',
      `
apiVersion: vigil/v1
groups:
  - name: totals
    rules:
      - record: job:requests:rate5m
        expr: sum by (job) (rate(http_requests_total[5m]))
absence:
  - name: RequestsStopped
    expr: sum by (job) (rate(http_requests_total{code="200"}[5m]))
    below: 0.9
    min_baseline: 0.05
    baseline: { window: 2h }
    for: 2m
anomalies:
  - name: JobErrors
    errors: http_requests_total{code="500"}
    total: http_requests_total
    by: [job]
    min_volume: 0.01
    threshold: 3
    baseline: { window: 2h }
    for: 2m
`,
    );
    const reference = expectSameBothWays(groups);
    expect(reference.result.errors).toEqual([]);
    expect(reference.result.alerts.length).toBeGreaterThan(0);
  });

  it('refuse a detector that writes to loaded data the batches read', () => {
    const groups = rules.parseRuleFile(
      'read.yaml',
      'groups:\n  - name: read\n    rules:\n      - record: job:requests:rate5m\n        expr: sum by (job) (rate(http_requests_total[5m]))\n',
    );
    groups.push({
      name: 'writer',
      file: 'code',
      intervalMs: undefined,
      limit: 0,
      rules: [
        {
          kind: 'detector',
          // Its main series has a name of its own; it also writes one the batches read.
          name: 'writer_score',
          exprText: 'writes loaded data',
          detector: { evaluate: () => [{ labels: { __name__: 'http_requests_total', job: 'x' }, v: 1 }] },
        },
      ],
    });
    const { result } = replay(groups, true, load, 37);
    expect(result.errors).toEqual([
      expect.objectContaining({
        group: 'writer',
        error: expect.stringMatching(/http_requests_total is loaded data that rules read in batches/),
      }),
    ]);
  });

  it('give the SLO pack the same answers, on the bench workload shape', () => {
    const groups = rules.loadRuleFile(resolve(import.meta.dirname, '../../../rules/slo-http.yaml'));
    const fill = (target: storeModule.MemoryStore) => {
      const name = 'http_server_request_duration_seconds';
      const counts = new Map<string, number>();
      for (let t = start; t <= start + hours * 3_600_000; t += 15_000) {
        for (let j = 0; j < 3; j++) {
          const burning = j === 1 && t > start + 3 * 3_600_000 && t < start + 4 * 3_600_000;
          for (const [suffix, errorType, share] of [
            ['count', '', 0.99],
            ['count', 'server', burning ? 0.3 : 0.01],
            ['bucket', '', 0.98],
            ['bucket', 'server', 0.005],
          ] as const) {
            const labels: Labels = { __name__: `${name}_${suffix}`, job: `j${j}`, error_type: errorType };
            if (suffix === 'bucket') labels.le = '0.5';
            const key = JSON.stringify(labels);
            const value = (counts.get(key) ?? 0) + Math.round(150 * share);
            counts.set(key, value);
            target.append(labels, t, value);
          }
        }
      }
    };
    expect(expectSameBothWays(groups, fill, 50).result.alerts.length).toBeGreaterThan(0);
  });
});
