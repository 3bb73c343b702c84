import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  defaultAgesMs,
  isSampled,
  type PendingCheck,
  PendingQueue,
  planChecks,
} from '../../../chaos/verify/schedule.ts';

const write = { key: 'k', sha256: 'a'.repeat(64), size: 1, writtenAt: 1000 };

describe('planChecks', () => {
  it('schedules one read-back per age, a minute, an hour, a day and a week after the write', () => {
    const checks = planChecks(5, write, { agesMs: defaultAgesMs, sampleRate: 1, seed: 0 });
    expect(checks.map((c) => [c.id, c.dueAt - write.writtenAt, c.attempt])).toEqual([
      ['5/0', 60_000, 1],
      ['5/1', 3_600_000, 1],
      ['5/2', 86_400_000, 1],
      ['5/3', 604_800_000, 1],
    ]);
  });
  it('samples about the configured fraction, the same keys every time', () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => `obj/${i}`);
    const picked = keys.filter((k) => isSampled(k, 0.1, 42));
    expect(picked.length).toBeGreaterThan(800);
    expect(picked.length).toBeLessThan(1200);
    expect(keys.filter((k) => isSampled(k, 0.1, 42))).toEqual(picked);
    expect(keys.filter((k) => isSampled(k, 0.1, 43))).not.toEqual(picked);
    expect(planChecks(1, write, { agesMs: [1], sampleRate: 0, seed: 0 })).toEqual([]);
  });
});

describe('PendingQueue', () => {
  const check = (seq: number, dueAt: number): PendingCheck => ({
    ...write,
    id: `${seq}/0`,
    seq,
    ageMs: 0,
    dueAt,
    attempt: 1,
  });

  it('hands out due checks most overdue first, whatever the insertion order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 200 }),
        fc.integer({ min: 0, max: 1000 }),
        (dues, now) => {
          const q = new PendingQueue();
          dues.forEach((d, i) => {
            q.add(check(i, d));
          });
          const taken = q.takeDue(now);
          expect(taken.map((c) => c.dueAt)).toEqual(dues.filter((d) => d <= now).sort((a, b) => a - b));
          expect(q.size).toBe(dues.filter((d) => d > now).length);
          if (q.size > 0) expect(q.nextDueAt()).toBe(Math.min(...dues.filter((d) => d > now)));
        },
      ),
    );
  });
  it('builds from a snapshot and reports how overdue it is', () => {
    const q = new PendingQueue([check(1, 50), check(2, 10), check(3, 30)]);
    expect(q.overdueMs(40)).toBe(30);
    expect(q.takeDue(100, 2).map((c) => c.seq)).toEqual([2, 3]);
    expect(q.overdueMs(0)).toBe(0);
  });
});
