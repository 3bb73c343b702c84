import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isStaleNaN, newMatcher, PersistentStore, staleNaN } from '../../../alerting/store/index.ts';
import { ManualClock } from '../../../core/index.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-store-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const all = [newMatcher('__name__', '=~', '.+')];

describe('PersistentStore', () => {
  it('keeps staleness markers distinct from plain NaN through the log after a crash', () => {
    const dir = tempDir();
    const clock = new ManualClock(0);
    const { store } = PersistentStore.open({ dir, clock });
    // Many plain doubles first, so the write buffer would be a double array if it were one.
    for (let i = 0; i < 100; i++) store.append({ __name__: 'a' }, i * 1000, i + 0.5);
    store.append({ __name__: 'a' }, 100_000, staleNaN);
    store.append({ __name__: 'b' }, 100_000, Number.NaN);
    store.flush(); // then "crash": no close, no snapshot
    const reopened = PersistentStore.open({ dir, clock });
    const [a, b] = ['a', 'b'].map(
      (name) => reopened.store.select([newMatcher('__name__', '=', name)], 0, 1e12)[0]!,
    );
    expect(isStaleNaN(a!.v[a!.v.length - 1]!)).toBe(true);
    expect(Number.isNaN(b!.v[0]!)).toBe(true);
    expect(isStaleNaN(b!.v[0]!)).toBe(false);
    reopened.store.close();
    store.close();
  });

  it('replays the log and snapshots after a clean close', () => {
    const dir = tempDir();
    const clock = new ManualClock(0);
    const first = PersistentStore.open({ dir, clock, snapshotAfterBytes: 4096 });
    for (let i = 0; i < 2000; i++) first.store.append({ __name__: 'a', i: String(i % 7) }, i * 1000, i);
    first.store.close();
    const second = PersistentStore.open({ dir, clock });
    expect(second.replay.samples).toBe(2000);
    expect(second.replay.series).toBe(7);
    expect(second.replay.discardedBytes).toBe(0);
    expect(second.store.select(all, 0, 1e12).reduce((n, s) => n + s.t.length, 0)).toBe(2000);
    second.store.close();
  });

  it('writes buffered samples on the flush timer, so a crash loses at most one interval', async () => {
    const dir = tempDir();
    const clock = new ManualClock(0);
    const { store } = PersistentStore.open({ dir, clock, flushIntervalMs: 1000 });
    store.append({ __name__: 'a' }, 1, 1);
    await clock.advance(1000);
    store.append({ __name__: 'a' }, 2, 2); // not yet flushed when we "crash" here
    const reopened = PersistentStore.open({ dir, clock });
    expect(reopened.replay.samples).toBe(1);
    reopened.store.close();
    store.close();
  });

  it('discards a torn tail and reports it, keeping every intact record before it', () => {
    const dir = tempDir();
    const { store } = PersistentStore.open({ dir });
    for (let i = 0; i < 10; i++) {
      store.append({ __name__: 'a' }, i, i);
      store.flush();
    }
    store.close();
    const wal = readdirSync(join(dir, 'wal'));
    writeFileSync(join(dir, 'wal', wal[wal.length - 1]!), Buffer.from([1, 2, 3, 4, 5]), { flag: 'a' });
    const again = PersistentStore.open({ dir });
    expect(again.replay.samples).toBe(10);
    expect(again.replay.discardedBytes).toBe(5);
    again.store.close();
  });

  it('keeps all flushed history after kill -9 in the middle of writing and snapshotting', async () => {
    const dir = tempDir();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'writer.ts'), dir, '400000'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let flushed = 0;
    let buffered = '';
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) {
          const match = /^flushed (\d+)$/.exec(line);
          if (match) flushed = Number(match[1]);
        }
        // Past a few snapshots (256 KiB each), kill it mid-stride.
        if (flushed >= 60_000) {
          child.removeAllListeners('exit');
          child.kill('SIGKILL');
          child.on('exit', () => resolve());
        }
      });
    });
    const { store, replay } = PersistentStore.open({ dir });
    expect(replay.samples).toBeGreaterThanOrEqual(flushed);
    const series = store.select(all, 0, 1e15);
    expect(series).toHaveLength(10);
    for (const s of series) {
      // Every sample is there, in order, with no gap: value === timestamp, one per second.
      for (let i = 0; i < s.t.length; i++) {
        expect(s.t[i]).toBe(i * 1000);
        expect(s.v[i]).toBe(i * 1000);
      }
    }
    store.close();
  }, 60_000);
});
