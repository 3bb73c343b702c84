import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadServerConfig, type ServerHandle, startServer } from '../../../alerting/index.ts';
import {
  globalSchema,
  resolveJobs,
  ScrapeManager,
  scrapeConfigSchema,
} from '../../../alerting/scrape/index.ts';
import { isStaleNaN, MemoryStore, newMatcher } from '../../../alerting/store/index.ts';
import { ManualClock } from '../../../core/index.ts';

/**
 * `reload(config)`, what SIGHUP calls: the whole config, all or nothing. Rules keep the state
 * of unchanged groups, scrape targets of unchanged jobs keep running, changed ones restart
 * without a staleness gap, and a refused reload changes nothing.
 */

const root = mkdtempSync(join(tmpdir(), 'vigil-reload-'));
const t0 = 1_700_000_000_000;
const hour = 3_600_000;
let target: Server;
let targetAddress = '';
let server: ServerHandle | undefined;

beforeAll(async () => {
  target = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end('# TYPE queue_depth gauge\nqueue_depth{queue="a"} 3\nqueue_depth{queue="b"} 4\n');
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  targetAddress = `127.0.0.1:${(target.address() as { port: number }).port}`;
});

afterEach(async () => {
  await server?.close();
  server = undefined;
});

afterAll(async () => {
  target.closeAllConnections();
  await new Promise<void>((resolve) => target.close(() => resolve()));
  rmSync(root, { recursive: true, force: true });
});

/** A fresh directory with the given files, and a writer of its vigil.yaml returning its path. */
function setup(files: Record<string, string>): { dir: string; config: (text: string) => string } {
  const dir = mkdtempSync(join(root, 'case-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return {
    dir,
    config(text) {
      const file = join(dir, 'vigil.yaml');
      writeFileSync(file, `apiVersion: vigil/v1\nlisten: 127.0.0.1:0\ndata_dir: data\n${text}`);
      return file;
    },
  };
}

const alwaysFiring = (group: string, alert: string, extra = '') =>
  `groups:\n  - name: ${group}\n    rules:\n      - alert: ${alert}\n        expr: vector(1)\n${extra}`;

const notifySection = `notify:
  route:
    receiver: hook
  receivers:
    - name: hook
      webhook_configs:
        - url: http://127.0.0.1:9/hook
`;

const scrapeJob = (name: string, interval: string, extra = '') =>
  `  - job_name: ${name}\n    scrape_interval: ${interval}\n    static_configs:\n      - targets: ['${targetAddress}']\n${extra}`;

function values(server: ServerHandle, job: string, name = 'queue_depth'): { queue?: string; v: number[] }[] {
  return server.store.memory
    .select([newMatcher('job', '=', job), newMatcher('__name__', '=', name)], 0, Number.MAX_SAFE_INTEGER)
    .map((s) => ({ queue: s.labels.queue, v: [...s.v] }));
}

const notifiedAlertnames = (server: ServerHandle) =>
  server.notifier!.alerts().map((s) => s.alert.labels.alertname);

describe('reload: rule files', () => {
  it('evaluates new groups, resolves a removed group and keeps the state of an unchanged one', async () => {
    const { config } = setup({
      'first.yml': alwaysFiring('first', 'FirstFires'),
      'second.yml': alwaysFiring('second', 'SecondFires'),
      'kept.yml': alwaysFiring('kept', 'KeptPending', '        for: 1h\n'),
    });
    const clock = new ManualClock(t0);
    server = await startServer(
      loadServerConfig(config(`rule_files: [first.yml, kept.yml]\n${notifySection}`)),
      { clock },
    );
    for (const ev of server.rules.evaluators) server.rules.evaluateGroup(ev, t0);
    expect(notifiedAlertnames(server)).toEqual(['FirstFires']);

    const report = server.reload(
      loadServerConfig(config(`rule_files: [kept.yml, second.yml]\n${notifySection}`)),
    );
    expect(report).toMatchObject({ groups: 2, notify: false });
    expect(server.rules.evaluators.map((ev) => ev.group.name)).toEqual(['kept', 'second']);
    // The removed group's alert is resolved in the notifier, waiting for its notification.
    expect(notifiedAlertnames(server)).toEqual([]);
    const resolved = server.notifier!.dispatcher.list().flatMap((g) => [...g.alerts.values()]);
    expect(resolved.map((a) => [a.labels.alertname, a.endsAt])).toEqual([['FirstFires', t0]]);

    for (const ev of server.rules.evaluators) server.rules.evaluateGroup(ev, t0 + 60_000);
    expect(notifiedAlertnames(server)).toEqual(['SecondFires']);
    const kept = server.rules.evaluators[0]!.activeAlerts();
    expect(kept.map(({ alert }) => [alert.labels.alertname, alert.state, alert.activeAt])).toEqual([
      ['KeptPending', 'pending', t0],
    ]);
  });
});

describe('reload: scrape configs', () => {
  it('restarts a changed job without a gap, ends a removed one, starts an added one, leaves the rest alone', async () => {
    const { config } = setup({});
    const clock = new ManualClock(t0);
    // Hour-long intervals: no loop comes due while the test steps the clock by seconds.
    server = await startServer(
      loadServerConfig(
        config(
          `scrape_configs:\n${scrapeJob('changing', '1h')}${scrapeJob('removed', '1h')}${scrapeJob('unchanged', '1h')}`,
        ),
      ),
      { clock },
    );
    await server.scrape.scrapeAll();
    const before = new Map(server.scrape.targets().map((s) => [s.target.job, s]));
    await clock.advance(1000);

    const dropQueueB = `    metric_relabel_configs:\n      - source_labels: [queue]\n        regex: b\n        action: drop\n`;
    const report = server.reload(
      loadServerConfig(
        config(
          `scrape_configs:\n${scrapeJob('changing', '2h', dropQueueB)}${scrapeJob('unchanged', '1h')}${scrapeJob('added', '1h')}`,
        ),
      ),
    );
    expect(report).toMatchObject({
      jobs: 3,
      targets: { started: 1, restarted: 1, stopped: 1, unchanged: 1 },
      notify: false,
    });
    const after = new Map(server.scrape.targets().map((s) => [s.target.job, s]));
    expect([...after.keys()].sort()).toEqual(['added', 'changing', 'unchanged']);
    expect(after.get('unchanged')).toBe(before.get('unchanged'));
    expect(after.get('changing')).not.toBe(before.get('changing'));
    expect(after.get('changing')).toMatchObject({ scrapeIntervalMs: 2 * hour, health: 'up', lastScrape: t0 });
    // The targets API shows the new interval as Prometheus spells it.
    const api = (await (await fetch(`${server.listening.url}/api/v1/targets`)).json()) as {
      data: { activeTargets: { scrapePool: string; scrapeInterval: string; scrapeTimeout: string }[] };
    };
    expect(api.data.activeTargets.find((t) => t.scrapePool === 'changing')).toMatchObject({
      scrapeInterval: '2h',
      scrapeTimeout: '10s',
    });

    // Restarted: no staleness marker, its series go on. Removed: every series ends at the reload.
    for (const s of values(server, 'changing')) expect(s.v.some(isStaleNaN)).toBe(false);
    const removed = values(server, 'removed');
    expect(removed).toHaveLength(2);
    for (const s of removed) expect(isStaleNaN(s.v.at(-1)!)).toBe(true);
    const removedUp = server.store.memory.select(
      [newMatcher('job', '=', 'removed'), newMatcher('__name__', '=', 'up')],
      t0 + 1000,
      t0 + 1000,
    );
    expect(removedUp.map((s) => isStaleNaN(s.v[0]!))).toEqual([true]);

    await clock.advance(1000);
    await server.scrape.scrapeAll();
    expect(values(server, 'added', 'up').map((s) => s.v)).toEqual([[1]]);
    // The new job's relabeling drops queue b: ended by the handed-over staleness reference.
    const changing = values(server, 'changing');
    const queue = (q: string) => changing.find((s) => s.queue === q)?.v ?? [];
    expect(queue('a')).toEqual([3, 3]);
    expect(queue('b')).toHaveLength(2);
    expect(isStaleNaN(queue('b')[1]!)).toBe(true);
    // Queue a continued as the same series: no second, out-of-order marker for it.
    expect(server.store.memory.getStats()).toMatchObject({ outOfOrder: 0, duplicateTimestamp: 0 });
  });

  it('stops the file_sd refresh of a removed job and follows the refresh interval of an added one', async () => {
    const { dir } = setup({});
    const sdFile = join(dir, 'targets.json');
    writeFileSync(sdFile, JSON.stringify([{ targets: [targetAddress] }]));
    const clock = new ManualClock(t0);
    const global = globalSchema.parse({ scrape_interval: '1h' });
    const staticJob = scrapeConfigSchema.parse({
      job_name: 'static',
      static_configs: [{ targets: [targetAddress] }],
    });
    const fileJob = scrapeConfigSchema.parse({
      job_name: 'files',
      file_sd_configs: [{ files: [sdFile], refresh_interval: '10s' }],
    });
    const store = new MemoryStore();
    const manager = new ScrapeManager(resolveJobs(global, [staticJob]), (l, t, v) => store.append(l, t, v), {
      clock,
    });
    manager.start();
    // One timer: the static target's loop; no file_sd, no refresh.
    expect(clock.pendingTimers()).toBe(1);

    manager.applyJobs(resolveJobs(global, [staticJob, fileJob]));
    expect(manager.targets().map((s) => s.target.job)).toEqual(['static', 'files']);
    writeFileSync(sdFile, JSON.stringify([{ targets: [targetAddress, 'localhost:1'] }]));
    await clock.advance(10_000);
    expect(manager.targets().map((s) => s.target.job)).toEqual(['static', 'files', 'files']);

    manager.applyJobs(resolveJobs(global, [staticJob]));
    expect(manager.targets().map((s) => s.target.job)).toEqual(['static']);
    expect(clock.pendingTimers()).toBe(1);
    manager.stop();
  });
});

describe('reload: refused', () => {
  it('names a restart-only setting and applies nothing else', async () => {
    const { config } = setup({
      'first.yml': alwaysFiring('first', 'FirstFires'),
      'second.yml': alwaysFiring('second', 'SecondFires'),
    });
    server = await startServer(loadServerConfig(config('rule_files: [first.yml]\n')), {
      clock: new ManualClock(t0),
    });
    const next = loadServerConfig(config('rule_files: [second.yml]\n'));
    expect(() => server!.reload({ ...next, listen: { host: '127.0.0.1', port: 1 } })).toThrow(
      /^listen changed: restart vigil to apply$/,
    );
    expect(() =>
      server!.reload({
        ...next,
        data_dir: join(root, 'elsewhere'),
        global: { ...next.global, external_labels: { dc: 'b' } },
      }),
    ).toThrow(/^data_dir, global\.external_labels changed: restart vigil to apply$/);
    expect(() => server!.reload({ ...next, notify: loadServerConfig(config(notifySection)).notify })).toThrow(
      /notify \(added or removed\) changed: restart vigil to apply/,
    );
    expect(server.rules.evaluators.map((ev) => ev.group.name)).toEqual(['first']);
  });

  it('refuses a broken rule file, leaving rules and scrape jobs as they were', async () => {
    const { dir, config } = setup({ 'first.yml': alwaysFiring('first', 'FirstFires') });
    server = await startServer(
      loadServerConfig(config(`rule_files: [first.yml]\nscrape_configs:\n${scrapeJob('kept', '1h')}`)),
      { clock: new ManualClock(t0) },
    );
    const targets = server.scrape.targets();
    writeFileSync(
      join(dir, 'broken.yml'),
      'groups:\n  - name: broken\n    rules:\n      - alert: X\n        expr: rate(\n',
    );
    const next = loadServerConfig(
      config(`rule_files: [first.yml, broken.yml]\nscrape_configs:\n${scrapeJob('other', '1h')}`),
    );
    expect(() => server!.reload(next)).toThrow(/broken\.yml/);
    expect(server.rules.evaluators.map((ev) => ev.group.name)).toEqual(['first']);
    expect(server.scrape.targets()).toEqual(targets);
    expect(server.scrape.targets()[0]).toBe(targets[0]);
  });

  it('refuses a job name used twice', async () => {
    const { config } = setup({});
    server = await startServer(loadServerConfig(config(`scrape_configs:\n${scrapeJob('one', '1h')}`)), {
      clock: new ManualClock(t0),
    });
    const next = loadServerConfig(
      config(`scrape_configs:\n${scrapeJob('two', '1h')}${scrapeJob('two', '2h')}`),
    );
    expect(() => server!.reload(next)).toThrow(/job_name "two" is used twice/);
    expect(server.scrape.targets().map((s) => s.target.job)).toEqual(['one']);
  });
});
