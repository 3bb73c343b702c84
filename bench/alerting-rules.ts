/**
 * Rule evaluation cost, vigil next to Prometheus 2.42 on the same data in the same run.
 *
 *   npm run bench -- alerting-rules [--series 10000] [--days 3] [--cycles 5] [--interval 30]
 *
 * Data: request counters over status codes x routes x instances at 15s resolution (with a
 * counter reset per instance per day), ending now. Rules: the burn-rate rule set of a 99.9%
 * SLO (error ratio rates over 5m, 30m, 1h, 2h, 6h, 1d, 3d, and the four multiwindow alerts of
 * the SRE workbook). Prometheus gets the samples by backfill (`promtool tsdb
 * create-blocks-from openmetrics`, one input file per 2h block: promtool 2.42 re-reads its
 * whole input once per block, which for 10,000 series x 3 days would be 36 passes over 19 GB),
 * is left to compact its blocks, then evaluates the rule file every `interval` seconds; it
 * reports prometheus_rule_group_last_duration_seconds and its CPU time per cycle is read from
 * /proc. vigil then evaluates the same group at the same evaluation timestamps on the same
 * samples, recording its results as Prometheus does, and its CPU time per cycle is measured.
 * Prints both and their ratio.
 */
import { spawn } from 'node:child_process';
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

const end = Math.floor(Date.now() / stepMs) * stepMs;
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
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Evaluates the group at each of `times` (ms), recording results into the store. */
function evaluateVigil(times: number[]): { cpuMs: number; wallMs: number } {
  const [group] = rules.parseRuleFile(ruleFile, ruleText);
  const evaluator = new rules.GroupEvaluator(group!);
  const engine = new promql.Engine(mem);
  const query = (expr: promql.Expr, t: number) => {
    const v = engine.instant(expr, t);
    return v.type === 'vector' ? v.samples : v.type === 'scalar' ? [{ labels: {}, v: v.v }] : [];
  };
  const append = (labels: Record<string, string>, t: number, v: number) => {
    mem.append(labels, t, v);
  };
  const cpus: number[] = [];
  const walls: number[] = [];
  for (const t of times) {
    const cpu = process.cpuUsage();
    const wall = performance.now();
    const results = evaluator.evaluate(t, query, append);
    const errors = results.filter((r) => r.error);
    if (errors.length > 0) throw new Error(`vigil rule errors: ${errors.map((e) => e.error).join('; ')}`);
    walls.push(performance.now() - wall);
    const used = process.cpuUsage(cpu);
    cpus.push((used.user + used.system) / 1000);
  }
  return { cpuMs: median(cpus), wallMs: median(walls) };
}

// --- Prometheus ---
interface PrometheusRun {
  cpuMs: number;
  lastDurationMs: number;
  /** The evaluation timestamps (ms) of the measured cycles, for vigil to use the same. */
  times: number[];
}

const blockMs = 2 * 3_600_000;

/** Writes the samples of [from, to) of every series as one OpenMetrics file. */
async function writeOpenMetrics(file: string, from: number, to: number, labelText: string[]): Promise<void> {
  const out = createWriteStream(file);
  const write = (text: string) =>
    out.write(text) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r()));
  await write('# TYPE http_requests counter\n');
  const first = Math.max(0, Math.ceil((from - start) / stepMs));
  const last = Math.min(steps - 1, Math.ceil((to - start) / stepMs) - 1);
  let chunk = '';
  for (let i = 0; i < gens.length; i++) {
    for (let s = first; s <= last; s++) {
      chunk += `http_requests_total{${labelText[i]}} ${valueAt(gens[i]!, s)} ${(start + s * stepMs) / 1000}\n`;
      if (chunk.length > 1 << 20) {
        await write(chunk);
        chunk = '';
      }
    }
  }
  await write(`${chunk}# EOF\n`);
  await new Promise<void>((r) => out.end(r));
}

function run(cmd: string, argv: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}`))));
  });
}

/**
 * Backfills one block-aligned 2h file at a time: while promtool turns one into a block, the
 * next is written.
 */
async function backfill(tsdb: string): Promise<void> {
  const labelText = gens.map((g) =>
    Object.entries(g.labels)
      .filter(([k]) => k !== '__name__')
      .map(([k, v]) => `${k}="${v}"`)
      .join(','),
  );
  let pending: Promise<void> = Promise.resolve();
  const windows: number[] = [];
  for (let w = Math.floor(start / blockMs) * blockMs; w <= end; w += blockMs) windows.push(w);
  for (const [k, w] of windows.entries()) {
    const file = join(dir, `block-${k}.om`);
    await writeOpenMetrics(file, w, w + blockMs, labelText);
    await pending;
    pending = run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '-q', file, tsdb]).then(() =>
      rmSync(file, { force: true }),
    );
    if (process.stderr.isTTY) process.stderr.write(`\rbackfill: block ${k + 1}/${windows.length}`);
  }
  await pending;
  if (process.stderr.isTTY) process.stderr.write('\n');
}

async function prometheus(): Promise<PrometheusRun | undefined> {
  const tsdb = join(dir, 'tsdb');
  const backfillStart = performance.now();
  await backfill(tsdb);
  process.stdout.write(`prometheus backfill: ${((performance.now() - backfillStart) / 1000).toFixed(0)} s\n`);
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
    const metrics = async (): Promise<Map<string, number>> => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const out = new Map<string, number>();
      for (const line of text.split('\n')) {
        if (line.startsWith('#') || line === '') continue;
        const name = line.slice(0, line.search(/[ {]/));
        out.set(name, Number(line.split(' ').pop()));
      }
      return out;
    };
    const cpuMs = () => {
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return ((Number(stat[11]) + Number(stat[12])) * 1000) / 100;
    };
    // A Prometheus that has held this history for days has compacted its 2h blocks into
    // larger ones; wait until the compactor has nothing left to do (bounded) before measuring.
    const settleStart = performance.now();
    let blocks = -1;
    let stableSince = performance.now();
    while (performance.now() - settleStart < 20 * 60_000) {
      await new Promise((r) => setTimeout(r, 5000));
      const m = await metrics();
      const now = m.get('prometheus_tsdb_blocks_loaded') ?? -1;
      if (now !== blocks) {
        blocks = now;
        stableSince = performance.now();
      } else if (performance.now() - stableSince > 150_000) break;
    }
    process.stdout.write(
      `prometheus: ${blocks} blocks after compaction (${((performance.now() - settleStart) / 1000).toFixed(0)} s)\n`,
    );
    const durations: number[] = [];
    const cpus: number[] = [];
    const times: number[] = [];
    let lastIterations = (await metrics()).get('prometheus_rule_group_iterations_total') ?? 0;
    let lastCpu = cpuMs();
    const deadline = Date.now() + (cycles + 3) * intervalS * 1000 + 120_000;
    while (durations.length < cycles && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      const m = await metrics();
      const iterations = m.get('prometheus_rule_group_iterations_total') ?? 0;
      if (iterations > lastIterations) {
        const cpu = cpuMs();
        // Only cycles whose CPU delta covers exactly one evaluation count.
        if (iterations === lastIterations + 1) {
          durations.push((m.get('prometheus_rule_group_last_duration_seconds') ?? Number.NaN) * 1000);
          cpus.push(cpu - lastCpu);
          times.push(
            Math.round((m.get('prometheus_rule_group_last_evaluation_timestamp_seconds') ?? 0) * 1000),
          );
        }
        lastCpu = cpu;
        lastIterations = iterations;
      }
    }
    if (durations.length === 0) return undefined;
    return { cpuMs: median(cpus), lastDurationMs: median(durations), times };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

let times = Array.from({ length: cycles }, (_, c) => end + c * intervalS * 1000);
let peer: PrometheusRun | undefined;
if (!args['skip-prometheus']) {
  peer = await prometheus();
  if (peer) {
    times = peer.times;
    process.stdout.write(
      `prometheus 2.42: ${peer.lastDurationMs.toFixed(1)} ms per cycle (prometheus_rule_group_last_duration_seconds, median of ${peer.times.length}), ${peer.cpuMs.toFixed(1)} ms process CPU per cycle\n`,
    );
  } else process.stdout.write('prometheus: no evaluation observed\n');
}
const vigil = evaluateVigil(times);
process.stdout.write(
  `vigil: ${vigil.cpuMs.toFixed(1)} ms CPU per cycle (median of ${times.length}, at ${((times[0]! - end) / 60_000).toFixed(1)} min after the last sample), ${vigil.wallMs.toFixed(1)} ms wall\n`,
);
if (peer)
  process.stdout.write(
    `ratio vigil/prometheus: ${(vigil.cpuMs / peer.lastDurationMs).toFixed(3)} (CPU vs rule group duration), ${(vigil.cpuMs / peer.cpuMs).toFixed(3)} (CPU vs process CPU)\n`,
  );
rmSync(dir, { recursive: true, force: true });
