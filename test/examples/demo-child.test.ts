import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/index.ts';
import { SupervisedChild } from '../../examples/demo/index.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-demo-child-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

// A child that reports ready with its pid, logs a line to stderr, and then idles.
const idleChild = `process.stdout.write(JSON.stringify({ ready: true, pid: process.pid }) + '\\n');
console.error('child log line');
setInterval(() => {}, 1000);`;

describe('SupervisedChild', () => {
  it('starts, restarts after an unasked exit once its backoff passes (manual clock), and stops for good', async () => {
    const clock = new ManualClock(0);
    const readies: unknown[] = [];
    const troubles: string[] = [];
    const logFile = join(dir, 'idle.log');
    const child = new SupervisedChild(
      { name: 'idle', command: process.execPath, args: ['-e', idleChild], logFile, ready: 'json-line' },
      (info) => readies.push(info),
      (message) => troubles.push(message),
      clock,
    );
    const info = await child.start();
    expect(info['pid']).toBe(child.pid);
    expect(child.state).toBe('running');
    const first = child.pid!;

    process.kill(first, 'SIGKILL');
    await until(() => child.state === 'restarting');
    expect(troubles[0]).toMatch(/idle \(pid \d+\) exited with SIGKILL; restarting in 500 ms/);
    // Nothing happens until the backoff has passed on the child's clock.
    await clock.advance(499);
    expect(child.restarts).toBe(0);
    await clock.advance(1);
    await until(() => readies.length === 2);
    expect(child.restarts).toBe(1);
    expect(child.pid).not.toBe(first);
    expect(isAlive(child.pid)).toBe(true);

    const second = child.pid;
    await child.stop();
    expect(child.state).toBe('stopped');
    expect(isAlive(second)).toBe(false);
    // A stop is not a crash: no restart is scheduled.
    await clock.advance(60_000);
    expect(child.restarts).toBe(1);
    expect(await readFile(logFile, 'utf8')).toContain('child log line');
  });

  it('reports a child that exits before it is ready, naming its log', async () => {
    const child = new SupervisedChild({
      name: 'broken',
      command: process.execPath,
      args: ['-e', 'process.exit(4)'],
      logFile: join(dir, 'broken.log'),
      ready: 'json-line',
    });
    await expect(child.start()).rejects.toThrow(
      /broken: exited with code 4 before it was ready \(see .*broken\.log\)/,
    );
    expect(child.state).toBe('stopped');
  });

  it('reports a command that does not exist', async () => {
    const child = new SupervisedChild({
      name: 'missing',
      command: join(dir, 'no-such-binary'),
      args: [],
      logFile: join(dir, 'missing.log'),
      ready: 'json-line',
    });
    await expect(child.start()).rejects.toThrow(/missing: cannot start/);
  });

  it('stops a paused child too (SIGCONT before SIGTERM)', async () => {
    const child = new SupervisedChild({
      name: 'paused',
      command: process.execPath,
      args: ['-e', idleChild],
      logFile: join(dir, 'paused.log'),
      ready: 'json-line',
    });
    await child.start();
    const pid = child.pid!;
    process.kill(pid, 'SIGSTOP');
    await child.stop(10_000);
    expect(isAlive(pid)).toBe(false);
  });
});
