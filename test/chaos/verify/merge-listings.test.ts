import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareKeys } from '../../../chaos/verify/blob-store.ts';
import { forEachBounded } from '../../../chaos/verify/pool.ts';
import { mergeListings } from '../../../chaos/verify/replica-verifier.ts';

async function* from(keys: string[]) {
  yield* keys;
}

describe('compareKeys', () => {
  it('orders by UTF-8 bytes as S3 does, not by UTF-16 units', () => {
    const keys = ['😀', '\uffff', 'a', 'B'];
    expect([...keys].sort()).toEqual(['B', 'a', '😀', '\uffff']);
    expect([...keys].sort(compareKeys)).toEqual(['B', 'a', '\uffff', '😀']);
  });
});

describe('mergeListings', () => {
  it('says for every key of either sorted listing where it is (fuzzed)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.string()), fc.uniqueArray(fc.string()), async (a, b) => {
        a.sort(compareKeys);
        b.sort(compareKeys);
        const pairs = [];
        for await (const p of mergeListings(from(a), from(b))) pairs.push(p);
        const all = [...new Set([...a, ...b])].sort(compareKeys);
        expect(pairs.map((p) => p.key)).toEqual(all);
        for (const p of pairs) {
          expect(p.inA).toBe(a.includes(p.key));
          expect(p.inB).toBe(b.includes(p.key));
        }
      }),
    );
  });
});

describe('forEachBounded', () => {
  it('never runs more than the bound at once, visits every item once, and stops on abort', async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachBounded(from(Array.from({ length: 50 }, (_, i) => String(i))), 4, async (item) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setImmediate(r));
      seen.push(Number(item));
      running--;
    });
    expect(peak).toBe(4);
    expect(seen.sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const controller = new AbortController();
    let visited = 0;
    await forEachBounded(
      Array.from({ length: 1000 }, (_, i) => i),
      2,
      async () => {
        if (++visited === 10) controller.abort();
      },
      controller.signal,
    );
    expect(visited).toBeLessThan(13);
    await expect(
      forEachBounded([1, 2, 3], 2, async (n) => {
        if (n === 2) throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });
});
