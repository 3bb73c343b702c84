import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  isStopped,
  killProcess,
  ManagedProcess,
  pauseProcess,
  processState,
} from '../../../chaos/faults/process.ts';
import { startWatchdog } from '../../../chaos/faults/watchdog.ts';
import { freePort, waitForPort } from '../../support/ports.ts';
import { needBinary } from '../../support/requires.ts';
import { stopChild } from '../support/servers.ts';

const children: ReturnType<typeof spawn>[] = [];
function sleeper() {
  const child = spawn('sleep', ['300'], { stdio: 'ignore' });
  children.push(child);
  return child;
}
afterEach(async () => {
  await Promise.all(children.splice(0).map(stopChild));
});

async function until(what: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!what()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('process faults', () => {
  it('pause stops the process for the duration, then resumes it', async () => {
    const target = sleeper();
    const pause = await pauseProcess({ name: 'sleeper', pid: () => target.pid! }, 800);
    expect(processState(target.pid!)).toBe('T');
    await pause.resumed;
    expect(processState(target.pid!)).not.toBe('T');
  });

  it('resume ends a pause early (rollback)', async () => {
    const target = sleeper();
    const pause = await pauseProcess({ name: 'sleeper', pid: () => target.pid! }, 60_000);
    expect(processState(target.pid!)).toBe('T');
    await pause.resume();
    expect(processState(target.pid!)).not.toBe('T');
  });

  it('the watchdog resumes the process when its owner is killed with SIGKILL', async () => {
    const owner = sleeper();
    const target = sleeper();
    const dog = await startWatchdog({
      ownerPid: owner.pid!,
      pids: [target.pid!],
      untilMs: Date.now() + 120_000,
    });
    process.kill(target.pid!, 'SIGSTOP');
    // Signals are delivered asynchronously.
    await until(() => processState(target.pid!) === 'T');
    owner.kill('SIGKILL');
    await until(() => processState(target.pid!) !== 'T');
    await dog.release();
  });

  it('the watchdog resumes at its deadline even if the owner lives', async () => {
    const target = sleeper();
    await startWatchdog({ ownerPid: process.pid, pids: [target.pid!], untilMs: Date.now() + 1500 });
    process.kill(target.pid!, 'SIGSTOP');
    await until(() => processState(target.pid!) === 'T');
    await until(() => processState(target.pid!) !== 'T');
  });

  it('kills and restarts a process the experiment started', async () => {
    const managed = new ManagedProcess('worker', { command: ['sleep', '300'] });
    await managed.start();
    const first = managed.pid();
    await managed.restart();
    expect(managed.pid()).not.toBe(first);
    expect(processState(managed.pid())).toBeDefined();
    const second = managed.pid();
    killProcess(managed);
    await until(() => processState(second) === undefined || processState(second) === 'Z');
    await managed.stop();
  });

  it('refuses to report a pause of a process that never stops, and leaves no watchdog or signal behind', async () => {
    // A zombie cannot be stopped: its state stays Z. `sleep 0.1 &` becomes a zombie because the
    // shell execs into a sleep that never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 300'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.push(parent);
    const zombie = await new Promise<number>((resolve) =>
      parent.stdout!.once('data', (c: Buffer) => resolve(Number(c.toString().trim()))),
    );
    await until(() => processState(zombie) === 'Z');
    let released = false;
    const started = Date.now();
    await expect(
      pauseProcess({ name: 'zombie', pid: () => zombie }, 60_000, {
        watchdog: async () => ({
          pid: 0,
          release: async () => {
            released = true;
          },
        }),
      }),
    ).rejects.toThrow(/process target zombie: pid \d+ did not stop within 5000 ms of SIGSTOP \(state Z\)/);
    expect(released).toBe(true);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it.skipIf(needBinary('nats-server'))(
    'returns only once every thread of a multi-threaded server has stopped',
    async () => {
      const port = await freePort();
      const nats = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
      children.push(nats);
      await waitForPort(port, '127.0.0.1', 30_000);
      const threads = readdirSync(`/proc/${nats.pid}/task`);
      expect(threads.length).toBeGreaterThan(1);
      expect(isStopped(nats.pid!)).toBe(false);
      for (let round = 0; round < 5; round++) {
        const pause = await pauseProcess({ name: 'nats', pid: () => nats.pid! }, 60_000);
        // Every thread, not only the main one the process-level state shows.
        expect(isStopped(nats.pid!)).toBe(true);
        await pause.resume();
        await until(() => isStopped(nats.pid!) === false);
      }
    },
    60_000,
  );
});
