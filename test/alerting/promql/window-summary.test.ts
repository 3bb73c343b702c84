import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine, parseExpr, type Value } from '../../../alerting/promql/index.ts';
import { MemoryStore, type Queryable, staleNaN } from '../../../alerting/store/index.ts';

/**
 * rate(), increase() and delta() over a matrix selector are answered from chunk summaries
 * (store/window.ts) when the store offers window readers. These properties check that path
 * against the sample-by-sample one on random series with counter resets, NaNs, staleness
 * markers, gaps and chunk boundaries: the answers must be the same bits.
 */

const sampleValue = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 0, max: 50 }).map((n) => n) },
  { weight: 3, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
  { weight: 1, arbitrary: fc.constant(Number.NaN) },
  { weight: 1, arbitrary: fc.constant(staleNaN) },
);

const series = fc.array(
  fc.record({
    gapMs: fc.oneof(
      fc.integer({ min: 1, max: 30_000 }),
      fc.constant(15_000),
      fc.integer({ min: 1, max: 600_000 }),
    ),
    // A counter mostly grows: steps, with an occasional drop (reset) from the sampled value.
    step: sampleValue,
    reset: fc.boolean(),
  }),
  { minLength: 0, maxLength: 400 },
);

function load(store: MemoryStore, name: string, points: { gapMs: number; step: number; reset: boolean }[]) {
  let t = 0;
  let v = 0;
  for (const p of points) {
    t += p.gapMs;
    if (Object.is(p.step, staleNaN)) {
      store.append({ __name__: 'c', s: name }, t, staleNaN);
      continue;
    }
    v = p.reset ? p.step : v + p.step;
    store.append({ __name__: 'c', s: name }, t, v);
  }
  return t;
}

/** The same store without window readers: the engine falls back to the samples. */
function samplesOnly(store: MemoryStore): Queryable {
  return { select: (m, mint, maxt) => store.select(m, mint, maxt) };
}

function bits(v: Value): [string, number][] {
  if (v.type !== 'vector') throw new Error(`expected a vector, got ${v.type}`);
  return v.samples.map((s) => [JSON.stringify(s.labels), s.v]);
}

describe('window summaries', () => {
  it('give rate, increase and delta the same bits as scanning the samples', () => {
    fc.assert(
      fc.property(
        fc.array(series, { minLength: 1, maxLength: 3 }),
        fc.constantFrom('rate', 'increase', 'delta'),
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.array(fc.double({ min: 0, max: 1.2, noNaN: true }), { minLength: 1, maxLength: 6 }),
        fc.constantFrom('', ' offset 1m', ' offset 17s'),
        fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
        (all, fn, rangeMs, positions, modifier, retain) => {
          const end = Math.max(...all.map((points) => points.reduce((t, p) => t + p.gapMs, 0)));
          const retentionMs = retain === null ? Number.MAX_SAFE_INTEGER : Math.round(end * retain);
          const store = new MemoryStore({ maxSeries: 10, retentionMs });
          for (const [i, points] of all.entries()) load(store, String(i), points);
          // Retention drops whole chunks from the front; windows must still add up after it.
          store.applyRetention(end);
          const expr = parseExpr(`${fn}(c[${rangeMs}ms]${modifier})`);
          const fast = new Engine(store);
          const slow = new Engine(samplesOnly(store));
          for (const p of positions) {
            const t = Math.round(end * p);
            const a = bits(fast.instant(expr, t));
            const b = bits(slow.instant(expr, t));
            expect(a.length).toBe(b.length);
            a.forEach(([labels, v], k) => {
              expect(labels).toBe(b[k]![0]);
              expect(Object.is(v, b[k]![1]), `${labels} at ${t}: ${v} vs ${b[k]![1]}`).toBe(true);
            });
          }
          const range = (e: Engine) => e.range(expr, 0, end, Math.max(1, Math.floor(end / 7)));
          expect(range(fast)).toEqual(range(slow));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('count a reset only between two live samples inside the window', () => {
    const store = new MemoryStore();
    // 10 20 30 | 5 (reset from 30) stale 2 (reset from 5 across the marker) 4
    const points: [number, number][] = [
      [0, 10],
      [15_000, 20],
      [30_000, 30],
      [45_000, 5],
      [60_000, staleNaN],
      [75_000, 2],
      [90_000, 4],
    ];
    for (const [t, v] of points) store.append({ __name__: 'c' }, t, v);
    const engine = new Engine(store);
    const increase = (range: string, t: number) =>
      bits(engine.instant(parseExpr(`increase(c[${range}])`), t));
    const slow = new Engine(samplesOnly(store));
    for (const [range, t] of [
      ['90s', 90_000],
      ['45s', 90_000],
      ['30s', 90_000],
      ['20s', 60_000],
    ] as const) {
      expect(increase(range, t)).toEqual(bits(slow.instant(parseExpr(`increase(c[${range}])`), t)));
    }
    // Over the whole series: 4 - 10, plus 30 (the drop to 5) and 5 (the drop to 2 across the
    // marker); the window's bounds are its first and last samples, so nothing is extrapolated.
    expect(increase('90s', 90_000)).toEqual([['{}', 29]]);
  });
});
