import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { kinds, rules } from '../../../alerting/index.ts';
import { needBinary } from '../../support/requires.ts';

/**
 * Differential: the SLO alerts vigil evaluates and the rules it exports agree, step by step,
 * with Prometheus. One workload (healthy traffic, a full outage, a slow burn at 10%, a
 * recovery) is written as promtool input_series; vigil replays it and writes down which alerts
 * fire at every evaluation step; those become `alert_rule_test` expectations at every step,
 * and `promtool test rules` runs them against the exported Prometheus rule file. Any step
 * where Prometheus fires or resolves differently fails with both answers printed.
 */

const missing = needBinary('promtool', 'prometheus');
const minute = 60_000;
const steps = 8 * 60; // 8 hours at 1m

const source = `
apiVersion: vigil/v1
slos:
  - name: checkout
    objective: 99.9
    labels: { team: payments }
    sli:
      errors: sum(rate(requests_total{code=~"5.."}[{{.window}}]))
      total: sum(rate(requests_total[{{.window}}]))
    alerts:
      page:
        annotations:
          summary: 'SLO {{ $labels.slo }} of {{ $labels.team }} burns fast'
  - name: checkout-latency
    objective: 99
    sli:
      latency:
        histogram: request_duration_seconds
        threshold: 0.5
        buckets: [0.1, 0.5, 1]
`;

/** Requests per minute and the share failing or slow at minute i. */
function workload(i: number): { errors: number; slow: number } {
  if (i >= 120 && i < 130) return { errors: 1, slow: 0 }; // 10-minute outage
  if (i >= 200 && i < 290) return { errors: 0.1, slow: 0.3 }; // slow burn, and slow requests
  return { errors: 0, slow: 0.001 };
}

function inputSeries() {
  const perMinute = 600;
  const series: Record<string, number[]> = {
    'requests_total{code="200"}': [],
    'requests_total{code="500"}': [],
    'request_duration_seconds_bucket{le="0.1"}': [],
    'request_duration_seconds_bucket{le="0.5"}': [],
    'request_duration_seconds_bucket{le="1"}': [],
    'request_duration_seconds_bucket{le="+Inf"}': [],
    request_duration_seconds_count: [],
  };
  const acc = { ok: 0, err: 0, fast: 0, all: 0 };
  for (let i = 0; i <= steps; i++) {
    const w = workload(i);
    if (i > 0) {
      acc.err += Math.round(perMinute * w.errors);
      acc.ok += perMinute - Math.round(perMinute * w.errors);
      acc.fast += perMinute - Math.round(perMinute * w.slow);
      acc.all += perMinute;
    }
    series['requests_total{code="200"}']!.push(acc.ok);
    series['requests_total{code="500"}']!.push(acc.err);
    series['request_duration_seconds_bucket{le="0.1"}']!.push(Math.floor(acc.fast / 2));
    series['request_duration_seconds_bucket{le="0.5"}']!.push(acc.fast);
    series['request_duration_seconds_bucket{le="1"}']!.push(acc.all);
    series['request_duration_seconds_bucket{le="+Inf"}']!.push(acc.all);
    series.request_duration_seconds_count!.push(acc.all);
  }
  return Object.entries(series).map(([name, values]) => ({ series: name, values: values.join(' ') }));
}

describe.skipIf(missing)(
  'exported SLO alerts fire and resolve at the same steps in Prometheus as in vigil',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-slo-diff-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('agrees at every one of 481 evaluation steps', () => {
      const sourceFile = join(dir, 'slo.yaml');
      writeFileSync(sourceFile, source);
      const loaded = rules.loadVigilRuleFile(sourceFile);
      writeFileSync(join(dir, 'exported.yaml'), kinds.exportRuleFile(loaded));

      // vigil: the compiled groups replayed over the same series, every minute.
      const input = inputSeries();
      const store = kinds.backtestStore();
      for (const s of input) {
        const labels = rules.parseSeriesLabels(s.series);
        s.values.split(' ').forEach((v, i) => {
          store.append(labels, i * minute, Number(v));
        });
      }
      const result = kinds.runBacktest(rules.allGroups(loaded), store, {
        start: 0,
        end: steps * minute,
        stepMs: minute,
      });
      expect(result.errors).toEqual([]);
      const firingAt = (t: number) =>
        result.alerts.filter((a) => a.firedAt <= t && (a.resolvedAt === undefined || t < a.resolvedAt));

      // Not vacuous: pages and tickets both fire and resolve within the 8 hours.
      const severities = (list: typeof result.alerts) => new Set(list.map((a) => a.labels.severity));
      expect(severities(result.alerts)).toEqual(new Set(['page', 'ticket']));
      expect(result.alerts.some((a) => a.resolvedAt !== undefined && a.labels.severity === 'page')).toBe(
        true,
      );
      expect(new Set(result.alerts.map((a) => a.labels.slo))).toEqual(
        new Set(['checkout', 'checkout-latency']),
      );

      const tests = [];
      for (let i = 0; i <= steps; i++) {
        const t = i * minute;
        tests.push({
          eval_time: `${i}m`,
          alertname: 'ErrorBudgetBurn',
          exp_alerts: firingAt(t).map((a) => {
            const { alertname: _, ...labels } = a.labels;
            return { exp_labels: labels, exp_annotations: a.annotations };
          }),
        });
      }
      const testFile = join(dir, 'test.yaml');
      writeFileSync(
        testFile,
        stringify(
          {
            rule_files: ['exported.yaml'],
            evaluation_interval: '1m',
            tests: [{ interval: '1m', input_series: input, alert_rule_test: tests }],
          },
          { lineWidth: 0, aliasDuplicateObjects: false },
        ),
      );
      let out = '';
      try {
        out = execFileSync('promtool', ['test', 'rules', testFile], { encoding: 'utf8', stdio: 'pipe' });
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string };
        throw new Error(
          `promtool disagrees with vigil:\n${(e.stdout ?? '').slice(0, 4000)}${e.stderr ?? ''}`,
        );
      }
      expect(out).toContain('SUCCESS');
      // And vigil's own promtool-format runner agrees with itself on the exported file.
      expect(rules.runUnitTestFile(testFile).failures).toEqual([]);
    });
  },
);
