import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { kinds, rules } from '../../../alerting/index.ts';
import { isVigilError } from '../../../core/index.ts';
import { runCli } from '../../support/cli.ts';

/** Loading vigil rule files: kind keys beside `groups:`, validated with file:line errors. */

function error(text: string): string {
  try {
    rules.parseRuleFile('slo.yaml', text);
  } catch (err) {
    if (!isVigilError(err)) throw err;
    return err.message;
  }
  throw new Error('parsed');
}

const slo = `apiVersion: vigil/v1
groups:
  - name: own
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
slos:
  - name: api
    objective: 99.9
    sli:
      errors: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
      total: sum(rate(http_requests_total[{{ .window }}]))
`;

describe('vigil rule files', () => {
  it('returns the file own groups first, then the compiled groups of each kind', () => {
    const loaded = rules.parseVigilRuleFile('slo.yaml', slo);
    expect(loaded.plain.map((g) => g.name)).toEqual(['own']);
    expect(loaded.kinds.map((k) => k.key)).toEqual(['slos']);
    const groups = rules.parseRuleFile('slo.yaml', slo);
    expect(groups.map((g) => g.name)).toEqual(['own', 'slo-api']);
    expect(groups[1]!.file).toBe('slo.yaml');
    // The engine's groups and the export groups are the same rules, in the same order.
    const exported = loaded.kinds[0]!.compiled.exportGroups[0]!;
    expect(groups[1]!.rules.map((r) => r.name)).toEqual(exported.rules.map((r) => r.record ?? r.alert));
  });

  it('loads a plain Prometheus file as before, and refuses apiVersion other than vigil/v1', () => {
    const groups = rules.parseRuleFile(
      'p.yml',
      'groups:\n  - name: g\n    rules:\n      - record: a\n        expr: up\n',
    );
    expect(groups).toHaveLength(1);
    expect(error('apiVersion: vigil/v2\ngroups: []\n')).toMatch(
      /^slo\.yaml:1: apiVersion: expected apiVersion: vigil\/v1/,
    );
    expect(error('groups: []\nslo: []\n')).toMatch(/Unrecognized key.*"slo"/);
  });

  it('names file, line and field of a bad SLO', () => {
    const bad = (field: string, value: string) =>
      slo.replace(new RegExp(`${field}: .*`), `${field}: ${value}`);
    expect(error(bad('objective', '100'))).toMatch(
      /^slo\.yaml:9: slos\[0\]\.objective: expected a percentage below 100/,
    );
    expect(error(bad('objective', '"high"'))).toMatch(
      /^slo\.yaml:9: slos\[0\]\.objective: expected a percentage/,
    );
    expect(error(bad('errors', 'sum(rate(x[5m]))'))).toMatch(
      /^slo\.yaml:11: slos\[0\]\.sli\.errors: expected the placeholder \{\{\.window\}\}/,
    );
    expect(error(bad('errors', 'sum(rate(x[{{.window}}])'))).toMatch(
      /^slo\.yaml:11: slos\[0\]\.sli\.errors: /,
    );
    expect(error(bad('errors', 'x[{{.window}}]'))).toMatch(
      /expected an instant vector expression, got a matrix/,
    );
    expect(error(`${slo}    window: 30x\n`)).toMatch(
      /^slo\.yaml:13: slos\[0\]\.window: invalid duration "30x"/,
    );
    expect(error(`${slo}    labels: { slo: x }\n`)).toMatch(
      /slos\[0\]\.labels\.slo: the label "slo" is set by vigil/,
    );
    expect(error(`${slo}    colour: red\n`)).toMatch(/^slo\.yaml:8: slos\[0\]: Unrecognized key: "colour"/);
    expect(
      error(
        `${slo}  - name: api\n    objective: 99\n    sli: { latency: { histogram: h, threshold: 0.3 } }\n`,
      ),
    ).toMatch(/slos\[1\]\.name: SLO "api" is defined twice/);
  });

  it('refuses windows that cannot fire or make no sense', () => {
    const withAlerts = (alerts: string) => `${slo}    alerts:\n${alerts}`;
    expect(
      error(withAlerts('      page:\n        windows: [{ long: 1h, short: 5m, burn_rate: 1000 }]\n')),
    ).toMatch(
      /^slo\.yaml:15: slos\[0\]\.alerts\.page\.windows\[0\]\.burn_rate: a burn rate of 1000 needs an error ratio of 100%/,
    );
    expect(
      error(withAlerts('      ticket:\n        windows: [{ long: 1h, short: 2h, burn_rate: 2 }]\n')),
    ).toMatch(/the short window must be shorter than the long one/);
    expect(
      error(withAlerts('      ticket:\n        windows: [{ long: 40d, short: 2h, burn_rate: 2 }]\n')),
    ).toMatch(/windows\[0\]\.long: the long window is longer than the SLO window/);
  });

  it('refuses a latency threshold that is not a bucket bound, when the buckets are given', () => {
    const latency = (threshold: number) => `slos:
  - name: lat
    objective: 99
    sli:
      latency:
        histogram: http_server_request_duration_seconds
        threshold: ${threshold}
        buckets: [0.1, 0.25, 0.5]
`;
    expect(error(latency(0.3))).toMatch(
      /^slo\.yaml:7: slos\[0\]\.sli\.latency\.threshold: 0\.3 is not a bucket bound of http_server_request_duration_seconds/,
    );
    expect(rules.parseRuleFile('slo.yaml', latency(0.25))).toHaveLength(1);
  });

  it('vigil rules check accepts the default SLO pack and counts its generated rules', async () => {
    const res = await runCli(['rules', 'check', 'rules/slo-http.yaml']);
    expect(res.code).toBe(0);
    expect(res.out).toContain('SUCCESS: 44 rules found');
  });

  it('refuses a generated group name that clashes with the file own group', () => {
    expect(error(slo.replace('name: own', 'name: slo-api'))).toMatch(
      /slos: groupname: "slo-api" generated by slos is repeated in the same file/,
    );
  });

  it('never throws anything but a VigilError on random input (fast-check)', () => {
    const scalar = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom('99.9', '30d', '5m', 'sum(rate(x[{{.window}}]))', 'x[{{.window}}]', '{{.window}}'),
    );
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { maxDepth: 3 },
        scalar,
        fc.array(tie('v'), { maxLength: 3 }),
        fc.dictionary(
          fc.constantFrom(
            'name',
            'objective',
            'window',
            'sli',
            'errors',
            'good',
            'total',
            'latency',
            'histogram',
            'threshold',
            'buckets',
            'alerts',
            'page',
            'ticket',
            'windows',
            'long',
            'short',
            'burn_rate',
            'labels',
            'by',
            'x',
          ),
          tie('v'),
          { maxKeys: 5 },
        ),
      ),
    })).v;
    const file = fc.record(
      {
        apiVersion: fc.constantFrom('vigil/v1', 'v2'),
        slos: fc.oneof(value, fc.array(value, { maxLength: 3 })),
        groups: value,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          file.map((f) => stringify(f)),
          fc.string({ maxLength: 200 }),
        ),
        (text) => {
          try {
            rules.parseRuleFile('slo.yaml', text);
          } catch (err) {
            if (!isVigilError(err) || err.code !== 'config') throw err;
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('slo generation', () => {
  it('records every window, the SLI, budget and burn rates, and a page and a ticket alert', () => {
    const spec = kinds.slo.schema.parse([
      {
        name: 'api',
        objective: 99.9,
        sli: { errors: 'sum(rate(e[{{.window}}]))', total: 'sum(rate(t[{{.window}}]))' },
      },
    ]);
    const [group] = kinds.slo.compile(spec, {
      file: 'x',
      ruleGroup: (g) => ({ name: g.name, file: 'x', intervalMs: undefined, limit: 0, rules: [] }),
    }).exportGroups;
    expect(group!.name).toBe('slo-api');
    const records = group!.rules.filter((r) => r.record).map((r) => r.record);
    expect(records).toEqual([
      ...['5m', '30m', '1h', '2h', '6h', '1d', '3d', '30d'].map((w) => `slo:sli_error:ratio_rate${w}`),
      'slo:objective:ratio',
      'slo:error_budget:ratio',
      'slo:sli:ratio_rate30d',
      'slo:error_budget_remaining:ratio',
      ...['5m', '30m', '1h', '2h', '6h', '1d', '3d', '30d'].map((w) => `slo:burn_rate:ratio_rate${w}`),
    ]);
    const byName = Object.fromEntries(
      group!.rules.map((r) => [r.record ?? `${r.alert}:${r.labels?.severity}`, r]),
    );
    expect(byName['slo:sli_error:ratio_rate1h']!.expr).toBe('(sum(rate(e[1h])))\n/\n(sum(rate(t[1h])))');
    expect(byName['slo:objective:ratio']!.expr).toBe('vector(0.999)');
    expect(byName['slo:error_budget:ratio']!.expr).toBe('vector(0.001)');
    expect(byName['slo:error_budget_remaining:ratio']!.expr).toBe(
      '1 - slo:sli_error:ratio_rate30d{slo="api"} / 0.001',
    );
    expect(byName['ErrorBudgetBurn:page']!.expr.replace(/\s+/g, ' ')).toBe(
      '( slo:sli_error:ratio_rate1h{slo="api"} > (14.4 * 0.001) and slo:sli_error:ratio_rate5m{slo="api"} > (14.4 * 0.001) ) or ( slo:sli_error:ratio_rate6h{slo="api"} > (6 * 0.001) and slo:sli_error:ratio_rate30m{slo="api"} > (6 * 0.001) )',
    );
    expect(byName['ErrorBudgetBurn:ticket']!.labels).toEqual({ slo: 'api', severity: 'ticket' });
    for (const r of group!.rules) expect(r.labels?.slo).toBe('api');
  });

  it('builds a latency SLI from the threshold bucket, subtracting excluded fast requests', () => {
    const spec = kinds.sloSpecSchema.parse({
      name: 'lat',
      objective: 99,
      sli: {
        latency: {
          histogram: 'h',
          threshold: 0.5,
          matchers: 'job="api"',
          exclude: 'code=~"5.."',
          by: ['job'],
        },
      },
    });
    expect(kinds.errorRatioExpr(spec.sli, '5m').replace(/\s+/g, ' ')).toBe(
      '1 - ( sum by (job)(rate(h_bucket{job="api", le="0.5", code!~"5.."}[5m])) / sum by (job)(rate(h_count{job="api"}[5m])) )',
    );
    expect(
      error(
        `slos:\n  - name: l\n    objective: 99\n    sli: { latency: { histogram: h, threshold: 1, exclude: 'a="1", b="2"' } }\n`,
      ),
    ).toMatch(/slos\[0\]\.sli\.latency\.exclude: expected one matcher/);
  });

  it('names windows in one unit and computes budgets without float noise', () => {
    expect([300_000, 3_600_000, 86_400_000, 30 * 86_400_000, 90_000].map(kinds.windowName)).toEqual([
      '5m',
      '1h',
      '1d',
      '30d',
      '90s',
    ]);
    expect([99.9, 99.95, 99, 95, 99.99].map(kinds.errorBudget)).toEqual([0.001, 0.0005, 0.01, 0.05, 0.0001]);
  });
});
