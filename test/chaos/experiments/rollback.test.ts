import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyServer, processState, startProxyServer } from '../../../chaos/index.ts';
import { main } from '../../../cli/main.ts';
import { freePort } from '../../support/ports.ts';
import { needBinary } from '../../support/requires.ts';
import { startRedis, stopChild } from '../support/servers.ts';

const missing = needBinary('redis-server', 'redis-server');
const repo = new URL('../../../', import.meta.url).pathname;

/**
 * Guaranteed rollback, for each way the runner can end: success, failure, error, SIGINT,
 * SIGTERM and kill -9. The runner is the real CLI (`vigil gate chaos`) in a child process; the
 * proxy and the paused process live outside it, as in production.
 */
describe.skipIf(missing)('rollback for every way of dying', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let server: ProxyServer;
  let dir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    server = await startProxyServer({ port: 0, seed: 1 });
    await server.collection.create({
      name: 'redis',
      listen: '127.0.0.1:0',
      upstream: `127.0.0.1:${redis.port}`,
      enabled: true,
    });
    dir = mkdtempSync(join(tmpdir(), 'vigil-rollback-'));
  });
  afterAll(async () => {
    await server?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await Promise.all(children.splice(0).map(stopChild));
    await server.collection.reset();
  });

  function sleeper(): number {
    const c = spawn('sleep', ['300'], { stdio: 'ignore' });
    children.push(c);
    return c.pid!;
  }

  function write(
    name: string,
    o: { pid: number; duration: string; extraTargets?: string; conditions?: string; extraSteps?: string },
  ): string {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      `apiVersion: vigil/v1
kind: Experiment
title: ${name}
leaseTtl: 2s
targets:
  proxy: { api: "${server.url}" }
  processes:
    victim: { pid: ${o.pid} }
${o.extraTargets ?? ''}
steadyState:
  interval: 300ms
  recovery: 1s
  conditions: [${o.conditions ?? ''}]
method:
  - name: blackhole
    fault: { type: toxic, proxy: redis, toxic: { type: timeout, attributes: { timeout: 0 } } }
    duration: ${o.duration}
  - name: freeze
    fault: { type: pause, process: victim }
    duration: ${o.duration}
${o.extraSteps ?? ''}`,
    );
    return file;
  }

  function runner(
    file: string,
    extra: string[] = [],
  ): { child: ChildProcess; exit: Promise<number | string>; out: () => string } {
    const child = spawn(process.execPath, ['bin/vigil.js', 'gate', 'chaos', file, ...extra], {
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
    const exit = new Promise<number | string>((resolve) =>
      child.once('exit', (code, signal) => resolve(code ?? signal!)),
    );
    return { child, exit, out: () => out };
  }

  const toxics = () => server.collection.get('redis').toxics().length;

  async function until(what: () => boolean, timeoutMs: number, label: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!what()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for: ${label}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function injected(pid: number): Promise<void> {
    await until(() => toxics() === 1 && processState(pid) === 'T', 90_000, 'faults injected');
  }

  function clean(pid: number): void {
    expect(toxics()).toBe(0);
    expect(processState(pid)).not.toBe('T');
  }

  // Each test starts the real CLI, which loads TypeScript first: slow on a busy 2-core machine.
  const spawnTimeout = 120_000;

  it(
    'success: exit 0, reports written, nothing left',
    async () => {
      const pid = sleeper();
      const file = write('success', { pid, duration: '600ms' });
      const json = join(dir, 'success.json');
      const junit = join(dir, 'success.xml');
      const r = runner(file, ['--json', json, '--junit', junit]);
      expect(await r.exit, r.out()).toBe(0);
      clean(pid);
      const report = JSON.parse(readFileSync(json, 'utf8'));
      expect(report).toMatchObject({ kind: 'ChaosReport', exitCode: 0, status: 'passed' });
      expect(readFileSync(junit, 'utf8')).toContain(
        '<testsuite name="success" tests="3" failures="0" errors="0"',
      );
      expect(r.out()).toMatch(/inject\s+blackhole: toxic timeout on proxy redis/);
    },
    spawnTimeout,
  );

  it(
    'failure: exit 1 naming why, nothing left',
    async () => {
      const pid = sleeper();
      const closed = await freePort();
      const file = write('failure', {
        pid,
        duration: '400ms',
        conditions: `{ name: "api answers", probe: { http: { url: "http://127.0.0.1:${closed}/", timeout: 300ms } }, phases: [after] }`,
      });
      const junit = join(dir, 'failure.xml');
      const r = runner(file, ['--junit', junit]);
      expect(await r.exit, r.out()).toBe(1);
      clean(pid);
      expect(r.out()).toMatch(
        /result: FAILED: steady state violated: after: api answers: 0\/1 healthy \(no answer\)/,
      );
      expect(readFileSync(junit, 'utf8')).toContain('<failure message="after: api answers');
    },
    spawnTimeout,
  );

  it(
    'error: exit 3, faults injected before the error are put back',
    async () => {
      const pid = sleeper();
      const file = write('error', {
        pid,
        duration: '60s',
        extraTargets: '    gone: { pid: 4194000 }',
        extraSteps: '  - { name: kill gone, fault: { type: kill, process: gone }, at: 300ms }',
      });
      const r = runner(file);
      expect(await r.exit, r.out()).toBe(3);
      clean(pid);
      expect(r.out()).toMatch(/no process with pid 4194000/);
    },
    spawnTimeout,
  );

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(
      `${signal}: stops, puts everything back, exits ${code}`,
      async () => {
        const pid = sleeper();
        const r = runner(write(signal, { pid, duration: '60s' }));
        await injected(pid);
        r.child.kill(signal);
        expect(await r.exit, r.out()).toBe(code);
        clean(pid);
      },
      spawnTimeout,
    );
  }

  it(
    'kill -9: the lease expires and the watchdog resumes the process',
    async () => {
      const pid = sleeper();
      const r = runner(write('kill9', { pid, duration: '60s' }));
      await injected(pid);
      r.child.kill('SIGKILL');
      expect(await r.exit).toBe('SIGKILL');
      // Lease of 2 s, swept every 0.5 s; the watchdog polls every 0.2 s. Generous bounds for a loaded machine.
      await until(() => processState(pid) !== 'T', 10_000, 'process resumed by the watchdog');
      await until(() => toxics() === 0, 15_000, 'leased toxic removed');
      clean(pid);
    },
    spawnTimeout,
  );
});

describe('vigil gate', () => {
  function io() {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    stdout.on('data', (d) => {
      out += d;
    });
    stderr.on('data', (d) => {
      out += d;
    });
    return { io: { stdout, stderr, env: {}, signal: new AbortController().signal }, out: () => out };
  }

  it('exits 2 on a bad file, naming the problem', async () => {
    const d = mkdtempSync(join(tmpdir(), 'vigil-gate-'));
    const file = join(d, 'bad.yaml');
    writeFileSync(file, 'apiVersion: vigil/v1\nkind: Experiment\ntitle: x\nmethod: []\n');
    const c = io();
    expect(await main(['gate', 'chaos', file], c.io)).toBe(2);
    expect(c.out()).toMatch(/bad\.yaml:4: method: /);
    const missingFile = io();
    expect(await main(['gate', 'chaos', join(d, 'nope.yaml')], missingFile.io)).toBe(2);
    expect(missingFile.out()).toMatch(/cannot read config: no such file/);
    expect(await main(['gate', 'nope'], io().io)).toBe(2);
    rmSync(d, { recursive: true, force: true });
  });

  it('dry run prints the plan and exits 0', async () => {
    const d = mkdtempSync(join(tmpdir(), 'vigil-gate-'));
    const file = join(d, 'ok.yaml');
    writeFileSync(
      file,
      'apiVersion: vigil/v1\nkind: Experiment\ntitle: x\ntargets:\n  processes: { w: { pid: 1234 } }\nmethod:\n  - fault: { type: kill, process: w }\n',
    );
    const c = io();
    expect(await main(['chaos', 'run', file, '--dry-run'], c.io)).toBe(0);
    expect(c.out()).toContain('method +0s: inject kill#0: kill process w (SIGKILL)');
    rmSync(d, { recursive: true, force: true });
  });
});
