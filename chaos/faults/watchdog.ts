import { type ChildProcess, spawn } from 'node:child_process';
import { VigilError } from '../../core/index.ts';

/** What a watchdog guards: processes to resume when its owner dies or its deadline passes. */
export interface WatchdogPlan {
  /** The runner; when it is gone (even after kill -9), the watchdog resumes the processes. */
  ownerPid: number;
  /** Processes that were SIGSTOPped and must be SIGCONTed. */
  pids: number[];
  /** Epoch ms after which the processes are resumed whatever happens. */
  untilMs: number;
}

/** How often the watchdog looks at its owner: a paused process stays paused at most this long after the runner died. */
export const watchdogPollMs = 200;

/**
 * True when a process with this pid exists (signal 0 checks without sending anything).
 *
 * @example
 * isAlive(process.pid); // true
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The watchdog program, run in its own detached process: resumes the paused processes when the
 * owner dies, the deadline passes, or it is told to stop (SIGTERM, SIGINT, SIGHUP), then exits.
 * It never leaves a process stopped.
 *
 * It is self-contained (no imports, no outer variables) because it is started as `node -e
 * <its source>`: plain Node starts in tens of milliseconds, where loading TypeScript would
 * take most of a second before the pause could begin.
 *
 * @example
 * spawn(process.execPath, ['-e', watchdogSource(plan)]); // runs watchdogProgram(plan, 200)
 */
export function watchdogProgram(plan: WatchdogPlan, pollMs: number): void {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  };
  const finish = () => {
    for (const pid of plan.pids) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // already gone: nothing to resume
      }
    }
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, finish);
  // Watching from here on: say so before the first look, so the caller may pause.
  process.stdout.write('watching\n');
  const tick = () => {
    if (!alive(plan.ownerPid) || Date.now() >= plan.untilMs) finish();
    else setTimeout(tick, pollMs);
  };
  tick();
}

/**
 * The `node -e` source of the watchdog; `__name` stands in for the helper the TypeScript loader adds to named closures.
 *
 * @example
 * spawn(process.execPath, ['-e', watchdogSource({ ownerPid: process.pid, pids: [pid], untilMs })]);
 */
export function watchdogSource(plan: WatchdogPlan): string {
  return `const __name = (f) => f;\n(${watchdogProgram.toString()})(${JSON.stringify(plan)}, ${watchdogPollMs});\n`;
}

/** A running watchdog process: `release` resumes the processes (the watchdog does it) and waits for it to exit. */
export interface WatchdogHandle {
  pid: number;
  release(): Promise<void>;
}

/**
 * Starts a detached watchdog for `plan` and waits until it is watching, so a process is
 * SIGSTOPped only once something outside the runner will resume it.
 *
 * @example
 * const dog = await startWatchdog({ ownerPid: process.pid, pids: [pid], untilMs: Date.now() + 30_000 });
 * process.kill(pid, 'SIGSTOP'); ... await dog.release();
 */
export async function startWatchdog(plan: WatchdogPlan, timeoutMs = 20_000): Promise<WatchdogHandle> {
  const child: ChildProcess = spawn(process.execPath, ['-e', watchdogSource(plan)], {
    detached: true,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new VigilError('timeout', `watchdog did not start within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new VigilError('internal', `cannot start the watchdog: ${err.message}`, { cause: err }));
    });
    child.stdout!.once('data', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new VigilError('internal', `watchdog exited early with code ${code}`));
    });
  });
  child.removeAllListeners('exit');
  child.stdout!.destroy();
  child.unref();
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    pid: child.pid!,
    async release() {
      // Referenced again while we wait: an unreferenced child alone would let the event loop
      // run dry and Node exit mid-await (exit code 13).
      child.ref();
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
