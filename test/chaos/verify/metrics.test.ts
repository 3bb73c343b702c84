import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkLedger } from '../../../chaos/verify/ledger-check.ts';
import { VerifyMetrics } from '../../../chaos/verify/metrics.ts';
import { ledgerReport, ReportBuilder } from '../../../chaos/verify/report.ts';
import { parseWriteEvent } from '../../../chaos/verify/write-event.ts';
import { isVigilError, parseExposition } from '../../../core/index.ts';

describe('VerifyMetrics', () => {
  it('starts every violations series at 0, so increase() sees the first violation', async () => {
    const m = new VerifyMetrics();
    const before = parseExposition(await m.registry.metrics()).find(
      (f) => f.name === 'vigil_verify_violations_total',
    );
    expect(before?.samples).toHaveLength(25);
    expect(before?.samples.every((s) => s.value === 0)).toBe(true);
    m.record({ verifier: 'watch', key: 'k', verdict: 'missing', at: 0, bytes: 0 });
    const after = parseExposition(await m.registry.metrics()).find(
      (f) => f.name === 'vigil_verify_violations_total',
    );
    expect(after?.samples.filter((s) => s.value > 0).map((s) => s.labels)).toEqual([
      { verifier: 'watch', class: 'loss' },
    ]);
  });

  it('exposes verdict counts, violations by class, throughput, schedule lag and ledger anomalies', async () => {
    const m = new VerifyMetrics();
    const report = new ReportBuilder('scrub', 0);
    for (const [key, verdict] of [
      ['a', 'ok'],
      ['b', 'ok'],
      ['c', 'corrupt'],
    ] as const) {
      const r = { verifier: 'scrub' as const, key, verdict, at: 1000, bytes: 100 };
      m.record(r);
      report.add(r);
    }
    m.finished(report.finish(2000));
    m.watcherState({ pending: 12, overdueMs: 90_000, dropped: 2 });
    m.watcherState({ pending: 11, overdueMs: 0, dropped: 3 });
    m.ledgerFinished(
      ledgerReport(
        'redis',
        checkLedger([
          { type: 'publish', stream: 's', id: '1', outcome: 'acked' },
          { type: 'publish', stream: 's', id: '2', outcome: 'acked' },
          { type: 'deliver', stream: 's', id: '2' },
        ]),
        0,
        1,
      ),
    );
    const text = await m.registry.metrics();
    const samples = new Map(
      parseExposition(text).flatMap((f) =>
        f.samples.map((s) => [
          `${s.name}${JSON.stringify(Object.fromEntries(Object.entries(s.labels).sort()))}`,
          s.value,
        ]),
      ),
    );
    expect(samples.get('vigil_verify_total{"verdict":"ok","verifier":"scrub"}')).toBe(2);
    expect(samples.get('vigil_verify_total{"verdict":"corrupt","verifier":"scrub"}')).toBe(1);
    expect(samples.get('vigil_verify_violations_total{"class":"corruption","verifier":"scrub"}')).toBe(1);
    expect(samples.get('vigil_verify_bytes_total{"verifier":"scrub"}')).toBe(300);
    expect(samples.get('vigil_verify_bytes_per_second{"verifier":"scrub"}')).toBe(150);
    expect(samples.get('vigil_verify_last_run_passed{"verifier":"scrub"}')).toBe(0);
    expect(samples.get('vigil_verify_pending{"verifier":"watch"}')).toBe(11);
    expect(samples.get('vigil_verify_oldest_pending_age_seconds{"verifier":"watch"}')).toBe(0);
    expect(samples.get('vigil_verify_dropped_total{"verifier":"watch"}')).toBe(3);
    expect(samples.get('vigil_verify_ledger_messages{"anomaly":"lost","stream":"s","target":"redis"}')).toBe(
      1,
    );
  });
});

describe('parseWriteEvent', () => {
  const sha = 'c'.repeat(64);
  it('reads a fed write event and names what is wrong with a bad one', () => {
    expect(
      parseWriteEvent(`{"key":"k","sha256":"${sha}","size":3,"writtenAt":"1970-01-01T00:00:01Z"}`, 'feed', 1),
    ).toEqual({
      key: 'k',
      sha256: sha,
      size: 3,
      writtenAt: 1000,
    });
    expect(parseWriteEvent('', 'feed', 1)).toBeUndefined();
    expect(() => parseWriteEvent(`{"key":"k","sha256":"${sha}","size":-1,"writtenAt":0}`, 'feed', 4)).toThrow(
      'feed:4: size: expected a whole number of bytes',
    );
  });
  it('never throws anything but a parse VigilError (fuzzed)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc
            .record({
              key: fc.string(),
              sha256: fc.string(),
              size: fc.double(),
              writtenAt: fc.oneof(fc.string(), fc.double()),
            })
            .map((o) => JSON.stringify(o)),
        ),
        (line) => {
          try {
            parseWriteEvent(line, 'f', 1);
          } catch (err) {
            if (!isVigilError(err, 'parse')) throw err;
          }
        },
      ),
    );
  });
});
