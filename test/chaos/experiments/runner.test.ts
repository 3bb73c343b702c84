import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  FilesystemBlobStore,
  parseExperiment,
  planExperiment,
  processState,
  runExperiment,
} from '../../../chaos/index.ts';
import { freePort } from '../../support/ports.ts';
import { needBinary } from '../../support/requires.ts';
import { startPrometheus, waitForQuery } from '../support/prometheus.ts';
import { stopChild } from '../support/servers.ts';

const noProm = needBinary('prometheus');

/** The service under test: /photos answers 200; /metrics exposes test_ok and a switch for abort tests. */
let service: Server;
let servicePort: number;
let abortNow = 0;
let prom: { url: string; stop(): Promise<void> };
const children: ReturnType<typeof spawn>[] = [];

beforeAll(async () => {
  service = createServer((req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`test_ok 1\ntest_abort_now ${abortNow}\n`);
    } else {
      res.writeHead(200);
      res.end('ok');
    }
  });
  await new Promise<void>((r) => service.listen(0, '127.0.0.1', () => r()));
  servicePort = (service.address() as { port: number }).port;
  if (!noProm) {
    prom = await startPrometheus(
      [`127.0.0.1:${servicePort}`],
      'groups:\n  - name: t\n    rules:\n      - alert: TestAbort\n        expr: test_abort_now == 1\n',
    );
    await waitForQuery(prom.url, 'test_ok');
  }
}, 60_000);
afterAll(async () => {
  await prom?.stop();
  await new Promise<void>((r) => service.close(() => r()));
});
afterEach(async () => {
  abortNow = 0;
  await Promise.all(children.splice(0).map(stopChild));
});

function sleeper(): number {
  const c = spawn('sleep', ['300'], { stdio: 'ignore' });
  children.push(c);
  return c.pid!;
}

async function experiment(
  extra: { probeDuring?: boolean; abort?: boolean; pauseMs?: number; breakMs?: number } = {},
) {
  const httpPort = await freePort();
  const pid = sleeper();
  const text = `
apiVersion: vigil/v1
kind: Experiment
title: pause and abort
seed: 7
targets:
  prometheus: { url: ${prom.url} }
  processes:
    sleeper: { pid: ${pid} }
  http:
    svc: { upstream: "http://127.0.0.1:${servicePort}", listen: "127.0.0.1:${httpPort}" }
steadyState:
  interval: 300ms
  recovery: 5s
  conditions:
    - name: metric ok
      promql: test_ok
      op: "=="
      threshold: 1
      phases: [before, during, after]
    - name: photos answer
      probe: { http: { url: "http://127.0.0.1:${httpPort}/photos/1" } }
      tolerance: { status: [200], samples: 2 }
      phases: [before, ${extra.probeDuring ? 'during, ' : ''}after]
method:
  - name: pause sleeper
    fault: { type: pause, process: sleeper }
    duration: ${extra.pauseMs ?? 900}ms
  - name: break photos
    fault: { type: http, target: svc, pathPrefix: /photos, abort: { status: 503, percentage: 100 } }
    at: 100ms
    duration: ${extra.breakMs ?? 700}ms
${extra.abort ? 'abort:\n  - name: test abort\n    alert: { labels: { alertname: TestAbort } }\n' : ''}`;
  return { exp: parseExperiment('exp.yaml', text), pid };
}

describe.skipIf(noProm)('experiment runner', () => {
  it('passes when the steady state holds before and comes back after; everything is put back', async () => {
    const { exp, pid } = await experiment();
    const result = await runExperiment(exp);
    expect(result.status, result.reason).toBe('passed');
    const kinds = result.timeline.map((e) => `${e.phase}:${e.kind}`);
    expect(kinds).toContain('before:check');
    expect(kinds).toContain('method:inject');
    expect(kinds).toContain('method:revert');
    expect(kinds).toContain('after:check');
    expect(processState(pid)).not.toBe('T');
    expect(result.rollback.complete).toBe(true);
  });

  it('fails, naming the condition, when the hypothesis is violated during the faults', async () => {
    // Long enough that a during-check falls inside it even on a loaded machine.
    const { exp, pid } = await experiment({ probeDuring: true, breakMs: 3000 });
    const result = await runExperiment(exp);
    expect(result.status).toBe('failed');
    expect(
      result.violations.some((v) => v.startsWith('during: photos answer: 0/2 healthy (status 503)')),
    ).toBe(true);
    expect(result.reason).toMatch(/steady state violated/);
    expect(processState(pid)).not.toBe('T');
  });

  it('aborts on a firing alert, and puts every fault back', async () => {
    const { exp, pid } = await experiment({ abort: true, pauseMs: 25_000 });
    setTimeout(() => {
      abortNow = 1;
    }, 300);
    const started = Date.now();
    const result = await runExperiment(exp);
    expect(result.status).toBe('aborted');
    expect(result.reason).toMatch(/alert TestAbort is firing/);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(processState(pid)).not.toBe('T');
  });

  it('stops at once on an abort signal, putting faults back', async () => {
    const { exp, pid } = await experiment({ pauseMs: 25_000 });
    const controller = new AbortController();
    const running = runExperiment(exp, {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.kind === 'inject' && e.message.startsWith('pause'))
          setTimeout(() => controller.abort(new Error('stopped by SIGINT')), 200);
      },
    });
    const result = await running;
    expect(result.status).toBe('interrupted');
    expect(processState(pid)).not.toBe('T');
  });

  it('dry run lists what would be done, and does nothing', async () => {
    const { exp, pid } = await experiment();
    const lines = planExperiment(exp);
    expect(lines).toContain('method +0s: inject pause sleeper: pause process sleeper (SIGSTOP) for 900ms');
    expect(lines.some((l) => l.startsWith('method +800ms: revert break photos'))).toBe(true);
    expect(processState(pid)).not.toBe('T');
  });
});

describe('experiment runner: disk faults and data integrity', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-exp-disk-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const exp = (restore: boolean, data: string) =>
    parseExperiment(
      'disk.yaml',
      `apiVersion: vigil/v1
kind: Experiment
title: bit flips under the store
seed: 3
targets:
  blobs: { photos: { type: filesystem, dir: "${data}" } }
  dirs: { photos: { path: "${data}" } }
steadyState:
  dataIntegrity: [{ blobs: photos }]
method:
  - name: flip
    fault: { type: disk, dir: photos, kind: flip, count: 2, match: "^p/", restore: ${restore} }
`,
    );

  it('records exactly what it damaged and the gate sees the data loss', async () => {
    const data = join(dir, 'a');
    const store = new FilesystemBlobStore(data);
    for (let i = 0; i < 5; i++) await store.put(`p/${i}.jpg`, Buffer.alloc(1000, i));
    const result = await runExperiment(exp(false, data));
    expect(result.status).toBe('failed');
    expect(result.diskChanges[0]!.changes).toHaveLength(2);
    const damaged = result.diskChanges[0]!.changes.map((c) => c.object).sort();
    expect(result.dataLoss.map((l) => l.split(': ')[1]).sort()).toEqual(damaged);
    expect(result.reason).toMatch(/data lost: 2 objects/);
  });

  it('passes when the damage is restored before the check', async () => {
    const data = join(dir, 'b');
    const store = new FilesystemBlobStore(data);
    for (let i = 0; i < 5; i++) await store.put(`p/${i}.jpg`, Buffer.alloc(1000, i));
    const result = await runExperiment(exp(true, data));
    expect(result.status, result.reason).toBe('passed');
    expect(result.diskChanges[0]!.restored).toBe(true);
  });
});

describe('experiment runner: processes it starts', () => {
  it('restarts a process with its command and stops it at the end', async () => {
    const exp = parseExperiment(
      'restart.yaml',
      `apiVersion: vigil/v1
kind: Experiment
title: restart a worker
targets:
  processes:
    worker: { command: [sleep, "300"], startupDelay: 100ms }
method:
  - { name: restart worker, fault: { type: restart, process: worker } }
  - { name: kill worker, fault: { type: kill, process: worker }, at: 300ms }
`,
    );
    const pids: number[] = [];
    const result = await runExperiment(exp, {
      onEvent: (e) => {
        const m = /^started process worker \(pid (\d+)\)$/.exec(e.message);
        if (m) pids.push(Number(m[1]));
      },
    });
    expect(result.status, result.reason).toBe('passed');
    expect(result.timeline.map((e) => e.message)).toEqual(
      expect.arrayContaining([
        'restart worker: restart process worker',
        'kill worker: kill process worker (SIGKILL)',
      ]),
    );
    expect(pids).toHaveLength(1);
    // The first process was replaced by the restart and is gone.
    expect(['Z', undefined]).toContain(processState(pids[0]!));
  });
});
