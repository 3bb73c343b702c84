import { afterAll, describe, expect, it } from 'vitest';
import { verifyIndex } from '../../../chaos/verify/index-verifier.ts';
import { Scrubber } from '../../../chaos/verify/scrubber.ts';
import { ManualClock } from '../../../core/index.ts';
import { fill, fsStore, TempDirs } from './support.ts';

const dirs = new TempDirs();
afterAll(() => dirs.cleanup());

/** Advances the manual clock in small steps until `work` settles; returns the simulated ms it took. */
async function simulate(clock: ManualClock, work: Promise<unknown>): Promise<number> {
  const start = clock.now();
  let settled = false;
  void work.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  for (let i = 0; i < 100_000 && !settled; i++) {
    await clock.advance(50);
    // Real file reads complete between steps.
    await new Promise((r) => setTimeout(r, 1));
  }
  await work;
  return clock.now() - start;
}

describe('rate limits on a simulated clock', () => {
  it('the index verifier sends at most the configured HEAD requests per second', async () => {
    const store = fsStore(dirs.make());
    const keys = await fill(store, 60);
    const clock = new ManualClock(0);
    let results = 0;
    const took = await simulate(
      clock,
      verifyIndex({
        entries: keys.map((key) => ({ key })),
        store,
        clock,
        ratePerSecond: 10,
        onResult: () => results++,
      }),
    );
    expect(results).toBe(60);
    // 10 go at once (one second's burst), the other 50 at 10 per second.
    expect(took).toBeGreaterThanOrEqual(5000);
  });

  it('the scrubber reads at most the configured bytes per second', async () => {
    const store = fsStore(dirs.make());
    await fill(store, 40);
    let bytes = 0;
    for await (const key of store.keys()) bytes += (await store.head(key))!.size;
    const clock = new ManualClock(0);
    const took = await simulate(
      clock,
      new Scrubber({ store, clock, bytesPerSecond: 1000, concurrency: 2, onResult: () => {} }).pass(),
    );
    // The first second's worth is free; the rest is paced at 1000 bytes per second.
    expect(took).toBeGreaterThanOrEqual(((bytes - 1000) / 1000) * 1000 - 1000);
  });
});
