/**
 * Rule evaluation cost, vigil next to Prometheus 2.42 on the same data in the same run.
 *
 *   npm run bench -- alerting-rules [--series 10000] [--days 3] [--cycles 5] [--interval 30]
 *
 * Data: request counters over status codes x routes x instances at 15s resolution (with a
 * counter reset per instance per day), ending 20 minutes after now. Rules: the burn-rate rule
 * set of a 99.9% SLO (error ratio rates over 5m, 30m, 1h, 2h, 6h, 1d, 3d, and the four
 * multiwindow alerts of the SRE workbook). vigil loads the data into its store and evaluates
 * the group `cycles` times, measuring CPU time per cycle. Prometheus gets the same samples by
 * backfill (`promtool tsdb create-blocks-from openmetrics`), evaluates the same rule file every
 * `interval` seconds, and reports prometheus_rule_group_last_duration_seconds; its CPU time per
 * cycle is read from /proc. Prints both and their ratio.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { promql, rules, store as storeModule } from '../alerting/index.ts';
import { freePort, waitForPort } from '../test/support/ports.ts';

const { values: args } = parseArgs({
  options: {
    series: { type: 'string', default: '10000' },
    days: { type: 'string', default: '3' },
    cycles: { type: 'string', default: '5' },
    interval: { type: 'string', default: '30' },
    'skip-prometheus': { type: 'boolean', default: false },
  },
});
const seriesCount = Number(args.series);
const days = Number(args.days);
const cycles = Number(args.cycles);
const intervalS = Number(args.interval);
const stepMs = 15_000;

const codes = ['200', '200', '200', '201', '404', '500', '503'];
const routes = Array.from({ length: 20 }, (_, i) => `/api/r${i}`);
const instancesNeeded = Math.ceil(seriesCount / (codes.length * routes.length));
const instances = Array.from(
  { length: instancesNeeded },
  (_, i) => `10.0.${Math.floor(i / 250)}.${i % 250}:8080`,
);

interface Gen {
  labels: Record<string, string>;
  rate: number;
  resetEvery: number;
}

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = mulberry32(42);
const gens: Gen[] = [];
outer: for (const instance of instances) {
  for (const route of routes) {
    for (const [i, code] of codes.entries()) {
      if (gens.length >= seriesCount) break outer;
      const base = code.startsWith('5') ? 0.02 : code === '404' ? 0.3 : 5;
      const labels: Record<string, string> = {
        __name__: 'http_requests_total',
        code,
        route,
        instance,
        job: 'api',
      };
      // 200 appears three times to weight traffic; a shard label keeps those series distinct.
      if (code === '200') labels.shard = String(i);
      gens.push({
        labels,
        rate: base * (0.5 + random()),
        resetEvery: (20 + Math.floor(random() * 8)) * 3600,
      });
    }
  }
}

const now = Math.floor(Date.now() / stepMs) * stepMs;
const end = now + 20 * 60_000;
const start = end - days * 86_400_000;
const steps = Math.floor((end - start) / stepMs) + 1;

function valueAt(g: Gen, step: number): number {
  const seconds = (step * stepMs) / 1000;
  const sinceReset = seconds % g.resetEvery;
  return Math.floor(sinceReset * g.rate);
}

const windows = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'];
const ruleText = `groups:
  - name: slo-burn-rate
    interval: ${intervalS}s
    rules:
${windows
  .map(
    (w) => `      - record: slo:error_ratio:rate${w}
        expr: sum by (job) (rate(http_requests_total{code=~"5.."}[${w}])) / sum by (job) (rate(http_requests_total[${w}]))`,
  )
  .join('\n')}
      - alert: ErrorBudgetBurnFast
        expr: slo:error_ratio:rate1h > (14.4 * 0.001) and slo:error_ratio:rate5m > (14.4 * 0.001)
        labels: { severity: page }
      - alert: ErrorBudgetBurnMedium
        expr: slo:error_ratio:rate6h > (6 * 0.001) and slo:error_ratio:rate30m > (6 * 0.001)
        labels: { severity: page }
      - alert: ErrorBudgetBurnSlow
        expr: slo:error_ratio:rate1d > (3 * 0.001) and slo:error_ratio:rate2h > (3 * 0.001)
        labels: { severity: ticket }
      - alert: ErrorBudgetBurnVerySlow
        expr: slo:error_ratio:rate3d > (1 * 0.001) and slo:error_ratio:rate6h > (1 * 0.001)
        labels: { severity: ticket }
`;

const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-rules-'));
const ruleFile = join(dir, 'slo.yml');
writeFileSync(ruleFile, ruleText);
const totalSamples = gens.length * steps;
process.stdout.write(
  `data: ${gens.length} series x ${steps} samples (${days}d at 15s) = ${(totalSamples / 1e6).toFixed(1)}M samples\n`,
);

// --- vigil ---
const memBefore = process.memoryUsage();
const mem = new storeModule.MemoryStore({ maxSeries: 10_000_000, retentionMs: 365 * 86_400_000 });
const ids = gens.map((g) => mem.seriesId(g.labels).id);
for (let s = 0; s < steps; s++) {
  const t = start + s * stepMs;
  for (let i = 0; i < gens.length; i++) mem.appendById(ids[i]!, t, valueAt(gens[i]!, s));
}
const memAfter = process.memoryUsage();
const storeBytes =
  memAfter.arrayBuffers - memBefore.arrayBuffers + Math.max(0, memAfter.heapUsed - memBefore.heapUsed);
process.stdout.write(
  `vigil store: ${(storeBytes / totalSamples).toFixed(2)} bytes per sample (typed arrays + heap delta)\n`,
);
const [group] = rules.parseRuleFile(ruleFile, ruleText);
const evaluator = new rules.GroupEvaluator(group!);
const engine = new promql.Engine(mem);
const query = (expr: promql.Expr, t: number) => {
  const v = engine.instant(expr, t);
  return v.type === 'vector' ? v.samples : v.type === 'scalar' ? [{ labels: {}, v: v.v }] : [];
};
const evalAt = now + 5 * 60_000;
const vigilCpu: number[] = [];
const vigilWall: number[] = [];
for (let c = 0; c < cycles; c++) {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  const results = evaluator.evaluate(evalAt + c * intervalS * 1000, query, () => {});
  const errors = results.filter((r) => r.error);
  if (errors.length > 0) throw new Error(`vigil rule errors: ${errors.map((e) => e.error).join('; ')}`);
  vigilWall.push(performance.now() - wall);
  const used = process.cpuUsage(cpu);
  vigilCpu.push((used.user + used.system) / 1000);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
process.stdout.write(
  `vigil: ${median(vigilCpu).toFixed(1)} ms CPU per cycle (median of ${cycles}), ${median(vigilWall).toFixed(1)} ms wall\n`,
);

// --- Prometheus ---
async function prometheus(): Promise<{ cpuMs: number; lastDurationMs: number } | undefined> {
  const om = join(dir, 'data.om');
  const out = createWriteStream(om);
  const write = (text: string) =>
    out.write(text) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r()));
  await write('# TYPE http_requests counter\n');
  const labelText = gens.map((g) =>
    Object.entries(g.labels)
      .filter(([k]) => k !== '__name__')
      .map(([k, v]) => `${k}="${v}"`)
      .join(','),
  );
  for (let i = 0; i < gens.length; i++) {
    let chunk = '';
    for (let s = 0; s < steps; s++) {
      chunk += `http_requests_total{${labelText[i]}} ${valueAt(gens[i]!, s)} ${(start + s * stepMs) / 1000}\n`;
      if (chunk.length > 1 << 20) {
        await write(chunk);
        chunk = '';
      }
    }
    await write(chunk);
  }
  await write('# EOF\n');
  await new Promise<void>((r) => out.end(r));
  const tsdb = join(dir, 'tsdb');
  const backfillStart = performance.now();
  execFileSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '-q', om, tsdb], {
    stdio: 'inherit',
  });
  process.stdout.write(`prometheus backfill: ${((performance.now() - backfillStart) / 1000).toFixed(0)} s\n`);
  rmSync(om, { force: true });
  const port = await freePort();
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  evaluation_interval: ${intervalS}s\nrule_files: [${JSON.stringify(ruleFile)}]\n`,
  );
  const child = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${tsdb}`,
      '--storage.tsdb.retention.time=30d',
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  try {
    await waitForPort(port, '127.0.0.1', 120_000);
    const metric = async (name: string): Promise<number | undefined> => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(name));
      return line ? Number(line.split(' ').pop()) : undefined;
    };
    const cpuMs = () => {
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return ((Number(stat[11]) + Number(stat[12])) * 1000) / 100;
    };
    const durations: number[] = [];
    const cpus: number[] = [];
    let lastIterations = (await metric('prometheus_rule_group_iterations_total')) ?? 0;
    let lastCpu = cpuMs();
    const deadline = Date.now() + (cycles + 3) * intervalS * 1000 + 120_000;
    while (durations.length < cycles && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      const iterations = (await metric('prometheus_rule_group_iterations_total')) ?? 0;
      if (iterations > lastIterations) {
        const d = (await metric('prometheus_rule_group_last_duration_seconds')) ?? Number.NaN;
        const cpu = cpuMs();
        // The first cycle after start also pays for opening blocks: skip it.
        if (lastIterations > 0) {
          durations.push(d * 1000);
          cpus.push(cpu - lastCpu);
        }
        lastCpu = cpu;
        lastIterations = iterations;
      }
    }
    if (durations.length === 0) return undefined;
    return { cpuMs: median(cpus), lastDurationMs: median(durations) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

if (!args['skip-prometheus']) {
  const p = await prometheus();
  if (p) {
    process.stdout.write(
      `prometheus 2.42: ${p.lastDurationMs.toFixed(1)} ms per cycle (prometheus_rule_group_last_duration_seconds, median), ${p.cpuMs.toFixed(1)} ms process CPU per cycle\n`,
    );
    process.stdout.write(
      `ratio vigil/prometheus: ${(median(vigilCpu) / p.lastDurationMs).toFixed(2)} (CPU vs rule group duration), ${(median(vigilCpu) / p.cpuMs).toFixed(2)} (CPU vs process CPU)\n`,
    );
  } else process.stdout.write('prometheus: no evaluation observed\n');
}
rmSync(dir, { recursive: true, force: true });
