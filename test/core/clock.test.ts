import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../core/index.ts';

describe('ManualClock', () => {
  it('fires timers in time order as time advances, each seeing its due time', async () => {
    const clock = new ManualClock(1_000);
    const fired: Array<[string, number]> = [];
    clock.setTimeout(() => fired.push(['b', clock.now()]), 200);
    clock.setTimeout(() => fired.push(['a', clock.now()]), 100);
    clock.setTimeout(() => fired.push(['c', clock.now()]), 500);
    await clock.advance(300);
    expect(fired).toEqual([
      ['a', 1_100],
      ['b', 1_200],
    ]);
    expect(clock.now()).toBe(1_300);
    await clock.advance(1_000);
    expect(fired.map(([name]) => name)).toEqual(['a', 'b', 'c']);
  });

  it('keeps the order of timers due at the same time', async () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    for (let i = 0; i < 5; i++) clock.setTimeout(() => fired.push(i), 10);
    await clock.advance(10);
    expect(fired).toEqual([0, 1, 2, 3, 4]);
  });

  it('runs a loop of sleeps set from resolved promises within one advance', async () => {
    const clock = new ManualClock();
    const ticks: number[] = [];
    const loop = (async () => {
      for (let i = 0; i < 6; i++) {
        await clock.sleep(10_000);
        ticks.push(clock.now());
      }
    })();
    await clock.advance(60_000);
    await loop;
    expect(ticks).toEqual([10_000, 20_000, 30_000, 40_000, 50_000, 60_000]);
  });

  it('simulates six hours of a 30 s loop quickly', async () => {
    const clock = new ManualClock();
    let cycles = 0;
    const tick = () => {
      cycles++;
      clock.setTimeout(tick, 30_000);
    };
    clock.setTimeout(tick, 30_000);
    await clock.advance(6 * 3600_000);
    expect(cycles).toBe(720);
  });

  it('does not fire cancelled timers', async () => {
    const clock = new ManualClock();
    let fired = false;
    clock
      .setTimeout(() => {
        fired = true;
      }, 5)
      .cancel();
    await clock.advance(10);
    expect(fired).toBe(false);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('refuses to go back in time', async () => {
    await expect(new ManualClock().advance(-1)).rejects.toThrow(RangeError);
  });
});

describe('systemClock', () => {
  it('reads the wall clock and sleeps', async () => {
    const before = Date.now();
    await systemClock.sleep(5);
    expect(systemClock.now()).toBeGreaterThanOrEqual(before);
  });
});
