import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { VerifyResult } from '../../../chaos/verify/report.ts';
import { Watcher } from '../../../chaos/verify/watcher.ts';
import { ManualClock } from '../../../core/index.ts';
import { fsStore } from './support.ts';

const dirs: string[] = [];
let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('Watcher after kill -9', () => {
  it('keeps every read-back of every write it acknowledged', async () => {
    const storeDir = mkdtempSync(join(tmpdir(), 'vigil-crash-store-'));
    const journalDir = mkdtempSync(join(tmpdir(), 'vigil-crash-journal-'));
    dirs.push(storeDir, journalDir);
    const script = new URL('./fixtures/watch-child.ts', import.meta.url).pathname;
    child = spawn(process.execPath, ['--import', 'tsx', script, storeDir, journalDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const acknowledged: string[] = [];
    let partial = '';
    // Kill it once it has acknowledged a few hundred writes (and compacted a few times on the way).
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`child acknowledged only ${acknowledged.length} writes`)),
        60_000,
      );
      child!.stdout!.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop()!;
        acknowledged.push(...lines);
        if (acknowledged.length >= 300) {
          clearTimeout(timer);
          child!.kill('SIGKILL');
          resolve();
        }
      });
      child!.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    await new Promise<void>((resolve) => {
      if (child!.exitCode !== null || child!.signalCode !== null) resolve();
      else child!.once('exit', () => resolve());
    });
    expect(child.signalCode).toBe('SIGKILL');

    // A day and an hour later, a new watcher replays the journal and runs what is overdue.
    const clock = new ManualClock(Date.now() + 86_400_000 + 3_600_000);
    const results: VerifyResult[] = [];
    const watcher = Watcher.open({
      store: fsStore(storeDir),
      clock,
      journalDir,
      agesMs: [3_600_000, 86_400_000],
      onResult: (r) => results.push(r),
    });
    expect(watcher.recovered).toBeGreaterThanOrEqual(acknowledged.length * 2);
    await watcher.runDue();
    const checked = new Set(results.map((r) => `${r.key}@${r.ageMs}`));
    for (const key of acknowledged) {
      expect(checked.has(`${key}@3600000`)).toBe(true);
      expect(checked.has(`${key}@86400000`)).toBe(true);
    }
    // Nothing was damaged, so nothing may be reported (a write cut short by the kill is never journaled).
    expect(results.filter((r) => r.verdict !== 'ok')).toEqual([]);
    expect(watcher.pending).toBe(0);
    await watcher.close();
  });
});
