import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  directedScore,
  madToSigma,
  referenceRanges,
  robustBaseline,
  robustScore,
  valuesIn,
} from '../../../alerting/kinds/baseline.ts';

const noFloor = { absolute: 0, relative: 0 };

describe('robust baselines', () => {
  it('are the median and MAD x 1.4826, unmoved by an outlier that would drag a mean', () => {
    const b = robustBaseline([[10, 11, 9, 10, 1000]], noFloor, 3)!;
    expect(b.median).toBe(10);
    expect(b.scale).toBeCloseTo(1 * madToSigma, 10);
    expect(b.n).toBe(5);
    expect(robustScore(13, b)).toBeCloseTo(3 / madToSigma, 10);
  });

  it('need min_points values', () => {
    expect(robustBaseline([[1], [2]], noFloor, 3)).toBeUndefined();
    expect(robustBaseline([[], []], noFloor, 1)).toBeUndefined();
  });

  it('floor the scale absolutely and relative to the median, so a constant series does not score infinity', () => {
    expect(robustBaseline([[5, 5, 5]], { absolute: 0.5, relative: 0 }, 1)!.scale).toBe(0.5);
    expect(robustBaseline([[100, 100, 100]], { absolute: 0.5, relative: 0.05 }, 1)!.scale).toBe(5);
    const flat = robustBaseline([[0, 0, 0]], noFloor, 1)!;
    expect(robustScore(0, flat)).toBe(0);
    expect(robustScore(1, flat)).toBe(Number.POSITIVE_INFINITY);
    expect(robustScore(-1, flat)).toBe(Number.NEGATIVE_INFINITY);
  });

  it('score in the watched direction', () => {
    expect(directedScore(-7, 'down')).toBe(7);
    expect(directedScore(-7, 'up')).toBe(-7);
    expect(directedScore(-7, 'both')).toBe(7);
  });

  it('take the trailing window minus the recent part, or windows around each season', () => {
    const t = 10 * 86_400_000;
    expect(
      referenceRanges(t, { windowMs: 1000, seasonsMs: [], seasonWidthMs: 0, excludeRecentMs: 100 }),
    ).toEqual([[t - 1000, t - 100]]);
    expect(
      referenceRanges(t, { windowMs: 0, seasonsMs: [86_400_000], seasonWidthMs: 60_000, excludeRecentMs: 0 }),
    ).toEqual([[t - 86_400_000 - 60_000, t - 86_400_000 + 60_000]]);
    expect(valuesIn({ t: [1, 2, 3, 4], v: [10, Number.NaN, 30, 40] }, [1, 3])).toEqual([10, 30]);
  });

  it('with seasons: the median of the per-season medians, the noise measured within each season', () => {
    // Yesterday a Sunday at 60, last week a Monday at 100, each with ±1 of noise.
    const b = robustBaseline(
      [
        [59, 60, 61, 60],
        [99, 100, 101, 100],
      ],
      noFloor,
      4,
    )!;
    expect(b.median).toBe(80);
    expect(b.scale).toBeCloseTo(0.5 * madToSigma, 10);
    // A drop to zero is far outside; pooling the two seasons would have called it 2 MADs.
    expect(robustScore(0, b)).toBeLessThan(-50);
  });

  it('property: finite values give a finite median inside their range and a scale at least the floors', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e9, max: 1e9, noNaN: true }), { minLength: 1, maxLength: 200 }),
        fc.double({ min: 0, max: 10, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (values, absolute, relative) => {
          const b = robustBaseline([values.slice(0, 7), values.slice(7)], { absolute, relative }, 1)!;
          expect(b.median).toBeGreaterThanOrEqual(Math.min(...values));
          expect(b.median).toBeLessThanOrEqual(Math.max(...values));
          expect(b.scale).toBeGreaterThanOrEqual(Math.max(absolute, relative * Math.abs(b.median)) - 1e-9);
          expect(Number.isNaN(robustScore(values[0]!, b))).toBe(false);
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });
});
