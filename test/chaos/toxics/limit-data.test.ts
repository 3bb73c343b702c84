import { describe, expect, it } from 'vitest';
import { toxics } from '../../../chaos/proxy/index.ts';
import { seededRandom } from '../../../core/index.ts';
import { toxicConformance } from './toxic.case.ts';

const ctx = () => ({ random: seededRandom(1), state: {} as Record<string, number> });

describe('limit_data toxic', () => {
  toxicConformance(toxics.limit_data, {
    attributes: [{ bytes: 0 }, { bytes: 10 }, { bytes: 1000 }],
    lossy: true,
  });

  it('lets bytes through, drops the rest and closes', () => {
    const t = toxics.limit_data.create({ bytes: 3 });
    expect(t.pipe(Buffer.from('abcde'), 0, ctx())).toEqual([
      { kind: 'write', data: Buffer.from('abc'), at: 0 },
      { kind: 'drop', bytes: 2 },
      { kind: 'close', at: 0 },
    ]);
  });

  it('counts across chunks', () => {
    const t = toxics.limit_data.create({ bytes: 5 });
    const c = ctx();
    expect(t.pipe(Buffer.from('abc'), 0, c)).toHaveLength(1);
    expect(t.pipe(Buffer.from('def'), 0, c).map((a) => a.kind)).toEqual(['write', 'drop', 'close']);
  });
});
