import { describe, expect, it } from 'vitest';
import { toxics } from '../../../chaos/proxy/index.ts';
import { seededRandom } from '../../../core/index.ts';
import { toxicConformance } from './toxic.case.ts';

const ctx = () => ({ random: seededRandom(1), state: {} as Record<string, number> });

describe('latency toxic', () => {
  toxicConformance(toxics.latency, {
    attributes: [{ latency: 0 }, { latency: 100 }, { latency: 50, jitter: 20 }],
  });

  it('delays each chunk by latency from its arrival', () => {
    const t = toxics.latency.create({ latency: 100, jitter: 0 });
    expect(t.pipe(Buffer.from('a'), 5, ctx())).toEqual([{ kind: 'write', data: Buffer.from('a'), at: 105 }]);
  });

  it('keeps jitter within ±jitter, drawn from the seeded source', () => {
    const t = toxics.latency.create({ latency: 100, jitter: 10 });
    const c = ctx();
    const delays = Array.from({ length: 200 }, () => {
      const [a] = t.pipe(Buffer.from('a'), 0, c);
      return (a as { at: number }).at;
    });
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(90);
    expect(Math.max(...delays)).toBeLessThanOrEqual(110);
    expect(new Set(delays).size).toBeGreaterThan(5);
  });

  it('refuses a negative latency', () => {
    expect(toxics.latency.attributes.safeParse({ latency: -1 }).success).toBe(false);
  });
});
