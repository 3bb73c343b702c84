import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { newMatcher, PersistentStore } from '../../../alerting/store/index.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('appendRef', () => {
  it('logs a series created by reference once, and replays its samples', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-append-ref-'));
    dirs.push(dir);
    let { store } = PersistentStore.open({ dir });
    const labels = { __name__: 'jobs_total', queue: 'a' };
    const ref = store.appendRef(0, labels, 1000, 1);
    expect(store.appendRef(ref, labels, 2000, 2)).toBe(ref);
    // A reference that names no series falls back to the labels.
    expect(store.appendRef(9999, labels, 3000, 3)).toBe(ref);
    // Out of order by reference: refused and counted, the reference stays.
    expect(store.appendRef(ref, labels, 2500, 9)).toBe(ref);
    expect(store.memory.getStats().outOfOrder).toBe(1);
    store.close();
    ({ store } = PersistentStore.open({ dir }));
    const [series] = store.select([newMatcher('queue', '=', 'a')], 0, Number.MAX_SAFE_INTEGER);
    expect(Array.from(series!.t)).toEqual([1000, 2000, 3000]);
    expect(Array.from(series!.v)).toEqual([1, 2, 3]);
    expect(store.memory.getStats().series).toBe(1);
    store.close();
  });
});
