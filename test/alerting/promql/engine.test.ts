import { describe, expect, it } from 'vitest';
import { Engine, parseExpr, type Value } from '../../../alerting/promql/index.ts';
import { expandValues, parseSeriesLabels } from '../../../alerting/rules/index.ts';
import { MemoryStore } from '../../../alerting/store/index.ts';

const minute = 60_000;

function storeOf(series: Record<string, string>): MemoryStore {
  const store = new MemoryStore();
  for (const [desc, values] of Object.entries(series)) {
    const labels = parseSeriesLabels(desc);
    expandValues(values).forEach((v, i) => {
      if (v !== undefined) store.append(labels, i * minute, v);
    });
  }
  return store;
}

function values(v: Value): number[] {
  if (v.type !== 'vector') throw new Error(`expected a vector, got ${v.type}`);
  return v.samples.map((s) => s.v);
}

describe('Engine', () => {
  const store = storeOf({
    'g{a="1"}': '1 2 3 _ _ _ _ _ _ _ 4',
    'g{a="2"}': '5 6 stale _ 7',
    'c{a="1"}': '0+60x10',
  });
  const engine = new Engine(store);
  const at = (q: string, minutes: number) => engine.instant(parseExpr(q), minutes * minute);

  it('looks back 5 minutes inclusive, as Prometheus 2.42', () => {
    expect(values(at('g{a="1"}', 7))).toEqual([3]); // sample at 2m, 5m ago
    expect(values(at('g{a="1"}', 8))).toEqual([]); // now 6m ago
    expect(values(at('g{a="1"}', 10))).toEqual([4]);
  });

  it('ends a series at a staleness marker instead of looking back past it', () => {
    expect(values(at('g{a="2"}', 1))).toEqual([6]);
    expect(values(at('g{a="2"}', 3))).toEqual([]);
    expect(values(at('g{a="2"}', 4))).toEqual([7]);
  });

  it('extrapolates rate() and increase() like Prometheus', () => {
    expect(values(at('rate(c[5m])', 10))).toEqual([1]);
    expect(values(at('increase(c[5m])', 10))).toEqual([300]);
  });

  it('evaluates range queries as instant queries at each step', () => {
    const result = engine.range(parseExpr('g'), 0, 10 * minute, 5 * minute);
    expect(result.series.map((s) => [s.labels.a, s.t.map((t) => t / minute), s.v])).toEqual([
      ['1', [0, 5, 10], [1, 3, 4]],
      ['2', [0, 5], [5, 7]],
    ]);
  });

  it('raises Prometheus errors for ambiguous matches and duplicate label sets', () => {
    expect(() => at('g + on() g', 0)).toThrow(/many-to-many matching not allowed/);
    expect(() => at('{__name__=~"g|c"} * 1', 0)).toThrow(/same labelset/);
  });
});
