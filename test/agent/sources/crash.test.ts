import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * kill -9 during heavy ingestion, then restart: zero lines lost, duplicates at most one
 * batch (the records of one 64 KiB read). The writer keeps appending, and rotates the file
 * by rename both while the agent is dead and while it runs.
 */

const fixture = new URL('../fixtures/tail-to-file.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'vigil-crash-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function startAgent(): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fixture, join(dir, 'app.log*'), join(dir, 'state'), join(dir, 'out.jsonl')],
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

const lineOf = (i: number) => `{"level":30,"seq":${i},"msg":"request handled in some milliseconds"}\n`;
/** Records per batch at most: a 64 KiB read of ~70-byte lines. */
const maxBatch = Math.ceil((64 * 1024) / lineOf(1).length) + 1;

/**
 * Sequence numbers of the complete lines of the output. While the agent runs, a read can
 * catch its write half done, so the text after the last newline is not a record yet.
 */
function outputSeqs(): number[] {
  if (!existsSync(join(dir, 'out.jsonl'))) return [];
  const text = readFileSync(join(dir, 'out.jsonl'), 'utf8');
  const seqs: number[] = [];
  for (const line of text.slice(0, text.lastIndexOf('\n') + 1).split('\n')) {
    if (line) seqs.push((JSON.parse(line) as { attributes: { seq: number } }).attributes.seq);
  }
  return seqs;
}

async function waitUntil(pred: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('file source: crash and restart', () => {
  it('loses nothing and repeats at most one batch after kill -9', async () => {
    const log = join(dir, 'app.log');
    const total = 120_000;
    let written = 0;
    const write = (n: number) => {
      let text = '';
      for (let i = 0; i < n && written < total; i++) text += lineOf(++written);
      appendFileSync(log, text);
    };
    write(20_000);
    let agent = await startAgent();
    // Heavy ingestion: keep writing while the agent reads, then kill it mid-way.
    while (outputSeqs().length < 10_000) {
      write(2000);
      await new Promise((r) => setTimeout(r, 20));
    }
    // Kill it with lines still unread: a fast agent can catch up between polls, so append a
    // batch far larger than one read right before the signal (CI once saw it caught up).
    write(10_000);
    agent.kill('SIGKILL');
    await new Promise((r) => agent.once('exit', r));
    const beforeRestart = outputSeqs().length;
    expect(beforeRestart).toBeLessThan(written);
    // While the agent is down: more lines, and a rotation by rename.
    write(20_000);
    renameSync(log, join(dir, 'app.log.1'));
    write(20_000);
    agent = await startAgent();
    let rotated = false;
    while (written < total) {
      write(5000);
      // And once more by rename while the agent runs and the writer writes.
      if (!rotated && written >= 90_000) {
        renameSync(log, join(dir, 'app.log.2'));
        rotated = true;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitUntil(() => new Set(outputSeqs()).size >= total, 60_000);
    agent.kill('SIGKILL');
    await new Promise((r) => agent.once('exit', r));
    const seqs = outputSeqs();
    const unique = new Set(seqs);
    expect(unique.size).toBe(total);
    for (let i = 1; i <= total; i++) if (!unique.has(i)) throw new Error(`line ${i} lost`);
    const duplicates = seqs.length - unique.size;
    expect(duplicates).toBeLessThanOrEqual(maxBatch);
  }, 120_000);
});
