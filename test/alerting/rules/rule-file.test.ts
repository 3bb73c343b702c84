import { describe, expect, it } from 'vitest';
import { parseRuleFile } from '../../../alerting/rules/index.ts';

function error(text: string): string {
  try {
    parseRuleFile('rules.yml', text);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('parsed');
}

describe('rule files', () => {
  it('loads Prometheus groups with recording and alerting rules', () => {
    const groups = parseRuleFile(
      'rules.yml',
      `groups:
  - name: g
    interval: 30s
    rules:
      - record: job:x:rate5m
        expr: sum by (job) (rate(x[5m]))
      - alert: X
        expr: job:x:rate5m > 1
        for: 5m
        keep_firing_for: 1m
        labels: { severity: page }
        annotations: { summary: '{{ $labels.job }}' }
`,
    );
    expect(groups[0]).toMatchObject({ name: 'g', intervalMs: 30_000 });
    expect(groups[0]!.rules.map((r) => r.kind)).toEqual(['recording', 'alerting']);
    expect(groups[0]!.rules[1]).toMatchObject({ forMs: 300_000, keepFiringForMs: 60_000 });
  });

  it('names file, line, field and reason for each problem', () => {
    expect(error('groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: sin(x)\n')).toMatch(
      /^rules\.yml:5: groups\[0\]\.rules\[0\]\.expr: .*sin is not supported by vigil/,
    );
    expect(error('groups:\n  - name: g\n    rules:\n      - expr: x\n')).toMatch(
      /groups\[0\]\.rules\[0\].*one of "record" or "alert" must be set/,
    );
    expect(
      error('groups:\n  - name: g\n    rules:\n      - record: a\n        expr: x\n        for: 5m\n'),
    ).toMatch(/invalid field "for" in recording rule/);
    expect(error('groups:\n  - name: g\n  - name: g\n')).toMatch(/groupname: "g" is repeated/);
    expect(error('groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: x[5m]\n')).toMatch(
      /must be scalar or instant vector/,
    );
    expect(
      error(
        'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: x\n        annotations: { a: "{{ range . }}{{ end }}" }\n',
      ),
    ).toMatch(/"range" is not supported/);
  });
});
