import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { readDemoInfo } from '../../examples/demo/index.ts';
import { needBinary } from '../support/requires.ts';

const vigil = fileURLToPath(new URL('../../bin/vigil.js', import.meta.url));
const noNats = needBinary('nats-server');

function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function run(args: string[]): {
  child: ChildProcess;
  exited: Promise<number | null>;
  stdout: string[];
  stderr: () => string;
} {
  const child = spawn(process.execPath, [vigil, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  let stderr = '';
  createInterface({ input: child.stdout! }).on('line', (line) => stdout.push(line));
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stdout, stderr: () => stderr };
}

async function waitForLine(
  lines: string[],
  pattern: RegExp,
  exited: Promise<unknown>,
  timeoutMs = 90_000,
): Promise<string> {
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = lines.find((l) => pattern.test(l));
    if (line) return line;
    if (done) throw new Error(`exited before printing ${pattern}: ${lines.join('\n')}`);
    if (Date.now() > deadline) throw new Error(`no line matching ${pattern} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe('vigil demo (CLI)', () => {
  it.skipIf(noNats)(
    'starts, says what runs where, and on SIGINT exits 0 leaving no process behind',
    async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'vigil-demo-cli-'));
      cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
      const demo = run(['demo', '--port', '0', '--data-dir', dataDir, '--nats', 'own', '--rate', '20']);
      cleanups.push(async () => {
        if (demo.child.exitCode === null) demo.child.kill('SIGKILL');
      });
      await waitForLine(demo.stdout, /^vigil demo ready: http:\/\/127\.0\.0\.1:\d+/, demo.exited);
      const text = demo.stdout.join('\n');
      expect(text).toMatch(/photos service\s+http:\/\/127\.0\.0\.1:\d+/);
      expect(text).toMatch(/blob store\s+http:\/\/127\.0\.0\.1:\d+/);
      expect(text).toMatch(/queue\s+nats:\/\/127\.0\.0\.1:\d+\s+own nats-server/);
      expect(text).toMatch(/worker\s+http:\/\/127\.0\.0\.1:\d+/);
      expect(text).toMatch(/traffic\s+20 req\/s/);
      expect(text).toContain(dataDir);

      const info = await readDemoInfo(dataDir);
      const pids = [
        info.s3.pid,
        info.nats.mode === 'own' ? info.nats.pid : undefined,
        info.worker.enabled ? info.worker.pid : undefined,
      ];
      expect(pids.every((pid) => isAlive(pid))).toBe(true);

      demo.child.kill('SIGINT');
      expect(await demo.exited).toBe(0);
      for (const pid of pids) expect(isAlive(pid)).toBe(false);
      expect(demo.stdout.join('\n')).toMatch(/traffic sent \d+ requests/);
      expect((await readDemoInfo(dataDir)).state).toBe('stopped');
    },
    120_000,
  );

  it('refuses a busy port with a clear message and exit code 3, starting nothing', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const port = (server.address() as { port: number }).port;
    const dataDir = await mkdtemp(join(tmpdir(), 'vigil-demo-cli-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const demo = run(['demo', '--port', String(port), '--data-dir', dataDir, '--nats', 'off']);
    expect(await demo.exited).toBe(3);
    expect(demo.stderr()).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}.*--port`));
  });

  it('refuses bad flags with a one-line usage error and exit code 2', async () => {
    for (const args of [['--rate', 'fast'], ['--nats', 'http://x'], ['--port', '-1'], ['--bogus']]) {
      const demo = run(['demo', ...args]);
      expect(await demo.exited).toBe(2);
      expect(demo.stderr().trim().split('\n')).toHaveLength(1);
    }
  });
});
