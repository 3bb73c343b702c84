/**
 * Ingestion: samples per second per CPU core for scrape + parse + append, and memory per stored
 * sample, vigil next to Prometheus 2.42 scraping the same targets in the same run.
 *
 *   npm run bench -- alerting-ingest [--targets 10] [--series 2000] [--seconds 30]
 *
 * The targets run in a separate process (bench/_alerting-targets.ts). vigil scrapes them every
 * second for `seconds` into its in-memory store, measuring its own CPU time; then Prometheus
 * scrapes them for as long, its CPU read from /proc and its samples from
 * prometheus_tsdb_head_samples_appended_total. Memory: growth of resident memory over the run
 * divided by samples stored, for both (vigil also reports its chunk bytes alone).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { scrape, store as storeModule } from '../alerting/index.ts';
import { freePort, waitForPort } from '../test/support/ports.ts';

const { values: args } = parseArgs({
  options: {
    targets: { type: 'string', default: '10' },
    series: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '30' },
  },
});
const seconds = Number(args.seconds);

const targetsProc = spawn(
  process.execPath,
  ['--import', 'tsx', join(import.meta.dirname, '_alerting-targets.ts'), args.targets!, args.series!],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const ports = await new Promise<number[]>((resolve) => {
  let out = '';
  targetsProc.stdout.on('data', (c) => {
    out += c;
    if (out.includes('\n')) resolve(JSON.parse(out) as number[]);
  });
});
const targets = ports.map((p) => `127.0.0.1:${p}`);
process.stdout.write(
  `targets: ${targets.length} x ${args.series} series, scraped every 1s for ${seconds}s\n`,
);

// --- vigil ---
const mem = new storeModule.MemoryStore({ maxSeries: 10_000_000, retentionMs: 86_400_000 });
const jobs = scrape.resolveJobs(scrape.globalSchema.parse({ scrape_interval: '1s', scrape_timeout: '1s' }), [
  scrape.scrapeConfigSchema.parse({ job_name: 'bench', static_configs: [{ targets }] }),
]);
const rssBefore = process.memoryUsage().rss;
const cpuBefore = process.cpuUsage();
const manager = new scrape.ScrapeManager(jobs, {
  append: (ref, labels, t, v, key) => mem.appendRef(ref, labels, t, v, key),
});
manager.start();
await new Promise((r) => setTimeout(r, seconds * 1000));
manager.stop();
const cpu = process.cpuUsage(cpuBefore);
const vigilCpuS = (cpu.user + cpu.system) / 1e6;
const stats = mem.getStats();
const rssGrowth = process.memoryUsage().rss - rssBefore;
const vigilRate = stats.samples / vigilCpuS;
process.stdout.write(
  `vigil: ${stats.samples} samples, ${vigilCpuS.toFixed(2)} s CPU -> ${Math.round(vigilRate)} samples/s per core; ` +
    `chunks ${(mem.chunkBytes() / stats.samples).toFixed(1)} B/sample, RSS growth ${(rssGrowth / stats.samples).toFixed(1)} B/sample\n`,
);

// --- Prometheus ---
const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-ingest-'));
const port = await freePort();
writeFileSync(
  join(dir, 'prometheus.yml'),
  `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: bench\n    static_configs:\n      - targets: ${JSON.stringify(targets)}\n`,
);
const prom = spawn(
  'prometheus',
  [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'tsdb')}`,
    `--web.listen-address=127.0.0.1:${port}`,
  ],
  {
    stdio: 'ignore',
  },
);
try {
  await waitForPort(port, '127.0.0.1', 60_000);
  const metric = async (name: string) => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    // 2.42 splits some counters by type ({type="float"}, {type="histogram"}): sum the lines.
    const lines = text.split('\n').filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    return lines.reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  };
  const procCpu = () => {
    const stat = readFileSync(`/proc/${prom.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(stat[11]) + Number(stat[12])) / 100;
  };
  const rss = () => Number(readFileSync(`/proc/${prom.pid}/statm`, 'utf8').split(' ')[1]) * 4096;
  await new Promise((r) => setTimeout(r, 3000)); // start-up work is not ingestion
  const s0 = await metric('prometheus_tsdb_head_samples_appended_total');
  const c0 = procCpu();
  const r0 = rss();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const samples = (await metric('prometheus_tsdb_head_samples_appended_total')) - s0;
  const cpuS = procCpu() - c0;
  const promRate = samples / cpuS;
  process.stdout.write(
    `prometheus 2.42: ${samples} samples, ${cpuS.toFixed(2)} s CPU -> ${Math.round(promRate)} samples/s per core; RSS growth ${((rss() - r0) / samples).toFixed(1)} B/sample\n`,
  );
  process.stdout.write(
    `ratio vigil/prometheus samples per CPU second: ${(vigilRate / promRate).toFixed(2)}\n`,
  );
} finally {
  prom.kill('SIGTERM');
  await new Promise((r) => prom.once('exit', r));
  targetsProc.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
