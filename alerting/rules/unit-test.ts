import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { durationSchema, formatDuration, loadConfigFile, VigilError } from '../../core/index.ts';
import { compareLabels, Engine, type Expr, parseExpr, type Sample } from '../promql/index.ts';
import { formatLabels, type Labels, MemoryStore } from '../store/index.ts';
import { GroupEvaluator } from './group.ts';
import { loadRuleFile, type RuleGroup } from './rule-file.ts';
import { expandValues, parseSeriesLabels } from './series-notation.ts';

/**
 * Runs rule unit tests written in promtool's format (`promtool test rules`): input series in
 * the expanding notation, rules evaluated every `evaluation_interval` from time 0, firing
 * alerts compared at each `alert_rule_test` eval_time and expressions at each
 * `promql_expr_test` eval_time. The same files pass or fail in both tools.
 */

const seriesSchema = z.strictObject({ series: z.string(), values: z.string().default('') });
// YAML's .inf and .nan are numbers too (zod's z.number() refuses them).
const floatSchema = z.union([
  z.custom<number>((v) => typeof v === 'number', { error: 'expected a number' }),
  z.string().transform(Number),
]);
const sampleSchema = z.strictObject({ labels: z.string(), value: floatSchema });
const expAlertSchema = z.strictObject({
  exp_labels: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).optional(),
  exp_annotations: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).optional(),
});

const testGroupSchema = z.strictObject({
  name: z.string().optional(),
  interval: durationSchema.optional(),
  input_series: z.array(seriesSchema).default([]),
  alert_rule_test: z
    .array(
      z.strictObject({
        eval_time: durationSchema,
        alertname: z.string(),
        exp_alerts: z.array(expAlertSchema).nullish(),
      }),
    )
    .default([]),
  promql_expr_test: z
    .array(
      z.strictObject({
        expr: z.string(),
        eval_time: durationSchema,
        exp_samples: z.array(sampleSchema).nullish(),
      }),
    )
    .default([]),
  external_labels: z.record(z.string(), z.string()).optional(),
  external_url: z.string().optional(),
});

const testFileSchema = z.strictObject({
  rule_files: z.array(z.string()).default([]),
  evaluation_interval: durationSchema.optional(),
  group_eval_order: z.array(z.string()).optional(),
  tests: z.array(testGroupSchema).default([]),
});

type TestGroup = z.output<typeof testGroupSchema>;

export interface UnitTestReport {
  file: string;
  passed: boolean;
  /** promtool-style failure descriptions, each naming the test and showing expected vs got. */
  failures: string[];
}

interface AlertView {
  labels: Labels;
  annotations: Labels;
}

/**
 * Runs every test group of one test file.
 *
 * @example
 * const report = runUnitTestFile('tests/alerts_test.yml');
 * if (!report.passed) console.log(report.failures.join('\n'));
 */
export function runUnitTestFile(file: string): UnitTestReport {
  const spec = loadConfigFile(testFileSchema, file);
  const evalInterval = spec.evaluation_interval ?? 60_000;
  const groups: RuleGroup[] = [];
  for (const ruleFile of spec.rule_files) {
    const path = isAbsolute(ruleFile) ? ruleFile : resolve(dirname(file), ruleFile);
    groups.push(...loadRuleFile(path));
  }
  if (spec.group_eval_order) {
    const order = spec.group_eval_order;
    for (const name of order) {
      if (!groups.some((g) => g.name === name))
        throw new VigilError(
          'config',
          `${file}: group_eval_order: group "${name}" not found in the rule files`,
        );
    }
    groups.sort((a, b) => {
      const ia = order.indexOf(a.name);
      const ib = order.indexOf(b.name);
      return (ia < 0 ? Number.MAX_SAFE_INTEGER : ia) - (ib < 0 ? Number.MAX_SAFE_INTEGER : ib);
    });
  }
  const failures: string[] = [];
  for (const tg of spec.tests) failures.push(...runGroup(tg, groups, evalInterval));
  return { file, passed: failures.length === 0, failures };
}

function runGroup(tg: TestGroup, ruleGroups: RuleGroup[], evalInterval: number): string[] {
  const interval = tg.interval ?? evalInterval;
  const store = new MemoryStore({ maxSeries: 1_000_000, retentionMs: Number.MAX_SAFE_INTEGER });
  const testName = tg.name ? `    name: ${tg.name},\n` : '';
  for (const input of tg.input_series) {
    const labels = parseSeriesLabels(input.series);
    expandValues(input.values).forEach((v, i) => {
      if (v !== undefined) store.append(labels, i * interval, v);
    });
  }
  const engine = new Engine(store, { defaultSubqueryStepMs: 60_000 });
  const query = (expr: Expr, t: number): Sample[] => {
    const value = engine.instant(expr, t);
    if (value.type === 'vector') return value.samples;
    if (value.type === 'scalar') return [{ labels: {}, v: value.v }];
    throw new VigilError('parse', 'rule result is not a vector or scalar');
  };
  const evaluators = ruleGroups.map(
    (g) =>
      new GroupEvaluator(g, {
        externalLabels: tg.external_labels ?? {},
        externalURL: tg.external_url ?? '',
        detectorQuery: {
          instant: (expr, t) => engine.instant(expr, t),
          range: (expr, start, end, step) => engine.range(expr, start, end, step),
        },
      }),
  );
  const failures: string[] = [];
  const alertTimes = [...new Set(tg.alert_rule_test.map((a) => a.eval_time))].sort((a, b) => a - b);
  const maxEval = Math.max(
    0,
    ...tg.alert_rule_test.map((a) => a.eval_time),
    ...tg.promql_expr_test.map((p) => p.eval_time),
  );
  let curr = 0;
  const append = (labels: Labels, t: number, v: number) => {
    store.append(labels, t, v);
  };
  for (let ts = 0; ts <= maxEval; ts += evalInterval) {
    for (const ev of evaluators) {
      for (const r of ev.evaluate(ts, query, append)) {
        if (r.error) failures.push(`    rule: ${r.rule.name}, time: ${formatDuration(ts)}, err: ${r.error}`);
      }
    }
    while (curr < alertTimes.length && ts <= alertTimes[curr]! && alertTimes[curr]! < ts + evalInterval) {
      const t = alertTimes[curr]!;
      for (const test of tg.alert_rule_test.filter((a) => a.eval_time === t)) {
        const got: AlertView[] = [];
        for (const ev of evaluators) {
          for (const { rule, alert } of ev.activeAlerts()) {
            if (rule.name === test.alertname && alert.state === 'firing')
              got.push({ labels: alert.labels, annotations: alert.annotations });
          }
        }
        const exp: AlertView[] = (test.exp_alerts ?? []).map((a) => ({
          labels: { ...(a.exp_labels ?? {}), alertname: test.alertname },
          annotations: a.exp_annotations ?? {},
        }));
        const sortAlerts = (list: AlertView[]) =>
          list.sort(
            (a, b) => compareLabels(a.labels, b.labels) || compareLabels(a.annotations, b.annotations),
          );
        sortAlerts(got);
        sortAlerts(exp);
        if (formatAlerts(exp) !== formatAlerts(got)) {
          failures.push(
            `${testName}    alertname: ${test.alertname}, time: ${formatDuration(t)}, \n        exp:${formatAlerts(exp)}, \n        got:${formatAlerts(got)}`,
          );
        }
      }
      curr++;
    }
  }
  for (const test of tg.promql_expr_test) {
    let got: Sample[];
    try {
      got = query(parseExpr(test.expr), test.eval_time);
    } catch (err) {
      failures.push(
        `${testName}    expr: ${JSON.stringify(test.expr)}, time: ${formatDuration(test.eval_time)}, err: ${(err as Error).message}`,
      );
      continue;
    }
    const exp = (test.exp_samples ?? []).map((s) => ({ labels: parseSeriesLabels(s.labels), v: s.value }));
    const sorted = (list: { labels: Labels; v: number }[]) =>
      [...list].sort((a, b) => compareLabels(a.labels, b.labels));
    const expSorted = sorted(exp);
    const gotSorted = sorted(got);
    const equal =
      expSorted.length === gotSorted.length &&
      expSorted.every(
        (e, i) => formatLabels(e.labels) === formatLabels(gotSorted[i]!.labels) && e.v === gotSorted[i]!.v,
      );
    if (!equal) {
      failures.push(
        `${testName}    expr: ${JSON.stringify(test.expr)}, time: ${formatDuration(test.eval_time)},\n        exp: ${formatSamples(expSorted)}\n        got: ${formatSamples(gotSorted)}`,
      );
    }
  }
  return failures;
}

function formatAlerts(list: AlertView[]): string {
  if (list.length === 0) return '[]';
  return `[\n${list.map((a, i) => `            ${i}:\n              Labels:${formatLabels(a.labels).replace(/^[^{]*/, '')}\n              Annotations:${formatLabels(a.annotations).replace(/^[^{]*/, '')}`).join('\n')}\n            ]`;
}

function formatSamples(list: { labels: Labels; v: number }[]): string {
  return `[${list.map((s) => `${formatLabels(s.labels).replace(/^([^{]+)\{\}$/, '$1')} ${goFormatE(s.v)}`).join(', ')}]`;
}

/** Go's strconv.FormatFloat(v, 'E', -1, 64), as promtool prints sample values. */
function goFormatE(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return v
    .toExponential()
    .toUpperCase()
    .replace(/E([+-])(\d)$/, 'E$10$2');
}
