import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toxics } from '../../../chaos/proxy/index.ts';
import { sliceBounds } from '../../../chaos/proxy/toxics/slicer.ts';
import { seededRandom } from '../../../core/index.ts';
import { toxicConformance } from './toxic.case.ts';

const ctx = () => ({ random: seededRandom(1), state: {} as Record<string, number> });

describe('slicer toxic', () => {
  toxicConformance(toxics.slicer, {
    attributes: [{ average_size: 1 }, { average_size: 10, size_variation: 5, delay: 1000 }],
  });

  it('cuts into average_size pieces, delay µs apart', () => {
    const t = toxics.slicer.create({ average_size: 2, size_variation: 0, delay: 1000 });
    const out = t.pipe(Buffer.from('abcdefgh'), 0, ctx());
    expect(out.map((a) => [(a as { data: Buffer }).data.toString(), (a as { at: number }).at])).toEqual([
      ['ab', 0],
      ['cd', 1],
      ['ef', 2],
      ['gh', 3],
    ]);
  });

  it('bounds are increasing and pieces stay within the variation (fuzzed)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 0, max: 99 }),
        fc.integer(),
        (size, avg, v, seed) => {
          const variation = Math.min(v, avg - 1);
          const bounds = [0, ...sliceBounds(size, avg, variation, seededRandom(seed)), size];
          for (let i = 1; i < bounds.length; i++) {
            expect(bounds[i]!).toBeGreaterThan(bounds[i - 1]!);
            expect(bounds[i]! - bounds[i - 1]!).toBeLessThanOrEqual(avg + variation);
          }
        },
      ),
      { seed: 3, numRuns: 200 },
    );
  });

  it('refuses a variation not smaller than the average', () => {
    expect(toxics.slicer.attributes.safeParse({ average_size: 5, size_variation: 5 }).success).toBe(false);
  });
});
