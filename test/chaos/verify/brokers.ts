import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freePort, waitForPort } from '../../support/ports.ts';

/**
 * Private broker processes for ledger tests that kill or pause them: a port and a data
 * directory of their own, so the shared brokers are never touched. `kill9` and `restart` keep
 * the port and the data directory, as an orchestrator restarting a crashed pod would.
 */
export class BrokerProcess {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly command: string,
    private readonly args: (port: number) => string[],
  ) {}

  static async start(command: string, args: (port: number) => string[]): Promise<BrokerProcess> {
    const b = new BrokerProcess(await freePort(), command, args);
    await b.restart();
    return b;
  }

  async restart(): Promise<void> {
    this.child = spawn(this.command, this.args(this.port), { stdio: 'ignore' });
    await waitForPort(this.port, '127.0.0.1', 30_000);
  }

  /** SIGKILL and wait for the process to be gone. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /**
   * SIGSTOP, then wait until the kernel reports the process stopped: a multi-threaded server
   * (Go's nats-server) keeps answering for a moment after the signal, until every thread stops.
   */
  async pause(): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    child.kill('SIGSTOP');
    for (let i = 0; i < 500; i++) {
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      // The state is the field after the parenthesised command name.
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('T')) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`pid ${child.pid} did not stop after SIGSTOP`);
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    this.resume();
    await this.kill9();
  }
}

export function natsArgs(storeDir: string): (port: number) => string[] {
  return (port) => ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir];
}

export function redisArgs(dir: string, appendfsync: 'always' | 'none'): (port: number) => string[] {
  const persistence =
    appendfsync === 'always' ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  return (port) => [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--dir',
    dir,
    ...persistence,
  ];
}
