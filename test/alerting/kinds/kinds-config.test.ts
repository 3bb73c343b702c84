import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { allGroups, parseVigilRuleFile } from '../../../alerting/rules/index.ts';
import { isVigilError } from '../../../core/index.ts';

/** Loading the detector kinds: bad specs are refused with file:line and the field. */

function load(text: string) {
  return parseVigilRuleFile('kinds.yaml', `apiVersion: vigil/v1\n${text}`);
}

function error(text: string): string {
  try {
    load(text);
  } catch (err) {
    expect(isVigilError(err, 'config')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected the file to be refused');
}

describe('detector kinds in a rule file', () => {
  it('refuse an absence entry with nothing to page on', () => {
    expect(error('absence:\n  - name: A\n    expr: sum(rate(x[5m]))\n')).toMatch(
      /kinds\.yaml:\d+: absence\[0\]: set at least one of floor, below or job/,
    );
  });

  it('name the field of a bad expression, a bad ratio and an unknown key', () => {
    expect(error('absence:\n  - name: A\n    expr: sum(rate(x[5m])\n    below: 0.1\n')).toMatch(
      /absence\[0\]\.expr/,
    );
    expect(error('absence:\n  - name: A\n    expr: x\n    below: 2\n')).toMatch(/absence\[0\]\.below/);
    expect(error('rate_guards:\n  - name: G\n    expr: x\n    factr: 100\n')).toMatch(/rate_guards\[0\]/);
    expect(error('anomalies:\n  - name: A\n    expr: x[5m]\n')).toMatch(
      /anomalies\[0\]\.expr: expected an instant vector/,
    );
    expect(error('anomalies:\n  - name: A\n    errors: x\n')).toMatch(
      /set either expr .* or errors and total/,
    );
    expect(error('client_errors:\n  - name: C\n    requests: sum(x)\n')).toMatch(
      /client_errors\[0\]\.requests/,
    );
    expect(
      error('absence:\n  - name: A\n    expr: x\n    below: 0.5\n    baseline: { seasons: [10m] }\n'),
    ).toMatch(/baseline\.seasons\[0\]: a season must be longer than season_width/);
    expect(
      error('absence:\n  - name: A\n    expr: x\n    below: 0.5\n    baseline: { window: "0" }\n'),
    ).toMatch(/baseline\.window: window must be above 0/);
  });

  it('compile each entry into one group: the detector first, then its alerts', () => {
    const loaded = load(
      'rate_guards:\n  - name: G\n    expr: sum(rate(deletes_total[5m]))\nclient_errors:\n  - name: C\n    requests: req_total{job="a"}\n    segment: user\n',
    );
    const groups = allGroups(loaded);
    expect(groups.map((g) => [g.name, g.rules.map((r) => `${r.kind}:${r.name}`)])).toEqual([
      [
        'vigil-client_errors-C',
        [
          'detector:vigil:client_errors:value',
          'recording:vigil:client_errors:spread',
          'alerting:C',
          'alerting:C',
        ],
      ],
      ['vigil-rate_guard-G', ['detector:vigil:rate_guard:value', 'alerting:G']],
    ]);
  });

  it('property: any entry either loads or is refused as a config error naming the file', () => {
    const value = fc.oneof(
      fc.string(),
      fc.double({ noNaN: true }),
      fc.boolean(),
      fc.constantFrom('sum(rate(x[5m]))', 'x{a="b"}', '5m', '1d', 'x[5m]', '', '0.5', '401|403'),
    );
    const entry = fc.dictionary(
      fc.constantFrom(
        'name',
        'expr',
        'below',
        'floor',
        'factor',
        'min_rate',
        'requests',
        'errors',
        'total',
        'by',
        'for',
        'baseline',
        'threshold',
        'segment',
      ),
      fc.oneof(
        value,
        fc.array(value, { maxLength: 3 }),
        fc.dictionary(fc.constantFrom('window', 'seasons', 'min_points'), value),
      ),
    );
    fc.assert(
      fc.property(
        fc.constantFrom('absence', 'anomalies', 'client_errors', 'rate_guards'),
        fc.array(entry, { maxLength: 3 }),
        (key, entries) => {
          try {
            load(stringify({ [key]: entries }));
          } catch (err) {
            expect(isVigilError(err, 'config')).toBe(true);
            expect((err as Error).message).toContain('kinds.yaml');
          }
        },
      ),
      { seed: 7, numRuns: 300 },
    );
  });
});
