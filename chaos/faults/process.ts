import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { type Clock, systemClock, VigilError } from '../../core/index.ts';
import { isAlive, startWatchdog, type WatchdogHandle } from './watchdog.ts';

/**
 * Process faults, only on processes the experiment started or was given explicitly (by pid):
 * kill (SIGKILL), pause (SIGSTOP for a duration, then SIGCONT, guarded by a watchdog), restart.
 */

/** A process an experiment may break: given by pid, or started (and restartable) by the experiment. */
export interface ProcessTarget {
  name: string;
  pid(): number;
  /** Only for processes the experiment started: start again with the same command. */
  restart?(): Promise<void>;
}

/**
 * Linux process state letter from /proc: 'T' is stopped; undefined when gone or not Linux.
 *
 * @example
 * processState(pid) === 'T'; // stopped
 */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/**
 * A given process, by pid. It must exist now.
 *
 * @example
 * const nats = givenProcess('nats', 4242);
 */
export function givenProcess(name: string, pid: number): ProcessTarget {
  if (!Number.isInteger(pid) || pid <= 1)
    throw new VigilError('config', `process target ${name}: pid ${pid} is not a valid pid`);
  if (!isAlive(pid)) throw new VigilError('not_found', `process target ${name}: no process with pid ${pid}`);
  return { name, pid: () => pid };
}

export interface ManagedProcessOptions {
  command: string[];
  cwd?: string;
  env?: Record<string, string>;
}

/**
 * A process the experiment starts itself, so it can be restarted with its command. Its output
 * is discarded; it is stopped with `stop` at the end of the run.
 */
export class ManagedProcess implements ProcessTarget {
  private child: ChildProcess | undefined;

  constructor(
    readonly name: string,
    private readonly options: ManagedProcessOptions,
  ) {
    if (options.command.length === 0)
      throw new VigilError('config', `process target ${name}: command is empty`);
  }

  async start(): Promise<void> {
    const [cmd, ...args] = this.options.command;
    const child = spawn(cmd!, args, {
      cwd: this.options.cwd,
      env: { ...process.env, ...this.options.env },
      stdio: 'ignore',
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (err) =>
        reject(
          new VigilError('unavailable', `process target ${this.name}: cannot start ${cmd}: ${err.message}`),
        ),
      );
    });
    this.child = child;
  }

  pid(): number {
    if (!this.child?.pid) throw new VigilError('internal', `process target ${this.name} is not running`);
    return this.child.pid;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * SIGKILLs the target.
 *
 * @example
 * killProcess(givenProcess('worker', pid));
 */
export function killProcess(target: ProcessTarget): void {
  try {
    process.kill(target.pid(), 'SIGKILL');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** A paused process: resume early (rollback) or let the duration run out. */
export interface PauseHandle {
  pid: number;
  resumed: Promise<void>;
  resume(): Promise<void>;
}

/**
 * SIGSTOPs the target for `durationMs`, then SIGCONTs it. A detached watchdog started first
 * resumes it if this process dies meanwhile (even by kill -9), and at the deadline anyway.
 *
 * @example
 * const pause = await pauseProcess(target, 30_000);
 * await pause.resumed; // or: await pause.resume() to end it early
 */
export async function pauseProcess(
  target: ProcessTarget,
  durationMs: number,
  options: { clock?: Clock; watchdog?: (pids: number[], untilMs: number) => Promise<WatchdogHandle> } = {},
): Promise<PauseHandle> {
  const clock = options.clock ?? systemClock;
  const pid = target.pid();
  // The watchdog's deadline has a margin over ours, so normally the runner resumes and the watchdog only stands guard.
  const untilMs = Date.now() + durationMs + watchdogMarginMs;
  const start =
    options.watchdog ?? ((pids, until) => startWatchdog({ ownerPid: process.pid, pids, untilMs: until }));
  const dog = await start([pid], untilMs);
  process.kill(pid, 'SIGSTOP');
  try {
    await untilStopped(pid, target.name);
  } catch (err) {
    // Not paused: undo the signal and the watchdog before reporting it, so nothing stays half-done.
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // gone meanwhile
    }
    await dog.release();
    throw err;
  }
  let done = false;
  let finish!: () => void;
  const resumed = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const resume = async () => {
    if (done) return resumed;
    done = true;
    timer.cancel();
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // gone meanwhile
    }
    await dog.release();
    finish();
  };
  const timer = clock.setTimeout(() => void resume(), durationMs);
  return { pid, resumed, resume };
}

/**
 * True when every thread of `pid` is stopped (state `T` or `t` in /proc/<pid>/task/<tid>/stat).
 * The process-level state is the main thread's only: a multi-threaded server (Go's nats-server)
 * shows `T` for its main thread while other threads still answer clients, until the stop has
 * reached them all. Undefined when the process is gone or /proc cannot tell.
 *
 * @example
 * process.kill(pid, 'SIGSTOP');
 * isStopped(pid); // true once every thread has stopped
 */
export function isStopped(pid: number): boolean | undefined {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  for (const tid of tids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread exited meanwhile
    }
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state !== 'T' && state !== 't') return false;
  }
  return true;
}

/**
 * Signals are delivered asynchronously: wait until /proc shows every thread stopped, at most
 * `stopWaitMs`. A process that does not stop (a zombie, a process in uninterruptible sleep on a
 * dead disk) is an error: a pause that returned early would let the method believe a fault is
 * in place while the target still serves.
 */
async function untilStopped(pid: number, name: string): Promise<void> {
  const deadline = Date.now() + stopWaitMs;
  for (;;) {
    const stopped = isStopped(pid);
    // Gone: nothing left to pause (the caller's kill or a crash); the resume will be a no-op.
    if (stopped === undefined || stopped) return;
    if (Date.now() >= deadline) {
      throw new VigilError(
        'timeout',
        `process target ${name}: pid ${pid} did not stop within ${stopWaitMs} ms of SIGSTOP (state ${processState(pid) ?? 'gone'})`,
      );
    }
    await new Promise((r) => setTimeout(r, stopPollMs));
  }
}
/** Wall-clock bound on waiting for SIGSTOP to take effect; a healthy process stops in microseconds. */
const stopWaitMs = 5000;
const stopPollMs = 5;

/** Extra time the watchdog waits beyond the pause, so it does not race the runner's own resume. */
const watchdogMarginMs = 2000;
