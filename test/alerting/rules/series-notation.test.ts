import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileTemplate, expandValues, parseSeriesLabels } from '../../../alerting/rules/index.ts';
import { isStaleNaN } from '../../../alerting/store/index.ts';
import { isVigilError } from '../../../core/index.ts';

describe("promtool's series notation", () => {
  it('expands a+bxN, a-bxN, axN, _, _xN and stale', () => {
    expect(expandValues('1+2x3 _ 5 -1-1x2 7x2 _x2')).toEqual([
      1,
      3,
      5,
      7,
      undefined,
      5,
      -1,
      -2,
      -3,
      7,
      7,
      7,
      undefined,
      undefined,
    ]);
    const [v] = expandValues('stale');
    expect(isStaleNaN(v!)).toBe(true);
    expect(expandValues('Inf -Inf 1e3')).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1000]);
  });

  it('parses series descriptions', () => {
    expect(parseSeriesLabels('up{job="a", instance="b"}')).toEqual({
      __name__: 'up',
      job: 'a',
      instance: 'b',
    });
    expect(parseSeriesLabels('{__name__="x"}')).toEqual({ __name__: 'x' });
    expect(() => parseSeriesLabels('up{job=~"a"}')).toThrow(/only = is allowed/);
  });

  it('refuses bad terms with a VigilError naming them (fuzz)', () => {
    expect(() => expandValues('1+x3')).toThrow(/invalid term "1\+x3"/);
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('1', '+', '-', 'x', '_', 'stale', ' ', '2', '.', 'e', 'Inf'), {
          maxLength: 14,
        }),
        (parts) => {
          try {
            expandValues(parts.join(''));
          } catch (err) {
            expect(isVigilError(err, 'parse')).toBe(true);
          }
        },
      ),
      { seed: 3, numRuns: 500 },
    );
  });

  it('compiles or refuses any template without crashing (fuzz)', () => {
    const data = { labels: { a: 'b' }, externalLabels: {}, externalURL: '', value: 1.5, time: 0 };
    fc.assert(
      fc.property(
        fc.array(
          fc.constantFrom(
            '{{',
            '}}',
            ' $value',
            ' $labels.a',
            ' | humanize',
            ' if',
            ' else',
            ' end',
            ' printf "%.1f"',
            'text',
            ' (',
            ' )',
            ' gt',
            ' 1.0',
            '-',
          ),
          {
            maxLength: 12,
          },
        ),
        (parts) => {
          try {
            expect(typeof compileTemplate(parts.join('')).expand(data)).toBe('string');
          } catch (err) {
            expect(isVigilError(err, 'config')).toBe(true);
          }
        },
      ),
      { seed: 5, numRuns: 500 },
    );
  });
});
