import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from '../../support/otlp-logs-receiver.ts';

/**
 * The collector is down while the agent ingests; the agent is killed with -9 while records
 * wait in its disk buffer; it restarts; the collector comes back. Every line arrives, in
 * order, with duplicates at most one batch.
 */
const fixture = new URL('../fixtures/tail-to-otlp.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'vigil-otlp-crash-'));
const children: ChildProcess[] = [];
const receiver = new OtlpReceiver();
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await receiver.stop();
  rmSync(dir, { recursive: true, force: true });
});

function startAgent(endpoint: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fixture, join(dir, 'app.log'), join(dir, 'state'), join(dir, 'buffer'), endpoint],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`agent exited early with ${code}`)));
  });
}

async function waitUntil(pred: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const lineOf = (i: number) => `{"level":30,"msg":"m${i}"}\n`;
const maxBatch = Math.ceil((64 * 1024) / lineOf(1).length) + 1;

describe('OTLP sink: collector down, agent killed, both come back', () => {
  it('delivers every line in order, duplicates at most one batch', async () => {
    const endpoint = await receiver.start();
    receiver.down(503);
    const total = 40_000;
    let written = 0;
    const write = (n: number) => {
      let text = '';
      for (let i = 0; i < n && written < total; i++) text += lineOf(++written);
      appendFileSync(join(dir, 'app.log'), text);
    };
    write(10_000);
    let agent = await startAgent(endpoint);
    for (let i = 0; i < 10; i++) {
      write(2000);
      await new Promise((r) => setTimeout(r, 30));
    }
    // Wait until the buffer holds something, then kill during ingestion.
    await waitUntil(
      () =>
        existsSync(join(dir, 'buffer')) &&
        readdirSync(join(dir, 'buffer')).some((f) => f.startsWith('segment-')),
      30_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    agent.kill('SIGKILL');
    await new Promise((r) => agent.once('exit', r));
    expect(receiver.bodies).toHaveLength(0);
    write(total);
    agent = await startAgent(endpoint);
    await new Promise((r) => setTimeout(r, 500));
    receiver.up();
    await waitUntil(() => new Set(receiver.bodies).size >= total, 90_000);
    agent.kill('SIGKILL');
    const seqs = receiver.bodies.map((b) => Number(b.slice(1)));
    const unique = new Set(seqs);
    expect(unique.size).toBe(total);
    expect(seqs.length - unique.size).toBeLessThanOrEqual(maxBatch);
    // In order: the first delivery of each line comes in line order.
    const firsts: number[] = [];
    const seen = new Set<number>();
    for (const s of seqs) {
      if (!seen.has(s)) firsts.push(s);
      seen.add(s);
    }
    for (let i = 1; i < firsts.length; i++)
      if (firsts[i]! < firsts[i - 1]!)
        throw new Error(`out of order at ${i}: ${firsts[i - 1]} then ${firsts[i]}`);
  }, 150_000);
});
