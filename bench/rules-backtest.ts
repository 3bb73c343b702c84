/**
 * `vigil rules backtest` cost: a week of 15s data for 1,000 series replayed through the
 * default HTTP SLO pack (rules/slo-http.yaml, 2 SLOs, 44 rules) every 30s, next to the limit
 * of only loading the same data into the store.
 *
 *   npm run bench -- rules-backtest [--days 7] [--jobs 25] [--routes 10] [--step 30] [--keep FILE] [--load-only]
 *
 * Data: per job and route, the instrument library's `http_server_request_duration_seconds`
 * counters (`_count` and the `le="0.5"` bucket, each for successes and server errors: 4 series
 * per route, 25 jobs x 10 routes = 1,000 series), 10 requests/s per route with a daily cycle,
 * 0.05% errors, one 20-minute outage of job j0 on day 3 and a 10% slow burn of job j1 for 3
 * hours on day 5, written as OpenMetrics text (the input of `promtool tsdb
 * create-blocks-from openmetrics`) to a temporary file.
 *
 * Measured in the same run: (1) load: the file parsed into an empty store, which every replay
 * must do first and which is bounded by parsing; (2) replay: the rules evaluated at every step
 * of the week on the loaded store. Prints both, their ratio and the samples per second.
 * Before them, the first day alone (a file of its own) is loaded twice: through core's scanner
 * for every line (`fastPath: false`, the loader before the fast path) and through the fast path,
 * which gives their ratio on the same data in the same run; and the first day is replayed both
 * step by step (every rule by the engine alone) and batched (promql/batch.ts, what the backtest
 * does), for their ratio. `--load-only` skips the replays.
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { kinds, rules } from '../alerting/index.ts';

const { values: args } = parseArgs({
  options: {
    days: { type: 'string', default: '7' },
    jobs: { type: 'string', default: '25' },
    routes: { type: 'string', default: '10' },
    step: { type: 'string', default: '30' },
    keep: { type: 'string' },
    'load-only': { type: 'boolean', default: false },
  },
});
const days = Number(args.days);
const jobs = Number(args.jobs);
const routes = Number(args.routes);
const stepMs = Number(args.step) * 1000;
const scrapeMs = 15_000;
const start = Date.UTC(2026, 0, 5);
const end = start + days * 86_400_000;

/** Requests per scrape interval of one route at time t: 10/s with a daily cycle (night at half). */
function requests(t: number): number {
  const hourOfDay = ((t - start) / 3_600_000) % 24;
  return Math.round(150 * (0.75 + 0.25 * Math.sin(((hourOfDay - 6) / 24) * 2 * Math.PI)));
}

function errorShare(job: number, t: number): number {
  const hours = (t - start) / 3_600_000;
  if (job === 0 && hours >= 3 * 24 + 10 && hours < 3 * 24 + 10 + 1 / 3) return 1;
  if (job === 1 && hours >= 5 * 24 + 14 && hours < 5 * 24 + 17) return 0.1;
  return 0.0005;
}

async function generate(file: string, until = end): Promise<number> {
  const out = createWriteStream(file, { highWaterMark: 1 << 22 });
  const write = (text: string) =>
    out.write(text) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r()));
  const name = 'http_server_request_duration_seconds';
  const counts = new Float64Array(jobs * routes * 4);
  await write(`# TYPE ${name} histogram\n`);
  // OpenMetrics wants a family's samples together and each series in time order: all series
  // per timestamp, timestamp after timestamp, is both.
  let lines = 0;
  for (let t = start; t <= until; t += scrapeMs) {
    const ts = (t / 1000).toFixed(3);
    const parts: string[] = [];
    for (let j = 0; j < jobs; j++) {
      for (let r = 0; r < routes; r++) {
        const base = (j * routes + r) * 4;
        const n = requests(t);
        const errors = Math.round(n * errorShare(j, t));
        const ok = n - errors;
        counts[base]! += ok;
        counts[base + 1]! += errors;
        counts[base + 2]! += Math.round(ok * 0.997);
        counts[base + 3]! += Math.round(errors * 0.5);
        const labels = `job="j${j}",http_route="/r${r}"`;
        parts.push(
          `${name}_count{${labels},error_type=""} ${counts[base]} ${ts}\n`,
          `${name}_count{${labels},error_type="server"} ${counts[base + 1]} ${ts}\n`,
          `${name}_bucket{${labels},error_type="",le="0.5"} ${counts[base + 2]} ${ts}\n`,
          `${name}_bucket{${labels},error_type="server",le="0.5"} ${counts[base + 3]} ${ts}\n`,
        );
        lines += 4;
      }
    }
    await write(parts.join(''));
  }
  await write('# EOF\n');
  await new Promise<void>((r) => out.end(() => r()));
  return lines;
}

const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-backtest-'));
const file = args.keep ?? join(dir, 'data.om');
try {
  let generated = 0;
  const genStarted = performance.now();
  if (!args.keep || !safeSize(file)) generated = await generate(file);
  const genS = (performance.now() - genStarted) / 1000;
  const bytes = statSync(file).size;
  const groups = rules.loadRuleFile(resolve(import.meta.dirname, '../rules/slo-http.yaml'));

  // The first day through both loaders, in its own file: the same data, the same shell.
  const dayFile = join(dir, 'day1.om');
  await generate(dayFile, start + 86_400_000 - scrapeMs);
  const dayBytes = statSync(dayFile).size;
  const timeLoad = (fastPath: boolean) => {
    const started = performance.now();
    const loader = new kinds.OpenMetricsLoader(kinds.backtestStore(), { fastPath });
    kinds.loadOpenMetricsFile(loader, dayFile);
    return { s: (performance.now() - started) / 1000, samples: loader.report.samples };
  };
  const dayPlain = timeLoad(false);
  const dayFast = timeLoad(true);
  // The first day's replay both ways: every rule step by step (the engine alone), and with
  // the batches the backtest uses (alerting/promql/batch.ts). Same answers (tested); the
  // ratio is the batches' gain on the same data in the same run.
  const timeReplay = (batch: boolean) => {
    const loader = new kinds.OpenMetricsLoader(kinds.backtestStore());
    kinds.loadOpenMetricsFile(loader, dayFile);
    const { minT, maxT } = loader.report;
    const started = performance.now();
    const r = kinds.runBacktest(groups, loader.store, {
      start: Math.ceil(minT! / stepMs) * stepMs,
      end: maxT!,
      stepMs,
      batch,
    });
    return { s: (performance.now() - started) / 1000, evaluations: r.evaluations, firings: r.alerts.length };
  };
  const dayStepByStep = args['load-only'] ? undefined : timeReplay(false);
  const dayBatched = args['load-only'] ? undefined : timeReplay(true);
  rmSync(dayFile);

  const loadStarted = performance.now();
  const loader = new kinds.OpenMetricsLoader(kinds.backtestStore());
  kinds.loadOpenMetricsFile(loader, file);
  const loadS = (performance.now() - loadStarted) / 1000;
  const { series, samples, minT, maxT } = loader.report;

  const replayStarted = performance.now();
  const result = args['load-only']
    ? undefined
    : kinds.runBacktest(groups, loader.store, {
        start: Math.ceil(minT! / stepMs) * stepMs,
        end: maxT!,
        stepMs,
      });
  const replayS = (performance.now() - replayStarted) / 1000;

  const fmt = (v: number, d = 1) => v.toFixed(d);
  const rate = (n: number, bytesRead: number, secs: number) =>
    `${fmt(n / secs / 1e6, 2)} M samples/s   ${fmt(bytesRead / secs / 2 ** 20, 0)} MiB/s`;
  const lines = [
    `rules-backtest: ${days} days of 15s data, ${series} series, ${samples.toLocaleString('en')} samples (${fmt(bytes / 2 ** 30, 2)} GiB of OpenMetrics${generated ? `, generated in ${fmt(genS)} s` : ''})`,
    `  first day, ${dayFast.samples.toLocaleString('en')} samples (${fmt(dayBytes / 2 ** 20, 0)} MiB):`,
    `    load, core scanner per line      ${fmt(dayPlain.s).padStart(7)} s   ${rate(dayPlain.samples, dayBytes, dayPlain.s)}`,
    `    load, fast path                  ${fmt(dayFast.s).padStart(7)} s   ${rate(dayFast.samples, dayBytes, dayFast.s)}`,
    `    core scanner / fast path         ${fmt(dayPlain.s / dayFast.s, 2).padStart(7)} x`,
    `  load (parse + append, the limit)   ${fmt(loadS).padStart(7)} s   ${rate(samples, bytes, loadS)}`,
  ];
  if (result) {
    const rulesCount = groups.reduce((n, g) => n + g.rules.length, 0);
    lines.splice(
      1,
      0,
      `rules: rules/slo-http.yaml, ${groups.length} groups, ${rulesCount} rules, every ${stepMs / 1000}s: ${result.evaluations.toLocaleString('en')} group evaluations, ${result.alerts.length} firings, ${result.errors.length} rule errors`,
    );
    lines.splice(
      6,
      0,
      `    replay, every rule step by step  ${fmt(dayStepByStep!.s).padStart(7)} s   (${dayStepByStep!.evaluations.toLocaleString('en')} group evaluations)`,
      `    replay, batched                  ${fmt(dayBatched!.s).padStart(7)} s`,
      `    step by step / batched           ${fmt(dayStepByStep!.s / dayBatched!.s, 2).padStart(7)} x`,
    );
    lines.push(
      `  replay (rule evaluation)           ${fmt(replayS).padStart(7)} s   ${fmt(samples / replayS / 1e6, 2)} M samples/s replayed`,
      `  load + replay                      ${fmt(loadS + replayS).padStart(7)} s`,
      `  replay / load                      ${fmt(replayS / loadS, 2).padStart(7)} x`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
  for (const a of result?.alerts.slice(0, 10) ?? [])
    process.stdout.write(
      `  fired ${new Date(a.firedAt).toISOString()} resolved ${a.resolvedAt ? new Date(a.resolvedAt).toISOString() : '-'} ${a.labels.slo} ${a.labels.job} ${a.labels.severity}\n`,
    );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

function safeSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
