/**
 * Detector quality: the anomaly and absence kinds next to a plain static threshold and a plain
 * z-score, on the same seeded, labeled series, in the same run.
 *
 *   npm run bench -- rules-detectors [--series 60] [--seed 1] [--step 5]
 *
 * Data: `--series` gauges at 1m resolution over 10 days (a Monday start; the first 7 days are
 * history for the baselines, days 8-10 are scored). Each has its own level (5 to 500), a daily
 * cycle (0.3 at 3 am to 1 at 3 pm), 60% weekends and 8% Gaussian noise, and one injected change
 * in the scored days, labeled with the window in which it should page, in turn:
 *   spike       x4 for 30 minutes                      window: the 30 minutes
 *   shift       x0.4 from then on                      window: the first 24 hours (until a
 *                                                      1d reference has seen the new level)
 *   zero        0 for 2 hours                          window: the 2 hours
 *   drift       x1 to x3 linearly over 24h, then x3    window: from x1.5 (12h in) to the end
 *   none        (a control series)
 * Rules (all `for: 10m`, evaluated every `--step` minutes by the real engine, through
 * alerting/kinds' backtest runner):
 *   anomaly            anomalies kind, direction both, threshold 6, trailing 1d median/MAD
 *   anomaly_seasonal   the same with the same time 1d and 1w ago (±30m) as reference
 *   anomaly_seasonal3  the same with 1d, 2d and 1w ago: one bad day no longer moves the median
 *   anomaly_weekly     the same with only 1w ago: the same weekday, never a weekend for a Monday
 *   absence            absence kind, below 20% of the same time 1d and 1w ago
 *   static             value > 3x or < 0.1x the series' median over its first 7 days
 *   zscore             |value - avg_over_time[1d]| / stddev_over_time[1d] > 3
 * A firing is a true positive when it overlaps the labeled window of the same series (a
 * 30-minute grace after the window is allowed, since alerts resolve after the change ends);
 * precision = true firings / firings, recall = detected changes / changes (absence is scored
 * on the drops only: spikes and rises are not its job), delay = first firing - change start;
 * "control" counts firings on the series without any change (pure false alarms).
 */
import { parseArgs } from 'node:util';
import { kinds as kindsModule, rules as rulesModule } from '../alerting/index.ts';
import { seededRandom } from '../core/index.ts';

const { values: args } = parseArgs({
  options: {
    series: { type: 'string', default: '60' },
    seed: { type: 'string', default: '1' },
    step: { type: 'string', default: '5' },
  },
});
const seriesCount = Number(args.series);
const random = seededRandom(Number(args.seed));
const stepMs = Number(args.step) * 60_000;
const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;
const monday = Date.UTC(2026, 0, 5);
const start = monday;
const scoredFrom = monday + 7 * day;
const end = monday + 10 * day;
const grace = 30 * minute;

type Change = 'spike' | 'shift' | 'zero' | 'drift' | 'none';
const changes: Change[] = ['spike', 'shift', 'zero', 'drift', 'none'];

function seasonal(t: number): number {
  const h = (t % day) / hour;
  const daily = 0.65 - 0.35 * Math.cos(((h - 3) / 24) * 2 * Math.PI);
  return daily * (Math.floor((t - monday) / day) % 7 >= 5 ? 0.6 : 1);
}

function gaussian(): number {
  return Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
}

interface Labeled {
  series: string;
  change: Change;
  at: number;
  window: [number, number];
}

const store = kindsModule.backtestStore();
const labeled: Labeled[] = [];
for (let i = 0; i < seriesCount; i++) {
  const series = `s${String(i).padStart(3, '0')}`;
  const change = changes[i % changes.length]!;
  const level = 5 * 100 ** random();
  // The change starts somewhere in the first 36h of the scored days, on a whole minute.
  const at = scoredFrom + Math.floor(random() * 36 * 60) * minute;
  const window: [number, number] =
    change === 'spike'
      ? [at, at + 30 * minute]
      : change === 'shift'
        ? [at, at + day]
        : change === 'zero'
          ? [at, at + 2 * hour]
          : change === 'drift'
            ? [at + 12 * hour, end]
            : [0, 0];
  labeled.push({ series, change, at, window });
  const factor = (t: number) => {
    if (t < at || change === 'none') return 1;
    if (change === 'spike') return t < at + 30 * minute ? 4 : 1;
    if (change === 'shift') return 0.4;
    if (change === 'zero') return t < at + 2 * hour ? 0 : 1;
    return 1 + 2 * Math.min(1, (t - at) / day);
  };
  for (let t = start; t <= end; t += minute) {
    const v = Math.max(0, level * seasonal(t) * factor(t) * (1 + 0.08 * gaussian()));
    store.append({ __name__: 'bench_value', series }, t, v);
  }
  // The static threshold a person would set from a week of history: the week's median.
  const week: number[] = [];
  for (let t = start; t < scoredFrom; t += 10 * minute) week.push(level * seasonal(t));
  week.sort((a, b) => a - b);
  const median = week[Math.floor(week.length / 2)]!;
  for (let t = start; t <= end; t += stepMs) {
    store.append({ __name__: 'bench_static_high', series }, t, 3 * median);
    store.append({ __name__: 'bench_static_low', series }, t, 0.1 * median);
  }
}

const ruleText = `
apiVersion: vigil/v1
anomalies:
  - { name: anomaly, expr: bench_value, direction: both, threshold: 6, baseline: { window: 1d }, for: 10m }
  - { name: anomaly_seasonal, expr: bench_value, direction: both, threshold: 6, baseline: { seasons: [1d, 1w] }, for: 10m }
  - { name: anomaly_seasonal3, expr: bench_value, direction: both, threshold: 6, baseline: { seasons: [1d, 2d, 1w] }, for: 10m }
  - { name: anomaly_weekly, expr: bench_value, direction: both, threshold: 6, baseline: { seasons: [1w] }, for: 10m }
absence:
  - { name: absence, expr: bench_value, below: 0.2, baseline: { seasons: [1d, 1w] }, for: 10m }
groups:
  - name: plain
    rules:
      - alert: static
        expr: bench_value > bench_static_high or bench_value < bench_static_low
        for: 10m
      - alert: zscore
        expr: abs(bench_value - avg_over_time(bench_value[1d])) / stddev_over_time(bench_value[1d]) > 3
        for: 10m
`;
const groups = rulesModule.parseRuleFile('rules-detectors.yaml', ruleText);
const started = performance.now();
const result = kindsModule.runBacktest(groups, store, { start, end, stepMs });
const seconds = (performance.now() - started) / 1000;
if (result.errors.length > 0) {
  console.error(result.errors);
  process.exit(3);
}

interface Row {
  name: string;
  firings: number;
  truePositives: number;
  detected: number;
  changes: number;
  delays: number[];
  byChange: Map<Change, { detected: number; total: number }>;
  control: number;
}

const rows: Row[] = [];
for (const name of [
  'anomaly',
  'anomaly_seasonal',
  'anomaly_seasonal3',
  'anomaly_weekly',
  'absence',
  'static',
  'zscore',
]) {
  const firings = result.alerts.filter(
    (a) => a.alertname === name && (a.resolvedAt === undefined || a.resolvedAt >= scoredFrom),
  );
  const scored = labeled.filter(
    (l) => l.change !== 'none' && (name !== 'absence' || l.change === 'shift' || l.change === 'zero'),
  );
  const overlaps = (a: (typeof firings)[number], l: Labeled) =>
    a.labels.series === l.series &&
    l.change !== 'none' &&
    a.firedAt <= l.window[1] + grace &&
    (a.resolvedAt === undefined || a.resolvedAt >= l.window[0]);
  const truePositives = firings.filter((a) => labeled.some((l) => overlaps(a, l))).length;
  const delays: number[] = [];
  const byChange = new Map<Change, { detected: number; total: number }>();
  let detected = 0;
  for (const l of scored) {
    const hits = firings.filter((a) => overlaps(a, l));
    const entry = byChange.get(l.change) ?? { detected: 0, total: 0 };
    entry.total++;
    if (hits.length > 0) {
      detected++;
      entry.detected++;
      delays.push(Math.max(0, Math.min(...hits.map((a) => a.firedAt)) - l.window[0]));
    }
    byChange.set(l.change, entry);
  }
  const control = firings.filter((a) =>
    labeled.some((l) => l.change === 'none' && l.series === a.labels.series),
  ).length;
  rows.push({
    name,
    firings: firings.length,
    truePositives,
    detected,
    changes: scored.length,
    delays,
    byChange,
    control,
  });
}

const pct = (n: number, d: number) => (d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(0)}%`);
const median = (xs: number[]) => {
  if (xs.length === 0) return 'n/a';
  const s = [...xs].sort((a, b) => a - b);
  return `${Math.round(s[Math.floor(s.length / 2)]! / minute)}m`;
};
const lines = [
  `rules-detectors: ${seriesCount} series x 10 days at 1m, seed ${args.seed}, evaluated every ${args.step}m (${result.evaluations} group evaluations in ${seconds.toFixed(1)} s)`,
  '',
  '| detector | firings | precision | recall | median delay | spike | shift | zero | drift | control |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => {
    const by = (c: Change) => {
      const e = r.byChange.get(c);
      return e ? `${e.detected}/${e.total}` : '-';
    };
    return `| ${r.name} | ${r.firings} | ${pct(r.truePositives, r.firings)} | ${pct(r.detected, r.changes)} | ${median(r.delays)} | ${by('spike')} | ${by('shift')} | ${by('zero')} | ${by('drift')} | ${r.control} |`;
  }),
];
console.log(lines.join('\n'));
