import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/index.ts';
import { Health } from '../../instrument/health.ts';

describe('instrument: readiness checks', () => {
  it('fails a check that does not answer within its timeout, on the injected clock', async () => {
    const clock = new ManualClock(0);
    const health = new Health(clock, 2000);
    health.addCheck('db', () => new Promise<void>(() => {}));
    health.addCheck('fast', () => {});
    let report: Awaited<ReturnType<Health['evaluate']>> | undefined;
    const pending = health.evaluate().then((r) => {
      report = r;
    });
    await clock.advance(1999);
    expect(report).toBeUndefined();
    await clock.advance(1);
    await pending;
    expect(report).toEqual({
      status: 'fail',
      checks: {
        db: { status: 'fail', critical: true, durationMs: 2000, error: 'timed out after 2000 ms' },
        fast: { status: 'ok', critical: true, durationMs: 0 },
      },
    });
  });

  it('lets overlapping probes share one run of the checks', async () => {
    const clock = new ManualClock(0);
    const health = new Health(clock, 1000);
    let runs = 0;
    health.addCheck('db', async () => {
      runs++;
      await clock.sleep(10);
    });
    const a = health.evaluate();
    const b = health.evaluate();
    await clock.advance(10);
    expect(await a).toBe(await b);
    expect(runs).toBe(1);
    const c = health.evaluate();
    await clock.advance(10);
    await c;
    expect(runs).toBe(2);
  });

  it('reports non-critical failures without failing readiness, and fails while draining', async () => {
    const clock = new ManualClock(0);
    const health = new Health(clock, 1000);
    health.addCheck(
      'cache',
      () => {
        throw new Error('x'.repeat(1000));
      },
      { critical: false },
    );
    const report = await health.evaluate();
    expect(report.status).toBe('ok');
    expect(report.checks.cache!.error).toHaveLength(300);
    health.setDraining();
    expect(await health.evaluate()).toMatchObject({ status: 'fail', draining: true });
  });

  it('refuses bad registrations with usage or conflict errors', () => {
    const health = new Health(new ManualClock(0), 1000);
    expect(() => health.addCheck('has space', () => {})).toThrow(/name: expected 1-64 characters/);
    expect(() => health.addCheck('db', () => {}, { timeoutMs: 0 })).toThrow(/timeoutMs: expected a positive/);
    health.addCheck('db', () => {});
    expect(() => health.addCheck('db', () => {})).toThrow(/exists already/);
  });
});
