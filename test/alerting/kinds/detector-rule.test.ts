import { describe, expect, it } from 'vitest';
import { Engine, type Sample } from '../../../alerting/promql/index.ts';
import { type DetectorQuery, GroupEvaluator, type RuleGroup } from '../../../alerting/rules/index.ts';
import { isStaleNaN, type Labels, MemoryStore } from '../../../alerting/store/index.ts';

/** The detector rule variant inside a group: written like a recording rule, staleness included. */

function group(out: (t: number) => Sample[]): RuleGroup {
  return {
    name: 'g',
    file: 'f.yaml',
    intervalMs: undefined,
    limit: 0,
    rules: [
      {
        kind: 'detector',
        name: 'vigil:test:value',
        exprText: 'a test detector',
        detector: { evaluate: out },
      },
    ],
  };
}

function harness(g: RuleGroup, withQuery = true) {
  const store = new MemoryStore({ maxSeries: 1000, retentionMs: Number.MAX_SAFE_INTEGER });
  const engine = new Engine(store);
  const detectorQuery: DetectorQuery = {
    instant: (e, t) => engine.instant(e, t),
    range: (e, s, end, step) => engine.range(e, s, end, step),
  };
  const ev = new GroupEvaluator(g, withQuery ? { detectorQuery } : {});
  const written: { labels: Labels; t: number; v: number }[] = [];
  const append = (labels: Labels, t: number, v: number) => {
    written.push({ labels, t, v });
    store.append(labels, t, v);
  };
  return { ev, written, append };
}

describe('detector rules', () => {
  it('write their samples, and a staleness marker for a series they stop returning', () => {
    const a = { __name__: 'vigil:test:value', seg: 'a' };
    const b = { __name__: 'vigil:test:value', seg: 'b' };
    const { ev, written, append } = harness(
      group((t) =>
        t === 0
          ? [
              { labels: a, v: 1 },
              { labels: b, v: 2 },
            ]
          : [{ labels: a, v: 3 }],
      ),
    );
    ev.evaluate(0, () => [], append);
    const results = ev.evaluate(60_000, () => [], append);
    expect(results[0]).toMatchObject({ error: undefined, samples: 1 });
    expect(written.slice(0, 3).map((w) => [w.labels.seg, w.t, w.v])).toEqual([
      ['a', 0, 1],
      ['b', 0, 2],
      ['a', 60_000, 3],
    ]);
    expect(written[3]!.labels).toEqual(b);
    expect(isStaleNaN(written[3]!.v)).toBe(true);
  });

  it('fail their rule, not the group, without a metric name, with a labelset twice, or without a query API', () => {
    const noName = harness(group(() => [{ labels: { seg: 'a' }, v: 1 }]));
    expect(noName.ev.evaluate(0, () => [], noName.append)[0]!.error).toMatch(/without a metric name/);
    const twice = harness(
      group(() => [
        { labels: { __name__: 'x' }, v: 1 },
        { labels: { __name__: 'x' }, v: 2 },
      ]),
    );
    expect(twice.ev.evaluate(0, () => [], twice.append)[0]!.error).toMatch(/twice/);
    const noQuery = harness(
      group(() => []),
      false,
    );
    expect(noQuery.ev.evaluate(0, () => [], noQuery.append)[0]!.error).toMatch(/no query API/);
  });

  it('read the store through the query API at the evaluation time', () => {
    let seen: number | undefined;
    const { ev, append } = harness(
      group((t) => {
        seen = t;
        return [];
      }),
    );
    ev.evaluate(123_000, () => [], append);
    expect(seen).toBe(123_000);
  });
});
