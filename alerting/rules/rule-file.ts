import { z } from 'zod';
import { durationSchema, loadConfigFile, parseConfig } from '../../core/index.ts';
import { type Expr, parseExpr, typeOf } from '../promql/index.ts';
import type { Labels } from '../store/index.ts';
import { type CompiledTemplate, compileTemplate } from './template.ts';

/**
 * Prometheus rule files (`groups:` of recording and alerting rules), validated when loaded:
 * every expression is parsed (an unsupported PromQL construct is refused here, by name),
 * every label and annotation template compiled, and every error names the file, line, group
 * and rule. The format is Prometheus' own, without vigil additions, so the same files load in
 * Prometheus, Thanos and Mimir rulers.
 */

export interface RecordingRule {
  kind: 'recording';
  name: string;
  exprText: string;
  expr: Expr;
  labels: Labels;
}

export interface AlertingRule {
  kind: 'alerting';
  name: string;
  exprText: string;
  expr: Expr;
  forMs: number;
  keepFiringForMs: number;
  labels: { name: string; template: CompiledTemplate }[];
  annotations: { name: string; template: CompiledTemplate }[];
}

export type Rule = RecordingRule | AlertingRule;

export interface RuleGroup {
  name: string;
  file: string;
  /** Undefined: the global evaluation interval applies. */
  intervalMs: number | undefined;
  /** Most alerts or series a rule may produce (0: no limit), as Prometheus' `limit`. */
  limit: number;
  rules: Rule[];
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const exprSchema = z.string({ error: 'expected a PromQL expression' }).transform((text, ctx) => {
  try {
    const expr = parseExpr(text);
    const type = typeOf(expr);
    if (type !== 'vector' && type !== 'scalar') {
      ctx.addIssue({
        code: 'custom',
        message: `invalid expression type "${type === 'matrix' ? 'range vector' : type}", must be scalar or instant vector`,
      });
      return z.NEVER;
    }
    return { text, expr };
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const _templateSchema = z.string({ error: 'expected a string' }).transform((text, ctx) => {
  try {
    return compileTemplate(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const labelMap = <T extends z.ZodType>(value: T) =>
  z.record(z.string().regex(labelName, { error: 'invalid label name' }), value).optional();

const ruleSchema = z
  .strictObject({
    record: z.string().optional(),
    alert: z.string().optional(),
    expr: exprSchema,
    for: durationSchema.optional(),
    keep_firing_for: durationSchema.optional(),
    labels: labelMap(z.union([z.string(), z.number(), z.boolean()]).transform(String)),
    annotations: labelMap(z.union([z.string(), z.number(), z.boolean()]).transform(String)),
  })
  .transform((raw, ctx): Rule => {
    if ((raw.record === undefined) === (raw.alert === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'one of "record" or "alert" must be set', path: [] });
      return z.NEVER;
    }
    if (raw.record !== undefined) {
      if (!metricName.test(raw.record))
        ctx.addIssue({
          code: 'custom',
          message: `invalid recording rule name: ${raw.record}`,
          path: ['record'],
        });
      for (const field of ['for', 'keep_firing_for', 'annotations'] as const) {
        if (raw[field] !== undefined)
          ctx.addIssue({
            code: 'custom',
            message: `invalid field "${field}" in recording rule`,
            path: [field],
          });
      }
      for (const [name, value] of Object.entries(raw.labels ?? {})) {
        if (value.includes('{{'))
          ctx.addIssue({
            code: 'custom',
            message: 'recording rule labels are not templated',
            path: ['labels', name],
          });
      }
      return {
        kind: 'recording',
        name: raw.record,
        exprText: raw.expr.text,
        expr: raw.expr.expr,
        labels: raw.labels ?? {},
      };
    }
    const compile = (field: 'labels' | 'annotations') =>
      Object.entries(raw[field] ?? {}).flatMap(([name, text]) => {
        try {
          return [{ name, template: compileTemplate(text) }];
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message, path: [field, name] });
          return [];
        }
      });
    return {
      kind: 'alerting',
      name: raw.alert!,
      exprText: raw.expr.text,
      expr: raw.expr.expr,
      forMs: raw.for ?? 0,
      keepFiringForMs: raw.keep_firing_for ?? 0,
      labels: compile('labels'),
      annotations: compile('annotations'),
    };
  });

const groupSchema = z.strictObject({
  name: z.string({ error: 'expected a group name' }).min(1, { error: 'group name must not be empty' }),
  interval: durationSchema.optional(),
  limit: z.number().int().min(0).optional(),
  rules: z.array(ruleSchema).default([]),
});

const fileSchema = z
  .strictObject({
    groups: z.array(groupSchema).default([]),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.groups.forEach((g, i) => {
      if (seen.has(g.name))
        ctx.addIssue({
          code: 'custom',
          message: `groupname: "${g.name}" is repeated in the same file`,
          path: ['groups', i, 'name'],
        });
      seen.add(g.name);
    });
  });

function toGroups(file: string, parsed: z.output<typeof fileSchema>): RuleGroup[] {
  return parsed.groups.map((g) => ({
    name: g.name,
    file,
    intervalMs: g.interval,
    limit: g.limit ?? 0,
    rules: g.rules,
  }));
}

/**
 * Parses rule file text.
 *
 * @example
 * const groups = parseRuleFile('rules.yml', text);
 * @throws VigilError('config') with `file:line: groups[0].rules[1].expr: reason` lines.
 */
export function parseRuleFile(file: string, text: string): RuleGroup[] {
  return toGroups(file, parseConfig(fileSchema, file, text));
}

/** Reads and parses a rule file. */
export function loadRuleFile(file: string): RuleGroup[] {
  return toGroups(file, loadConfigFile(fileSchema, file));
}
