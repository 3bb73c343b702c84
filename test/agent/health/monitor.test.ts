import { describe, expect, it } from 'vitest';
import { type Check, HealthMonitor } from '../../../agent/health/index.ts';
import { ManualClock } from '../../../core/index.ts';

describe('HealthMonitor', () => {
  it('runs checks on its interval of the injected clock and keeps the last verdicts', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    let runs = 0;
    let healthy = true;
    const check: Check = {
      name: 'flaky',
      async run() {
        runs++;
        return healthy ? { ok: true, detail: 'fine' } : { ok: false, detail: 'broken' };
      },
    };
    const monitor = new HealthMonitor([{ check }], clock, 10_000);
    expect(monitor.ready()).toBe(false); // not checked yet: not ready
    monitor.start();
    await clock.advance(0);
    expect(runs).toBe(1);
    expect(monitor.ready()).toBe(true);
    healthy = false;
    await clock.advance(9_999);
    expect(runs).toBe(1);
    expect(monitor.ready()).toBe(true); // probes read the last verdict; they do not run checks
    await clock.advance(1);
    expect(runs).toBe(2);
    expect(monitor.list()[0]).toMatchObject({
      ok: false,
      detail: 'broken',
      checkedAt: Date.UTC(2026, 0, 1) + 10_000,
    });
    await clock.advance(60_000);
    expect(runs).toBe(8);
    await monitor.stop();
    await clock.advance(60_000);
    expect(runs).toBe(8);
  });

  it('fails a check that outlives its timeout', async () => {
    const clock = new ManualClock(0);
    const hang: Check = { name: 'hang', run: () => new Promise(() => undefined) };
    const monitor = new HealthMonitor([{ check: hang, timeoutMs: 2000 }], clock);
    const round = monitor.runOnce();
    await clock.advance(2000);
    await round;
    expect(monitor.list()[0]).toMatchObject({ ok: false, detail: 'timed out after 2000 ms' });
  });
});
