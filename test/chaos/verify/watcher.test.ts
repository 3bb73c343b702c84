import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { BlobStore } from '../../../chaos/verify/blob-store.ts';
import { replayJournal } from '../../../chaos/verify/journal.ts';
import type { VerifyResult } from '../../../chaos/verify/report.ts';
import { Watcher } from '../../../chaos/verify/watcher.ts';
import { isVigilError, ManualClock } from '../../../core/index.ts';
import { fsStore } from './support.ts';

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;
const week = 7 * day;
const start = Date.parse('2026-11-23T00:00:00Z');

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'vigil-watch-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Steps the clock from due time to due time, running read-backs, until `until`. */
async function runUntil(clock: ManualClock, watcher: Watcher, until: number): Promise<void> {
  for (let guard = 0; guard < 1_000_000; guard++) {
    const due = watcher.nextDueAt();
    if (due === undefined || due > until) break;
    await clock.advanceTo(Math.max(due, clock.now()));
    await watcher.runDue();
  }
  await clock.advanceTo(until);
}

describe('Watcher on a simulated week', () => {
  it('runs every 1m/1h/1d/1w read-back of a week of writes, and finds the damage done in between', async () => {
    const clock = new ManualClock(start);
    const store = fsStore(tempDir());
    const results: VerifyResult[] = [];
    const watcher = Watcher.open({ store, clock, journalDir: tempDir(), onResult: (r) => results.push(r) });
    // One synthetic write every 30 minutes for a week: 336 writes, 1344 read-backs.
    const keys: string[] = [];
    for (let t = start; t < start + week; t += 30 * minute) {
      await runUntil(clock, watcher, t);
      keys.push((await watcher.writeSynthetic(64)).key);
    }
    // Damage two objects after their hour check: the day and week checks must see it.
    const damagedAt = clock.now();
    const corrupted = keys[0]!;
    const deleted = keys[1]!;
    writeFileSync(join(store.root, corrupted), Buffer.alloc(64, 1));
    await store.delete(deleted);
    await runUntil(clock, watcher, start + 3 * week);
    expect(watcher.pending).toBe(0);
    expect(results).toHaveLength(keys.length * 4);
    const bad = results.filter((r) => r.verdict !== 'ok');
    const expectedBad = results.filter(
      (r) => (r.key === corrupted || r.key === deleted) && r.at >= damagedAt,
    );
    expect(bad).toEqual(expectedBad);
    expect(bad.map((r) => [r.key, r.verdict])).toEqual(
      expect.arrayContaining([
        [corrupted, 'corrupt'],
        [deleted, 'missing'],
      ]),
    );
    // Every check ran at its due time exactly: the clock only moved from due time to due time.
    for (const r of results.filter((x) => x.verdict === 'ok').slice(0, 50)) {
      expect([minute, hour, day, week]).toContain(r.ageMs);
    }
    await watcher.close();
  });

  it('a restart mid-week loses no read-back and runs the overdue ones first', async () => {
    const clock = new ManualClock(start);
    const store = fsStore(tempDir());
    const journalDir = tempDir();
    const results: VerifyResult[] = [];
    const first = Watcher.open({
      store,
      clock,
      journalDir,
      onResult: (r) => results.push(r),
      compactEvery: 100,
    });
    let writes = 0;
    for (let t = start; t < start + 3 * day; t += hour) {
      await runUntil(clock, first, t);
      await first.writeSynthetic(32);
      writes++;
    }
    // The first process dies without closing: only what it committed survives.
    const pendingAtCrash = first.pending;
    // Two days pass with nobody watching.
    await clock.advance(2 * day);
    const second = Watcher.open({ store, clock, journalDir, onResult: (r) => results.push(r) });
    expect(second.recovered).toBe(pendingAtCrash);
    expect(second.overdueMs()).toBeGreaterThan(2 * day - hour);
    const before = results.length;
    await second.runDue();
    const overdue = results.slice(before);
    // Overdue ones first, oldest due time first.
    const dues = overdue.map((r) => r.at);
    expect(dues.every((d) => d === clock.now())).toBe(true);
    await runUntil(clock, second, clock.now() + 2 * week);
    expect(second.pending).toBe(0);
    expect(results).toHaveLength(writes * 4);
    expect(new Set(results.map((r) => `${r.key}@${r.ageMs}`)).size).toBe(writes * 4);
    expect(results.every((r) => r.verdict === 'ok')).toBe(true);
    await second.close();
  });
});

describe('Watcher retries', () => {
  function flaky(inner: BlobStore, failures: Map<string, number>): BlobStore {
    return {
      kind: inner.kind,
      list: (p, l) => inner.list(p, l),
      head: (k) => inner.head(k),
      put: (k, b) => inner.put(k, b),
      delete: (k) => inner.delete(k),
      close: () => inner.close(),
      async get(k) {
        const left = failures.get(k) ?? 0;
        if (left > 0) {
          failures.set(k, left - 1);
          throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
        }
        return inner.get(k);
      },
    };
  }

  it('retries an unreadable read and counts it unreadable only after the last attempt', async () => {
    const clock = new ManualClock(start);
    const inner = fsStore(tempDir());
    const failures = new Map<string, number>();
    const results: VerifyResult[] = [];
    const watcher = Watcher.open({
      store: flaky(inner, failures),
      clock,
      journalDir: tempDir(),
      agesMs: [minute],
      retry: { attempts: 3, delayMs: 1000 },
      onResult: (r) => results.push(r),
    });
    const healed = await watcher.writeSynthetic(10);
    const broken = await watcher.writeSynthetic(10);
    failures.set(healed.key, 2);
    failures.set(broken.key, 3);
    await runUntil(clock, watcher, start + hour);
    const verdictOf = new Map(results.map((r) => [r.key, r]));
    expect(results).toHaveLength(2);
    expect(verdictOf.get(healed.key)?.verdict).toBe('ok');
    expect(verdictOf.get(broken.key)?.verdict).toBe('unreadable');
    expect(verdictOf.get(broken.key)!.detail).toContain('after 3 attempts');
    await watcher.close();
  });
});

describe('replayJournal', () => {
  const w = { key: 'k', sha256: 'a'.repeat(64), size: 1, writtenAt: 0 };
  it('applies writes, retries and verdicts, ignoring a torn last line', () => {
    const text = [
      JSON.stringify({ n: 1, r: 'w', seq: 1, write: w, ages: [10, 20] }),
      JSON.stringify({ n: 2, r: 'd', id: '1/0' }),
      JSON.stringify({ n: 3, r: 't', id: '1/1', attempt: 2, dueAt: 99 }),
      '{"n":4,"r":"d","id":"1/',
    ].join('\n');
    const s = replayJournal(undefined, text, 'j');
    expect(s.tornTail).toBe(true);
    expect(s.pending).toEqual([{ ...w, id: '1/1', seq: 1, ageMs: 20, dueAt: 99, attempt: 2 }]);
    expect(s.nextSeq).toBe(2);
  });
  it('skips records already folded into the snapshot', () => {
    const snap = JSON.stringify({ version: 1, lsn: 2, nextSeq: 2, pending: [] });
    const text = `${JSON.stringify({ n: 1, r: 'w', seq: 1, write: w, ages: [10] })}\n`;
    expect(replayJournal(snap, text, 'j').pending).toEqual([]);
  });
  it('refuses a damaged middle line with its line number, and never throws anything but a VigilError', () => {
    expect(() => replayJournal(undefined, 'garbage\n{"n":1}\n', 'j.log')).toThrow(/j\.log:1/);
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          replayJournal(undefined, text, 'j');
        } catch (err) {
          if (!isVigilError(err)) throw err;
        }
      }),
    );
  });
});

describe('journal lock', () => {
  it('refuses a journal held by another live process and takes over a dead one', async () => {
    const { spawn } = await import('node:child_process');
    const journalDir = tempDir();
    const store = fsStore(tempDir());
    const holder = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      writeFileSync(join(journalDir, 'lock'), `${holder.pid}\n`);
      expect(() => Watcher.open({ store, clock: new ManualClock(0), journalDir })).toThrow(
        /watcher journal in use by process \d+/,
      );
    } finally {
      const gone = new Promise((r) => holder.once('exit', r));
      holder.kill('SIGKILL');
      await gone;
    }
    const watcher = Watcher.open({ store, clock: new ManualClock(0), journalDir });
    await watcher.close();
  });
});
