import { describe, expect, it } from 'vitest';
import { ReportBuilder } from '../../../chaos/verify/report.ts';

describe('ReportBuilder', () => {
  it('counts verdicts, names violations, computes throughput and the gate', () => {
    const b = new ReportBuilder('scrub', 0);
    b.add({ verifier: 'scrub', key: 'a', verdict: 'ok', at: 10, bytes: 1000 });
    b.add({ verifier: 'scrub', key: 'b', verdict: 'unreadable', at: 20, bytes: 0, detail: 'EIO' });
    const passing = b.finish(2000);
    expect(passing).toMatchObject({
      objects: 2,
      bytes: 1000,
      bytesPerSecond: 500,
      objectsPerSecond: 1,
      counts: { ok: 1, unreadable: 1 },
      passed: true,
    });
    expect(passing.violations).toEqual([
      {
        key: 'b',
        verdict: 'unreadable',
        class: 'availability',
        at: '1970-01-01T00:00:00.020Z',
        detail: 'EIO',
      },
    ]);
    b.add({ verifier: 'scrub', key: 'c', verdict: 'corrupt', at: 30, bytes: 5 });
    expect(b.finish(2000).passed).toBe(false);
  });
  it('lists at most maxViolations and counts the rest', () => {
    const b = new ReportBuilder('index', 0, { maxViolations: 2, failOn: ['availability'] });
    for (const key of ['a', 'b', 'c'])
      b.add({ verifier: 'index', key, verdict: 'unreadable', at: 1, bytes: 0 });
    const r = b.finish(1);
    expect(r.violations.map((v) => v.key)).toEqual(['a', 'b']);
    expect(r.violationsOmitted).toBe(1);
    expect(r.passed).toBe(false);
  });
});
