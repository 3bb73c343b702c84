import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compileMetricRelabel,
  globalSchema,
  processScrape,
  resolveJobs,
  ScrapeCache,
  ScrapeManager,
  scrapeConfigSchema,
} from '../../../alerting/scrape/index.ts';
import { isStaleNaN, MemoryStore, newMatcher } from '../../../alerting/store/index.ts';
import { ManualClock, relabelConfigsSchema } from '../../../core/index.ts';

let server: Server;
let port = 0;
let goodBody =
  '# TYPE jobs_total counter\njobs_total{job="exporter-side",queue="a"} 5\njobs_total{queue="b"} 7\n';
const hanging: import('node:http').ServerResponse[] = [];
const dir = mkdtempSync(join(tmpdir(), 'vigil-scrape-'));

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/good')
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(goodBody);
    else if (req.url === '/garbage') res.writeHead(200).end('<html>this is not {{ an exposition\n');
    else if (req.url === '/huge') res.writeHead(200).end(`${'x_total 1\n'.repeat(2000)}`);
    else if (req.url === '/error') res.writeHead(500).end('boom');
    else hanging.push(res); // /hang: never answers
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  for (const res of hanging) res.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

function job(name: string, path: string, extra: Record<string, unknown> = {}) {
  return scrapeConfigSchema.parse({
    job_name: name,
    metrics_path: path,
    scrape_timeout: '1s',
    body_size_limit: '1KiB',
    static_configs: [{ targets: [`127.0.0.1:${port}`], labels: { env: 'test' } }],
    ...extra,
  });
}

function latest(store: MemoryStore, ...matchers: [string, string][]): number[] {
  return store
    .select(
      matchers.map(([k, v]) => newMatcher(k, '=', v)),
      0,
      Number.MAX_SAFE_INTEGER,
    )
    .map((s) => s.v[s.v.length - 1]!);
}

describe('scraping', () => {
  it('reports up=0 for garbage, oversize, hanging and failing targets, and keeps scraping the good one', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock(1_000_000);
    const jobs = resolveJobs(globalSchema.parse({}), [
      job('good', '/good'),
      job('garbage', '/garbage'),
      job('huge', '/huge'),
      job('hang', '/hang'),
      job('error', '/error'),
    ]);
    const manager = new ScrapeManager(jobs, (l, t, v) => store.append(l, t, v), { clock });
    manager.start();
    await manager.scrapeAll();
    expect(latest(store, ['__name__', 'up'], ['job', 'good'])).toEqual([1]);
    for (const bad of ['garbage', 'huge', 'hang', 'error'])
      expect(latest(store, ['__name__', 'up'], ['job', bad])).toEqual([0]);
    const errors = Object.fromEntries(manager.targets().map((t) => [t.target.job, t.lastError]));
    expect(errors.huge).toMatch(/body size limit exceeded/);
    expect(errors.hang).toMatch(/deadline exceeded/);
    expect(errors.error).toMatch(/HTTP status 500/);
    expect(errors.garbage).not.toBe('');
    // Target labels win over exposed ones, which are kept as exported_*.
    const [series] = store.select(
      [newMatcher('__name__', '=', 'jobs_total'), newMatcher('queue', '=', 'a')],
      0,
      Number.MAX_SAFE_INTEGER,
    );
    expect(series!.labels).toMatchObject({
      job: 'good',
      exported_job: 'exporter-side',
      env: 'test',
      instance: `127.0.0.1:${port}`,
    });
    expect(latest(store, ['__name__', 'scrape_samples_scraped'], ['job', 'good'])).toEqual([2]);

    // A series that disappears gets a staleness marker on the next scrape.
    goodBody = 'jobs_total{queue="a"} 6\n';
    await clock.advance(15_000);
    await manager.scrapeAll();
    const [b] = store.select(
      [newMatcher('__name__', '=', 'jobs_total'), newMatcher('queue', '=', 'b')],
      0,
      Number.MAX_SAFE_INTEGER,
    );
    expect(isStaleNaN(b!.v[b!.v.length - 1]!)).toBe(true);
    manager.stop();
  }, 30_000);

  it('applies metric_relabel_configs and refuses a scrape past sample_limit', () => {
    const relabel = compileMetricRelabel(
      relabelConfigsSchema.parse([{ source_labels: ['__name__'], regex: 'go_.*', action: 'drop' }]),
    );
    const options = {
      targetLabels: { job: 'j', instance: 'i' },
      honorLabels: false,
      honorTimestamps: true,
      sampleLimit: 2,
      metricRelabel: relabel,
    };
    const cache = new ScrapeCache();
    const ok = processScrape('go_goroutines 5\nup_total 1\nother 2\n', 'prometheus', 0, cache, options);
    expect(ok.error).toBeUndefined();
    expect(ok.series.map((s) => s.labels.__name__)).toEqual(['up_total', 'other']);
    const tooMany = processScrape('a 1\nb 2\nc 3\n', 'prometheus', 0, cache, options);
    expect(tooMany.error).toMatch(/sample limit exceeded/);
    // Refused whole: only staleness markers for what the last scrape had.
    expect(tooMany.series.map((s) => s.labels.__name__)).toEqual(['up_total', 'other']);
    expect(tooMany.v.every((v) => isStaleNaN(v))).toBe(true);
  });

  it('discovers targets from file_sd files and drops them with relabel_configs', async () => {
    writeFileSync(
      join(dir, 'targets.json'),
      JSON.stringify([
        { targets: [`127.0.0.1:${port}`], labels: { team: 'storage' } },
        { targets: ['drop.me:1'] },
      ]),
    );
    const config = scrapeConfigSchema.parse({
      job_name: 'fsd',
      metrics_path: '/good',
      file_sd_configs: [{ files: [join(dir, '*.json')] }],
      relabel_configs: [{ source_labels: ['__address__'], regex: 'drop\\..*', action: 'drop' }],
    });
    const store = new MemoryStore();
    const manager = new ScrapeManager(
      resolveJobs(globalSchema.parse({}), [config]),
      (l, t, v) => store.append(l, t, v),
      { clock: new ManualClock(0) },
    );
    manager.start();
    expect(manager.targets().map((t) => t.target.labels)).toEqual([
      { team: 'storage', job: 'fsd', instance: `127.0.0.1:${port}` },
    ]);
    await manager.scrapeAll();
    expect(latest(store, ['__name__', 'up'], ['team', 'storage'])).toEqual([1]);
    manager.stop();
  });

  it('ends every series of a target that leaves discovery with a staleness marker', async () => {
    const file = join(dir, 'moving.json');
    writeFileSync(file, JSON.stringify([{ targets: [`127.0.0.1:${port}`] }]));
    const config = scrapeConfigSchema.parse({
      job_name: 'moving',
      metrics_path: '/good',
      file_sd_configs: [{ files: [file] }],
    });
    const store = new MemoryStore();
    const clock = new ManualClock(5_000_000);
    const manager = new ScrapeManager(
      resolveJobs(globalSchema.parse({}), [config]),
      (l, t, v) => store.append(l, t, v),
      { clock },
    );
    manager.start();
    await manager.scrapeAll();
    writeFileSync(file, '[]');
    await clock.advance(1000);
    manager.sync();
    expect(manager.targets()).toEqual([]);
    const series = store.select([newMatcher('job', '=', 'moving')], 0, Number.MAX_SAFE_INTEGER);
    expect(series.length).toBeGreaterThan(2);
    for (const s of series) expect(isStaleNaN(s.v[s.v.length - 1]!)).toBe(true);
    manager.stop();
  });
});
