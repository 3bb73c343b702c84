import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseExpr, typeOf } from '../../../alerting/promql/index.ts';
import { isVigilError } from '../../../core/index.ts';

function refusal(query: string): string {
  try {
    parseExpr(query);
  } catch (err) {
    expect(isVigilError(err, 'parse')).toBe(true);
    return (err as Error).message;
  }
  throw new Error(`${query} parsed`);
}

describe('parseExpr', () => {
  it('types expressions as Prometheus does', () => {
    expect(typeOf(parseExpr('rate(x[5m])'))).toBe('vector');
    expect(typeOf(parseExpr('x[5m]'))).toBe('matrix');
    expect(typeOf(parseExpr('rate(x[5m])[30m:1m]'))).toBe('matrix');
    expect(typeOf(parseExpr('1 + 2'))).toBe('scalar');
    expect(typeOf(parseExpr('scalar(x) * 2'))).toBe('scalar');
    expect(typeOf(parseExpr('"text"'))).toBe('string');
  });

  it('applies offset and @ to the selector whichever order they are written in', () => {
    const a = parseExpr('x offset 5m @ 100');
    const b = parseExpr('x @ 100 offset 5m');
    expect(a).toMatchObject({ kind: 'vector', offsetMs: 300_000, at: { kind: 'time', ms: 100_000 } });
    expect(b).toMatchObject({ kind: 'vector', offsetMs: 300_000, at: { kind: 'time', ms: 100_000 } });
    expect(parseExpr('x offset -3m')).toMatchObject({ offsetMs: -180_000 });
    expect(parseExpr('rate(x[5m] @ end())')).toMatchObject({ args: [{ selector: { at: { kind: 'end' } } }] });
  });

  it('refuses unsupported constructs by name, at parse time', () => {
    expect(refusal('holt_winters(x[5m], 0.5, 0.5)')).toMatch(/holt_winters is not supported/);
    expect(refusal('sin(x)')).toMatch(/sin is not supported by vigil/);
    expect(refusal('histogram_count(x)')).toMatch(/native histograms/);
    expect(refusal('x atan2 y')).toMatch(/atan2 operator is not supported/);
    expect(refusal('no_such_function(x)')).toMatch(/function "no_such_function" is not supported/);
  });

  it('reports Prometheus type errors with the position', () => {
    expect(refusal('sum(x[5m])')).toMatch(
      /expected type instant vector in aggregation expression, got range vector/,
    );
    expect(refusal('rate(x)')).toMatch(
      /expected type range vector in call to function "rate", got instant vector/,
    );
    expect(refusal('1 > 2')).toMatch(/comparisons between scalars must use BOOL modifier/);
    expect(refusal('x and 1')).toMatch(/set operator "and" not allowed/);
    expect(refusal('{a=""}')).toMatch(/at least one non-empty matcher/);
    expect(refusal('x{a=~"("}')).toMatch(/invalid regular expression/);
    expect(refusal('rate(x[5m)')).toMatch(/syntax error near ".*" \(at character \d+\)/);
  });

  it('never throws anything but a VigilError on arbitrary input (fuzz)', () => {
    const pieces = [
      'x',
      'rate(',
      ')',
      '[5m]',
      '{a="b"}',
      ' + ',
      ' by (a) ',
      'sum',
      '@ 10',
      ' offset 1m',
      '"s"',
      '1',
      ',',
      '(',
      ':1m]',
      'bool',
      ' on(a) group_left ',
    ];
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...pieces), { maxLength: 12 }),
        fc.string({ maxLength: 20 }),
        (parts, noise) => {
          for (const query of [parts.join(''), noise]) {
            try {
              parseExpr(query);
            } catch (err) {
              expect(isVigilError(err, 'parse')).toBe(true);
            }
          }
        },
      ),
      { seed: 7, numRuns: 400 },
    );
  });
});
