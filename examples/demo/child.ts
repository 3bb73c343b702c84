import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Clock, systemClock, VigilError } from '../../core/index.ts';

/**
 * A child process the demo owns: started, watched, restarted when it dies unasked, and stopped
 * for good with SIGTERM then SIGKILL, always awaited. Chaos experiments kill these children on
 * purpose (pids are in demo.json); the supervisor brings them back the way an orchestrator
 * such as Kubernetes would, so an experiment can watch the system recover.
 */
export interface ChildSpec {
  /** Short name for logs and demo.json: "worker", "s3", "nats". */
  name: string;
  command: string;
  args: string[];
  /** Appends the child's stdout and stderr to this file. */
  logFile: string;
  /**
   * How to know the child is ready. 'json-line': the child prints one JSON object on stdout
   * whose `ready` is true (vigil's own children); a function: polled until it resolves.
   */
  ready: 'json-line' | (() => Promise<void>);
  /** Give the child a stdin pipe: vigil's children exit when it closes (their parent died). */
  stdinLifeline?: boolean;
  readyTimeoutMs?: number;
}

export type ChildState = 'starting' | 'running' | 'restarting' | 'stopped';

/** The ready report of a `json-line` child, or `{}`. */
export type ReadyInfo = Record<string, unknown>;

// Backoff between restarts, doubling from the first to the last value; reset once a child has
// stayed up for `stableMs`, so a child that crashes in a loop is not restarted in a hot loop.
const firstBackoffMs = 500;
const maxBackoffMs = 10_000;
const stableMs = 30_000;

// Last line of defence: if this process exits without stopping its children (a second Ctrl-C,
// the CLI's forced exit after its grace period, an uncaught error), they get SIGTERM from a
// synchronous 'exit' hook. vigil's own children would also see their stdin close, but a
// nats-server has no such lifeline. One hook for all children, installed on first use.
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(proc: ChildProcess): void {
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const p of live) {
      try {
        p.kill('SIGCONT');
        p.kill('SIGTERM');
      } catch {
        // already gone
      }
    }
  });
}

/** The `node` arguments that run a TypeScript entry through tsx, independent of the cwd. */
export function tsNodeArgs(entry: URL): string[] {
  return ['--import', import.meta.resolve('tsx'), fileURLToPath(entry)];
}

export class SupervisedChild {
  state: ChildState = 'stopped';
  restarts = 0;
  private proc: ChildProcess | undefined;
  private stopping = false;
  private backoffMs = firstBackoffMs;
  private startedAt = 0;
  private restartTimer: { cancel(): void } | undefined;

  constructor(
    readonly spec: ChildSpec,
    /** Called with the ready info after every (re)start, to update demo.json. */
    private readonly onReady: (info: ReadyInfo, child: SupervisedChild) => void = () => {},
    /** Called when the child died unasked or failed to restart. */
    private readonly onTrouble: (message: string) => void = () => {},
    private readonly clock: Clock = systemClock,
  ) {}

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Starts the child and resolves with its ready info; rejects if it exits or times out first. */
  async start(): Promise<ReadyInfo> {
    this.stopping = false;
    this.state = 'starting';
    const { spec } = this;
    const logFd = openSync(spec.logFile, 'a');
    let proc: ChildProcess;
    try {
      proc = spawn(spec.command, spec.args, {
        stdio: [spec.stdinLifeline ? 'pipe' : 'ignore', spec.ready === 'json-line' ? 'pipe' : logFd, logFd],
        // A process group of its own: Ctrl-C in a terminal signals the whole foreground group,
        // and the children must be stopped by the demo in order (worker before NATS), not all
        // at once behind its back, which would look like crashes and trigger restarts.
        detached: true,
      });
    } finally {
      // The child holds its own copy of the descriptor.
      closeSync(logFd);
    }
    this.proc = proc;
    track(proc);
    this.startedAt = this.clock.now();
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const spawnFailed = new Promise<never>((_, reject) =>
      proc.once('error', (err) =>
        reject(
          new VigilError('unavailable', `${spec.name}: cannot start ${spec.command}: ${err.message}`, {
            cause: err,
          }),
        ),
      ),
    );
    const exitedEarly = exited.then(() => {
      throw new VigilError(
        'unavailable',
        `${spec.name}: exited with code ${proc.exitCode ?? proc.signalCode} before it was ready (see ${spec.logFile})`,
      );
    });
    const timeoutMs = spec.readyTimeoutMs ?? 30_000;
    let timer: { cancel(): void } | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = this.clock.setTimeout(
        () =>
          reject(
            new VigilError('timeout', `${spec.name}: not ready after ${timeoutMs} ms (see ${spec.logFile})`),
          ),
        timeoutMs,
      );
    });
    try {
      const info = await Promise.race([this.waitReady(proc), spawnFailed, exitedEarly, timedOut]);
      this.state = 'running';
      proc.once('exit', (code, signal) => this.onExit(proc, code, signal));
      this.onReady(info, this);
      return info;
    } catch (err) {
      await this.kill(proc, 2_000);
      this.state = 'stopped';
      throw err;
    } finally {
      timer?.cancel();
      // Keep the losing promises from turning into unhandled rejections.
      spawnFailed.catch(() => {});
      exitedEarly.catch(() => {});
      timedOut.catch(() => {});
    }
  }

  /** Stops the child for good (no restart) and waits until it has exited. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopping = true;
    this.restartTimer?.cancel();
    const proc = this.proc;
    if (proc) await this.kill(proc, graceMs);
    this.state = 'stopped';
  }

  private async waitReady(proc: ChildProcess): Promise<ReadyInfo> {
    const { spec } = this;
    if (spec.ready !== 'json-line') {
      await spec.ready();
      return {};
    }
    const stdout = proc.stdout!;
    const lines = createInterface({ input: stdout });
    return new Promise<ReadyInfo>((resolve) => {
      lines.on('line', (line) => {
        try {
          const parsed = JSON.parse(line) as ReadyInfo;
          if (parsed && parsed['ready'] === true) {
            lines.close();
            // Anything the child prints later still has to be drained, or it would block on a full pipe.
            stdout.resume();
            resolve(parsed);
          }
        } catch {
          // Not the ready line: children log to stderr, so this is stray output; ignore it.
        }
      });
    });
  }

  private onExit(proc: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping || proc !== this.proc) return;
    const ranMs = this.clock.now() - this.startedAt;
    if (ranMs >= stableMs) this.backoffMs = firstBackoffMs;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(maxBackoffMs, this.backoffMs * 2);
    this.state = 'restarting';
    this.onTrouble(
      `${this.spec.name} (pid ${proc.pid}) exited with ${signal ?? `code ${code}`}; restarting in ${delay} ms`,
    );
    this.restartTimer = this.clock.setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      this.restarts++;
      this.start().catch((err: Error) => {
        this.onTrouble(`${this.spec.name}: restart failed: ${err.message}`);
        if (!this.stopping) this.onExit(this.proc!, null, null);
      });
    }, delay);
  }

  private async kill(proc: ChildProcess, graceMs: number): Promise<void> {
    // No pid: spawning failed (ENOENT), there is no process to wait for.
    if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    // A child paused by a chaos experiment (SIGSTOP) acts on the pending SIGTERM only once continued.
    proc.kill('SIGCONT');
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
