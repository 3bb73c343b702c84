import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCursor, Scrubber } from '../../../chaos/verify/scrubber.ts';
import { systemClock } from '../../../core/index.ts';
import { collect, fill, fsStore, TempDirs } from './support.ts';

const dirs = new TempDirs();
afterAll(() => dirs.cleanup());

describe('Scrubber cursor', () => {
  it('resumes an interrupted pass where it stopped, re-reading at most the keys in flight', async () => {
    const store = fsStore(dirs.make());
    const keys = await fill(store, 500);
    const cursorFile = join(dirs.make(), 'scrub', 'cursor.json');
    const controller = new AbortController();
    const concurrency = 4;
    const first = await collect((onResult) =>
      new Scrubber({
        store,
        clock: systemClock,
        cursorFile,
        concurrency,
        checkpointEvery: 1,
        onResult: (r) => {
          onResult(r);
          if (r.key === [...keys].sort()[199]) controller.abort();
        },
      }).pass(controller.signal),
    );
    const saved = loadCursor(cursorFile);
    expect(saved.pass).toBe(1);
    expect(saved.after).not.toBeNull();
    // A new process picks the cursor up.
    const scrubber = new Scrubber({ store, clock: systemClock, cursorFile, concurrency, onResult: () => {} });
    const second = await collect((onResult) =>
      new Scrubber({ store, clock: systemClock, cursorFile, concurrency, onResult }).pass(),
    );
    expect(scrubber.position.after).toBe(saved.after);
    const seen = new Set([...first, ...second].map((r) => r.key));
    expect(seen.size).toBe(500);
    const again = second.filter((r) => first.some((f) => f.key === r.key));
    expect(again.length).toBeLessThanOrEqual(concurrency);
    expect(first.length + second.length - again.length).toBe(500);
    // The completed pass starts the next one from the beginning.
    expect(loadCursor(cursorFile)).toEqual({ version: 1, pass: 2, after: null });
  });

  it('refuses a damaged cursor file by name', async () => {
    const file = join(dirs.make(), 'cursor.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, '{"version":7}');
    expect(() => loadCursor(file)).toThrow(/cursor\.json: not a scrub cursor/);
  });
});

describe('verifiable without a walker', () => {
  it('walks a target through its bounded list(), in key order, resuming after a key', async () => {
    const { FilesystemBlobStore } = await import('../../../chaos/index.ts');
    const { verifiable } = await import('../../../chaos/verify/blob-store.ts');
    const dir = dirs.make();
    const target = new FilesystemBlobStore(dir);
    for (const k of ['b', 'a/1', 'c', 'a/2']) await target.put(k, Buffer.from(k));
    const store = verifiable(target);
    const keys: string[] = [];
    for await (const k of store.keys({ startAfter: 'a/1' })) keys.push(k);
    expect(keys).toEqual(['a/2', 'b', 'c']);
    expect(store.name).toBe('filesystem');
    expect((await store.head('c'))?.size).toBe(1);
    const small = verifiable(target, undefined, 3);
    await expect(async () => {
      for await (const _ of small.keys()) {
        // walking is enough
      }
    }).rejects.toThrow(/more than 3 objects; give the verifier a walker/);
  });
});
