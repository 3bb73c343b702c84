import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine, parseExpr, type Value } from '../../../alerting/promql/index.ts';
import { chunkCapacity, MemoryStore, type Queryable, staleNaN } from '../../../alerting/store/index.ts';

/**
 * Instant selectors are answered by binary search in the store's chunks (instant readers) when
 * the store offers them. These properties check that path against the one that copies each
 * lookback window (select), on random series with gaps, NaNs, staleness markers, several
 * chunks and retention: the vectors must be the same, labels, order and value bits.
 */

const sampleValue = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: -50, max: 50 }) },
  { weight: 3, arbitrary: fc.double({ noNaN: true }) },
  { weight: 1, arbitrary: fc.constant(Number.NaN) },
  { weight: 1, arbitrary: fc.constant(-0) },
  { weight: 2, arbitrary: fc.constant(staleNaN) },
);

const points = fc.array(
  fc.record({
    gapMs: fc.oneof(
      fc.constant(15_000),
      fc.integer({ min: 1, max: 30_000 }),
      // Longer than the default lookback: the series has holes.
      fc.integer({ min: 1, max: 900_000 }),
    ),
    v: sampleValue,
  }),
  // Past chunkCapacity, so lookups cross chunk boundaries; 'max' because fast-check's default
  // size keeps arrays to a few elements.
  { minLength: 0, maxLength: 3 * chunkCapacity + 20, size: 'max' },
);

/** Loads one series; returns its last timestamp. */
function load(store: MemoryStore, labels: Record<string, string>, series: { gapMs: number; v: number }[]) {
  let t = 0;
  for (const p of series) {
    t += p.gapMs;
    store.append(labels, t, p.v);
  }
  return t;
}

/** The same store without readers: the engine falls back to copying samples. */
function samplesOnly(store: MemoryStore): Queryable {
  return { select: (m, mint, maxt) => store.select(m, mint, maxt) };
}

function samples(v: Value): [string, number][] {
  if (v.type !== 'vector') throw new Error(`expected a vector, got ${v.type}`);
  return v.samples.map((s) => [JSON.stringify(s.labels), s.v]);
}

function expectSameVector(a: Value, b: Value, context: string) {
  const fast = samples(a);
  const slow = samples(b);
  expect(
    fast.map(([labels]) => labels),
    context,
  ).toEqual(slow.map(([labels]) => labels));
  fast.forEach(([labels, v], k) => {
    const w = slow[k]![1];
    expect(Object.is(v, w), `${context}: ${labels}: ${v} vs ${w}`).toBe(true);
  });
}

const selectors = [
  'c',
  'c{s="0"}',
  '{__name__=~"c|d"}',
  'c offset 1m',
  'c offset 17s',
  'c offset -2m',
  'c @ 600',
  'timestamp(c)',
  'timestamp({__name__=~"c|d"} offset 31s)',
  '-c',
  'c > 0',
];

describe('instant readers', () => {
  it('give instant selectors the same vectors as copying the lookback window', () => {
    fc.assert(
      fc.property(
        fc.array(points, { minLength: 1, maxLength: 4 }),
        fc.constantFrom(...selectors),
        fc.oneof(fc.constant(300_000), fc.integer({ min: 1, max: 2_000_000 })),
        fc.array(fc.double({ min: -0.1, max: 1.2, noNaN: true }), { minLength: 1, maxLength: 6 }),
        fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
        (all, selector, lookbackMs, positions, retain) => {
          const end = Math.max(1, ...all.map((series) => series.reduce((t, p) => t + p.gapMs, 0)));
          const retentionMs = retain === null ? Number.MAX_SAFE_INTEGER : Math.round(end * retain);
          const store = new MemoryStore({ maxSeries: 10, retentionMs });
          for (const [i, series] of all.entries()) {
            load(store, { __name__: i % 2 === 0 ? 'c' : 'd', s: String(i) }, series);
          }
          const expr = parseExpr(selector);
          const fast = new Engine(store, { lookbackMs });
          const slow = new Engine(samplesOnly(store), { lookbackMs });
          const compare = (when: string) => {
            for (const p of positions) {
              const t = Math.round(end * p);
              expectSameVector(fast.instant(expr, t), slow.instant(expr, t), `${selector} at ${t} ${when}`);
            }
            const range = (e: Engine) => e.range(expr, 0, end, Math.max(1, Math.floor(end / 7)));
            expect(range(fast)).toEqual(range(slow));
          };
          compare('before retention');
          // Retention replaces chunk arrays and may delete series: cached readers must follow.
          store.applyRetention(end);
          compare('after retention');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('end a series at a staleness marker without looking further back', () => {
    const store = new MemoryStore();
    store.append({ __name__: 'c' }, 0, 1);
    store.append({ __name__: 'c' }, 15_000, staleNaN);
    store.append({ __name__: 'c' }, 60_000, 2);
    const engine = new Engine(store);
    const at = (t: number) => samples(engine.instant(parseExpr('c'), t));
    expect(at(14_999)).toEqual([['{"__name__":"c"}', 1]]);
    expect(at(15_000)).toEqual([]);
    expect(at(59_999)).toEqual([]);
    expect(at(60_000)).toEqual([['{"__name__":"c"}', 2]]);
    // The lookback is closed at both ends: a sample exactly 5m old still counts.
    expect(at(360_000)).toEqual([['{"__name__":"c"}', 2]]);
    expect(at(360_001)).toEqual([]);
  });

  it('see series created after the readers were cached', () => {
    const store = new MemoryStore();
    store.append({ __name__: 'c', s: 'a' }, 0, 1);
    const engine = new Engine(store);
    expect(samples(engine.instant(parseExpr('c'), 0))).toEqual([['{"__name__":"c","s":"a"}', 1]]);
    store.append({ __name__: 'c', s: 'b' }, 0, 2);
    expect(samples(engine.instant(parseExpr('c'), 0))).toEqual([
      ['{"__name__":"c","s":"a"}', 1],
      ['{"__name__":"c","s":"b"}', 2],
    ]);
  });
});
