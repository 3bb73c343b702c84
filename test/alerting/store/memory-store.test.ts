import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isStaleNaN, MemoryStore, newMatcher, staleNaN } from '../../../alerting/store/index.ts';
import { isVigilError } from '../../../core/index.ts';

const m = newMatcher;

function fill(): MemoryStore {
  const store = new MemoryStore();
  for (const code of ['200', '404', '500', '503']) {
    for (const route of ['/a', '/b']) {
      for (let i = 0; i < 300; i++)
        store.append({ __name__: 'http_requests_total', code, route }, i * 15_000, i);
    }
  }
  store.append({ __name__: 'up', job: 'api' }, 0, 1);
  return store;
}

describe('MemoryStore', () => {
  it('answers the four matcher kinds like Prometheus, absent labels matching ""', () => {
    const store = fill();
    const count = (...ms: ReturnType<typeof m>[]) => store.select(ms, 0, Number.MAX_SAFE_INTEGER).length;
    expect(count(m('__name__', '=', 'http_requests_total'))).toBe(8);
    expect(count(m('__name__', '=', 'http_requests_total'), m('code', '!=', '200'))).toBe(6);
    expect(count(m('__name__', '=', 'http_requests_total'), m('code', '=~', '5..'))).toBe(4);
    expect(count(m('__name__', '=', 'http_requests_total'), m('code', '!~', '5..|404'))).toBe(2);
    expect(count(m('__name__', '=~', '.+'), m('code', '=', ''))).toBe(1);
    expect(count(m('job', '!=', ''))).toBe(1);
    expect(count(m('code', '=~', '5'))).toBe(0); // anchored: "5" does not match "500"
    expect(count(m('nope', '=', 'x'))).toBe(0);
  });

  it('returns the samples in the asked time range across chunk boundaries', () => {
    const store = fill();
    const [s] = store.select([m('code', '=', '200'), m('route', '=', '/a')], 1_000_000, 2_000_000);
    expect(s).toBeDefined();
    expect(s!.t[0]).toBe(Math.ceil(1_000_000 / 15_000) * 15_000);
    expect(s!.t[s!.t.length - 1]).toBe(Math.floor(2_000_000 / 15_000) * 15_000);
    for (let i = 0; i < s!.t.length; i++) expect(s!.v[i]).toBe(s!.t[i]! / 15_000);
  });

  it('refuses out-of-order samples without throwing, and counts them', () => {
    const store = new MemoryStore();
    store.append({ __name__: 'x' }, 1000, 1);
    expect(store.append({ __name__: 'x' }, 500, 2).outcome).toBe('out_of_order');
    expect(store.append({ __name__: 'x' }, 1000, 3).outcome).toBe('duplicate');
    expect(store.getStats()).toMatchObject({ samples: 1, outOfOrder: 1, duplicateTimestamp: 1 });
  });

  it('refuses a new series past the limit with a clear error and counts the hit', () => {
    const store = new MemoryStore({ maxSeries: 2, retentionMs: 1000 });
    store.append({ __name__: 'a' }, 0, 1);
    store.append({ __name__: 'b' }, 0, 1);
    let error: unknown;
    try {
      store.append({ __name__: 'c' }, 0, 1);
    } catch (err) {
      error = err;
    }
    expect(isVigilError(error, 'limit')).toBe(true);
    expect((error as Error).message).toMatch(/series limit of 2/);
    store.append({ __name__: 'a' }, 1, 1); // existing series still accept samples
    expect(store.getStats().seriesLimitHits).toBe(1);
  });

  it('drops chunks and series past retention', () => {
    const store = new MemoryStore({ maxSeries: 10, retentionMs: 3600_000 });
    for (let i = 0; i < 1000; i++) store.append({ __name__: 'old' }, i * 1000, i);
    for (let i = 0; i < 5000; i++) store.append({ __name__: 'new' }, i * 1000, i);
    const dropped = store.applyRetention(5000 * 1000);
    expect(dropped).toBeGreaterThan(1000);
    expect(store.labelValues('__name__')).toEqual(['new']);
    const [s] = store.select([m('__name__', '=', 'new')], 0, Number.MAX_SAFE_INTEGER);
    expect(s!.t[0]).toBeLessThanOrEqual(5000 * 1000 - 3600_000);
    expect(s!.t[s!.t.length - 1]).toBe(4999 * 1000);
  });

  it('keeps the staleness marker distinguishable from an ordinary NaN', () => {
    const store = new MemoryStore();
    store.append({ __name__: 'x' }, 1, Number.NaN);
    store.append({ __name__: 'x' }, 2, staleNaN);
    const [s] = store.select([m('__name__', '=', 'x')], 0, 10);
    expect(isStaleNaN(s!.v[0]!)).toBe(false);
    expect(isStaleNaN(s!.v[1]!)).toBe(true);
  });

  it('returns exactly what was appended, for any in-order sequence (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 10_000_000 }), fc.double()), { maxLength: 400 }),
        (steps) => {
          const store = new MemoryStore();
          let t = 0;
          const want: [number, number][] = [];
          for (const [dt, v] of steps) {
            t += dt;
            store.append({ __name__: 'p' }, t, v);
            want.push([t, v]);
          }
          const got = store.select([m('__name__', '=', 'p')], 0, Number.MAX_SAFE_INTEGER)[0];
          const pairs = got ? Array.from(got.t, (ts, i) => [ts, got.v[i]!]) : [];
          expect(pairs).toEqual(want);
        },
      ),
      { seed: 42, numRuns: 100 },
    );
  });
});
