import { afterAll, describe, expect, it } from 'vitest';
import { verifyConfigSchema } from '../../../chaos/verify/config.ts';
import { VerifyMetrics } from '../../../chaos/verify/metrics.ts';
import type { VerifyResult } from '../../../chaos/verify/report.ts';
import { runWatch } from '../../../chaos/verify/run.ts';
import { Watcher } from '../../../chaos/verify/watcher.ts';
import { ManualClock } from '../../../core/index.ts';
import { fsStore, TempDirs } from './support.ts';

const dirs = new TempDirs();
afterAll(() => dirs.cleanup());

async function until(done: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await done()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('Watcher.start', () => {
  it('wakes itself when read-backs fall due, and re-arms for the next ones', async () => {
    const clock = new ManualClock(0);
    const results: VerifyResult[] = [];
    const watcher = Watcher.open({
      store: fsStore(dirs.make()),
      clock,
      journalDir: dirs.make(),
      agesMs: [60_000, 3_600_000],
      onResult: (r) => results.push(r),
    });
    watcher.start();
    for (let i = 0; i < 3; i++) await watcher.writeSynthetic(16);
    await clock.advance(59_999);
    expect(results).toHaveLength(0);
    await clock.advance(1);
    await until(() => results.length === 3, 'the minute read-backs');
    await clock.advance(3_600_000);
    await until(() => results.length === 6, 'the hour read-backs');
    expect(results.map((r) => r.ageMs)).toEqual([60_000, 60_000, 60_000, 3_600_000, 3_600_000, 3_600_000]);
    await watcher.close();
  });
});

describe('runWatch', () => {
  it('makes synthetic writes, verifies them, exports metrics, and stops on the signal', async () => {
    const dir = dirs.make();
    const config = verifyConfigSchema.parse({
      apiVersion: 'vigil/v1',
      kind: 'Verify',
      stores: { data: { type: 'filesystem', dir } },
      watch: { store: 'data', journal: dirs.make(), ages: ['0s'], synthetic: { every: '100ms', size: 256 } },
    });
    const metrics = new VerifyMetrics();
    const controller = new AbortController();
    const running = runWatch(config, { metrics, signal: controller.signal });
    const verified = async () =>
      (await metrics.registry.getSingleMetric('vigil_verify_total')!.get()).values.find(
        (v) => v.labels['verdict'] === 'ok',
      )?.value ?? 0;
    await until(async () => (await verified()) >= 3, 'three verified synthetic writes');
    controller.abort();
    const report = await running;
    expect(report.verifier).toBe('watch');
    expect(report.counts.ok).toBeGreaterThanOrEqual(3);
    expect(report.passed).toBe(true);
  });
});
