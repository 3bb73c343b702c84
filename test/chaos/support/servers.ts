import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from '../../support/ports.ts';

/** A private redis-server on a free port, for tests that break connections to it. */
export async function startRedis(): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'vigil-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    {
      stdio: 'ignore',
    },
  );
  await waitForPort(port);
  return { port, stop: () => stopChild(child).then(() => rmSync(dir, { recursive: true, force: true })) };
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** A raw TCP client that records what it receives, for byte-exact assertions. */
export class RawClient {
  readonly socket: Socket;
  readonly chunks: Buffer[] = [];
  ended = false;
  error: NodeJS.ErrnoException | undefined;
  private readonly ready: Promise<void>;

  constructor(port: number) {
    this.socket = connect({ port, host: '127.0.0.1' });
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('error', reject);
    });
    this.socket.on('data', (c: Buffer) => this.chunks.push(c));
    this.socket.on('end', () => {
      this.ended = true;
    });
    this.socket.on('error', (e: NodeJS.ErrnoException) => {
      this.error = e;
    });
  }

  connected(): Promise<void> {
    return this.ready;
  }

  get received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  send(text: string | Buffer): void {
    this.socket.write(text);
  }

  /** Resolves when the received bytes satisfy `done`, or rejects after `timeoutMs`. */
  async waitFor(done: (b: Buffer) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.received)) {
      if (Date.now() > deadline) throw new Error(`timed out; received ${this.received.length} bytes`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async waitClosed(timeoutMs = 10_000): Promise<void> {
    if (this.socket.destroyed) return;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('socket did not close')), timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Times one Redis PING round trip through `client`. */
export async function pingMs(client: RawClient): Promise<number> {
  const before = client.received.length;
  const start = performance.now();
  client.send('PING\r\n');
  await client.waitFor((b) => b.subarray(before).toString().includes('+PONG\r\n'));
  return performance.now() - start;
}
