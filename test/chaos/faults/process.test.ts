import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { killProcess, ManagedProcess, pauseProcess, processState } from '../../../chaos/faults/process.ts';
import { startWatchdog } from '../../../chaos/faults/watchdog.ts';
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
});
