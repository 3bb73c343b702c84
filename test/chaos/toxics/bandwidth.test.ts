import { describe, expect, it } from 'vitest';
import { toxics } from '../../../chaos/proxy/index.ts';
import { seededRandom } from '../../../core/index.ts';
import { toxicConformance } from './toxic.case.ts';

const ctx = () => ({ random: seededRandom(1), state: {} as Record<string, number> });

describe('bandwidth toxic', () => {
  toxicConformance(toxics.bandwidth, { attributes: [{ rate: 0 }, { rate: 1 }, { rate: 100 }] });

  it('sends 100 ms pieces at rate KB/s', () => {
    const t = toxics.bandwidth.create({ rate: 10 });
    const out = t.pipe(Buffer.alloc(2500), 0, ctx());
    expect(out.map((a) => [a.kind, (a as { data: Buffer }).data.length, (a as { at: number }).at])).toEqual([
      ['write', 1000, 100],
      ['write', 1000, 200],
      ['write', 500, 250],
    ]);
  });

  it('holds the cap across chunks', () => {
    const t = toxics.bandwidth.create({ rate: 1 });
    const c = ctx();
    t.pipe(Buffer.alloc(100), 0, c);
    const [second] = t.pipe(Buffer.alloc(100), 10, c);
    expect((second as { at: number }).at).toBe(200);
  });
});
