import { describe, expect, it } from 'vitest';
import { toxics } from '../../../chaos/proxy/index.ts';
import { seededRandom } from '../../../core/index.ts';
import { toxicConformance } from './toxic.case.ts';

const ctx = () => ({ random: seededRandom(1), state: {} as Record<string, number> });

describe('reset_peer toxic', () => {
  toxicConformance(toxics.reset_peer, { attributes: [{ timeout: 0 }, { timeout: 50 }], lossy: true });

  it('resets timeout ms after the first chunk, once', () => {
    const t = toxics.reset_peer.create({ timeout: 20 });
    const c = ctx();
    expect(t.pipe(Buffer.from('PING'), 7, c)).toEqual([
      { kind: 'drop', bytes: 4 },
      { kind: 'reset', at: 27 },
    ]);
    expect(t.pipe(Buffer.from('PING'), 8, c)).toEqual([{ kind: 'drop', bytes: 4 }]);
  });
});
