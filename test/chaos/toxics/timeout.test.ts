import { describe, expect, it } from 'vitest';
import { toxics } from '../../../chaos/proxy/index.ts';
import { seededRandom } from '../../../core/index.ts';
import { toxicConformance } from './toxic.case.ts';

const ctx = () => ({ random: seededRandom(1), state: {} as Record<string, number> });

describe('timeout toxic', () => {
  toxicConformance(toxics.timeout, { attributes: [{ timeout: 0 }, { timeout: 100 }], lossy: true });

  it('drops data and re-arms its deadline on each chunk', () => {
    const t = toxics.timeout.create({ timeout: 1000 });
    expect((t as unknown as { start: (n: number) => unknown }).start(0)).toEqual([
      { kind: 'deadline', at: 1000 },
    ]);
    expect(t.pipe(Buffer.from('GET'), 5, ctx())).toEqual([
      { kind: 'drop', bytes: 3 },
      { kind: 'deadline', at: 1005 },
    ]);
  });

  it('with timeout 0 never closes', () => {
    const t = toxics.timeout.create({ timeout: 0 });
    expect(t.pipe(Buffer.from('GET'), 5, ctx())).toEqual([{ kind: 'drop', bytes: 3 }]);
  });
});
