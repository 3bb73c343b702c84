import { describe, expect, it } from 'vitest';
import { toxics } from '../../../chaos/proxy/index.ts';
import { seededRandom } from '../../../core/index.ts';
import { toxicConformance } from './toxic.case.ts';

const ctx = () => ({ random: seededRandom(1), state: {} as Record<string, number> });

describe('slow_close toxic', () => {
  toxicConformance(toxics.slow_close, { attributes: [{ delay: 0 }, { delay: 300 }] });

  it('passes data at once and delays the end', () => {
    const t = toxics.slow_close.create({ delay: 300 });
    expect(t.pipe(Buffer.from('x'), 7, ctx())).toEqual([{ kind: 'write', data: Buffer.from('x'), at: 7 }]);
    expect((t as unknown as { end: (n: number) => unknown }).end(10)).toEqual([{ kind: 'end', at: 310 }]);
  });
});
