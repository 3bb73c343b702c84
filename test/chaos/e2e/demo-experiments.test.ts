import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processState } from '../../../chaos/index.ts';
import { needBinary } from '../../support/requires.ts';
import { startPrometheus, waitForQuery } from '../support/prometheus.ts';
import { stopChild } from '../support/servers.ts';

const missing = needBinary('prometheus') || needBinary('nats-server');
const repo = new URL('../../../', import.meta.url).pathname;

interface DemoJson {
  state: string;
  service: { url: string; metricsUrl: string; readyUrl: string };
  s3: { endpoint: string; bucket: string; accessKeyId: string; secretAccessKey: string; directory: string };
  nats: { pid?: number };
  worker: { pid?: number; metricsUrl: string };
}

/**
 * The two end-to-end experiments against the demo system (`vigil demo`, with its own
 * nats-server so pausing it touches nothing shared), judged by a real Prometheus scraping the
 * demo, run through the real CLI gate.
 */
describe.skipIf(missing)('chaos experiments against the demo', () => {
  let dir: string;
  let demo: ChildProcess;
  let info: DemoJson;
  let prom: { url: string; stop(): Promise<void> };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-chaos-e2e-'));
    demo = spawn(
      process.execPath,
      [
        'bin/vigil.js',
        'demo',
        '--data-dir',
        join(dir, 'demo'),
        '--port',
        '0',
        '--nats',
        'own',
        '--rate',
        '20',
        '--seed',
        '3',
      ],
      {
        cwd: repo,
        stdio: 'ignore',
      },
    );
    const file = join(dir, 'demo', 'demo.json');
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (existsSync(file)) {
        info = JSON.parse(readFileSync(file, 'utf8')) as DemoJson;
        if (info.state === 'running' && info.worker.pid && info.nats.pid) break;
      }
      if (Date.now() > deadline) throw new Error('demo did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
    const hostPort = (url: string) => new URL(url).host;
    prom = await startPrometheus([hostPort(info.service.metricsUrl), hostPort(info.worker.metricsUrl)]);
    await waitForQuery(prom.url, 'messaging_consumer_lag_messages');
    await waitForQuery(prom.url, 'demo_events_outbox_size');
  }, 120_000);

  afterAll(async () => {
    await prom?.stop();
    if (demo) await stopChild(demo);
    rmSync(dir, { recursive: true, force: true });
  });

  function gate(
    name: string,
    yaml: string,
  ): Promise<{ code: number; out: string; report: Record<string, unknown> }> {
    const file = join(dir, `${name}.yaml`);
    const json = join(dir, `${name}.json`);
    writeFileSync(file, yaml);
    const child = spawn(process.execPath, ['bin/vigil.js', 'gate', 'chaos', file, '--json', json], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
    });
    child.stderr!.on('data', (d) => {
      out += d;
    });
    return new Promise((resolve) =>
      child.once('exit', (code) =>
        resolve({
          code: code ?? -1,
          out,
          report: existsSync(json) ? JSON.parse(readFileSync(json, 'utf8')) : {},
        }),
      ),
    );
  }

  it('survives NATS paused for 30 s and the worker killed under traffic: the gate passes', async () => {
    const demoFile = join(dir, 'demo', 'demo.json');
    const natsPid = info.nats.pid!;
    const { code, out } = await gate(
      'nats-pause',
      `apiVersion: vigil/v1
kind: Experiment
title: NATS paused 30s and worker killed under traffic
seed: 42
targets:
  prometheus: { url: "${prom.url}" }
  processes:
    nats: { json: { file: "${demoFile}", path: nats.pid } }
    worker: { json: { file: "${demoFile}", path: worker.pid } }
steadyState:
  interval: 3s
  recovery: 90s
  conditions:
    - name: service ready
      probe: { http: { url: "${info.service.readyUrl}" } }
      phases: [before, during, after]
    - name: no server errors
      promql: sum(increase(http_server_request_duration_seconds_count{error_type="server"}[15s])) or vector(0)
      op: "<="
      threshold: 0
      phases: [before, during, after]
    - name: worker caught up
      promql: max(messaging_consumer_lag_messages)
      op: "<="
      threshold: 20
    - name: outbox drained
      promql: max(demo_events_outbox_size)
      op: "<="
      threshold: 5
method:
  - name: pause nats
    fault: { type: pause, process: nats }
    duration: 30s
  - name: kill worker
    fault: { type: kill, process: worker }
    at: 5s
`,
    );
    expect(code, out).toBe(0);
    expect(out).toMatch(/inject\s+pause nats: pause process nats \(SIGSTOP\) for 30s/);
    expect(out).toMatch(/inject\s+kill worker: kill process worker \(SIGKILL\)/);
    expect(out).toMatch(/result: PASSED/);
    expect(processState(natsPid)).not.toBe('T');
  }, 240_000);

  it('does not survive bit flips under the blob store: the gate fails, naming the damaged objects', async () => {
    const { code, out, report } = await gate(
      'bit-flips',
      `apiVersion: vigil/v1
kind: Experiment
title: bit flips under the blob store
seed: 7
targets:
  blobs:
    photos:
      type: s3
      bucket: ${info.s3.bucket}
      endpoint: "${info.s3.endpoint}"
      accessKeyId: ${info.s3.accessKeyId}
      secretAccessKey: ${info.s3.secretAccessKey}
  dirs:
    s3data: { path: "${info.s3.directory}" }
steadyState:
  conditions:
    - name: service ready
      probe: { http: { url: "${info.service.readyUrl}" } }
  dataIntegrity: [{ blobs: photos }]
method:
  - name: flip bits
    fault: { type: disk, dir: s3data, kind: flip, count: 3, match: "\\\\._S3rver_object$", restore: false }
`,
    );
    expect(code, out).toBe(1);
    expect(out).toMatch(/result: FAILED: data lost: \d+ objects \(photos: .+: checksum mismatch/);
    const changes = (report['diskChanges'] as Array<{ changes: Array<{ object: string }> }>)[0]!.changes;
    expect(changes).toHaveLength(3);
    const damagedKeys = changes.map((c) => c.object.replace(/^[^/]+\//, '').replace(/\._S3rver_object$/, ''));
    const lost = (report['dataLoss'] as string[]).map((l) => l.split(': ')[1]!);
    // Traffic may delete a damaged photo before the check; every loss found is one we made.
    expect(lost.length).toBeGreaterThan(0);
    for (const key of lost) expect(damagedKeys).toContain(key);
  }, 120_000);
});
