import { describe, expect, it } from 'vitest';
import { Pacer, TokenBucket } from '../../../chaos/verify/rate-limit.ts';
import { ManualClock } from '../../../core/index.ts';

describe('TokenBucket', () => {
  it('lets a burst through, then paces at the rate', () => {
    const b = new TokenBucket(10);
    for (let i = 0; i < 10; i++) expect(b.reserve(0)).toBe(0);
    expect(b.reserve(0)).toBe(100);
    expect(b.reserve(0)).toBe(200);
    // after a full second the debt of two is paid and 8 tokens are back
    expect(b.reserve(1000)).toBe(0);
  });
  it('never holds more than the burst', () => {
    const b = new TokenBucket(1, 2);
    expect(b.reserve(1_000_000, 2)).toBe(0);
    expect(b.reserve(1_000_000, 1)).toBe(1000);
  });
});

describe('Pacer', () => {
  it('takes 10 simulated seconds for 100 objects at 10/s past the burst', async () => {
    const clock = new ManualClock(0);
    const pacer = new Pacer(clock, { objectsPerSecond: 10 });
    let done = 0;
    const run = (async () => {
      for (let i = 0; i < 110; i++) {
        await pacer.take();
        done++;
      }
    })();
    await clock.advance(0);
    expect(done).toBe(10);
    await clock.advance(5000);
    expect(done).toBe(60);
    await clock.advance(5000);
    await run;
    expect(done).toBe(110);
  });
  it('paces bytes too', async () => {
    const clock = new ManualClock(0);
    const pacer = new Pacer(clock, { bytesPerSecond: 1000 });
    await pacer.take(1000);
    let second = false;
    const p = pacer.take(500).then(() => {
      second = true;
    });
    await clock.advance(400);
    expect(second).toBe(false);
    await clock.advance(200);
    await p;
    expect(second).toBe(true);
  });
});
