import { z } from 'zod';
import {
  apiVersionSchema,
  durationSchema,
  formatPath,
  loadConfigFile,
  parseConfig,
  VigilError,
} from '../../core/index.ts';
import { type CompiledKind, type ExportGroup, kinds } from '../kinds/index.ts';
import { type Expr, parseExpr, typeOf } from '../promql/index.ts';
import type { Labels } from '../store/index.ts';
import type { DetectorRule } from './detector.ts';
import { type CompiledTemplate, compileTemplate } from './template.ts';

/**
 * Prometheus rule files (`groups:` of recording and alerting rules), validated when loaded:
 * every expression is parsed (an unsupported PromQL construct is refused here, by name),
 * every label and annotation template compiled, and every error names the file, line, group
 * and rule. `groups:` is Prometheus' own format, so such files load in Prometheus, Thanos and
 * Mimir rulers as they are. A vigil rule file may add `apiVersion: vigil/v1` and rule kinds
 * (`slos:`, ... from alerting/kinds), compiled here into more groups; `vigil rules export`
 * turns such a file back into a plain Prometheus one.
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

/** Detector rules come from vigil's rule kinds (alerting/kinds), never from `groups:` text. */
export type Rule = RecordingRule | AlertingRule | DetectorRule;

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

const fileSchema = (file: string) => {
  // Built per file (the kinds' compile() needs the file name) and on first use: kinds/ imports
  // this folder, so the registry must not be read while the modules are still being linked.
  const kindShape: Record<string, z.ZodType> = {};
  for (const kind of kinds) kindShape[kind.key] = kind.schema.optional();
  return z
    .strictObject({
      /** Optional: a plain Prometheus rule file has none, and Prometheus refuses unknown keys. */
      apiVersion: apiVersionSchema.optional(),
      groups: z.array(groupSchema).default([]),
      ...kindShape,
    })
    .transform((raw, ctx): LoadedRuleFile => {
      const groups = raw.groups as z.output<typeof groupSchema>[];
      const seen = new Set<string>();
      groups.forEach((g, i) => {
        if (seen.has(g.name))
          ctx.addIssue({
            code: 'custom',
            message: `groupname: "${g.name}" is repeated in the same file`,
            path: ['groups', i, 'name'],
          });
        seen.add(g.name);
      });
      const compiled: LoadedRuleFile['kinds'] = [];
      for (const kind of kinds) {
        const spec = (raw as Record<string, unknown>)[kind.key];
        if (spec === undefined) continue;
        let out: CompiledKind;
        try {
          out = kind.compile(spec, { file, ruleGroup: (g) => generatedGroup(file, g) });
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message, path: [kind.key] });
          continue;
        }
        for (const g of out.groups) {
          if (seen.has(g.name))
            ctx.addIssue({
              code: 'custom',
              message: `groupname: "${g.name}" generated by ${kind.key} is repeated in the same file`,
              path: [kind.key],
            });
          seen.add(g.name);
        }
        compiled.push({ key: kind.key, compiled: out });
      }
      return { file, plain: toGroups(file, groups), kinds: compiled };
    });
};

/** A rule file as loaded: its own `groups:`, then what each rule kind in it compiled to. */
export interface LoadedRuleFile {
  file: string;
  /** The file's `groups:`, exactly as Prometheus reads them. */
  plain: RuleGroup[];
  /** The rule kinds the file uses (`slos:`, ...), in registry order. */
  kinds: { key: string; compiled: CompiledKind }[];
}

function toGroups(file: string, groups: z.output<typeof groupSchema>[]): RuleGroup[] {
  return groups.map((g) => ({
    name: g.name,
    file,
    intervalMs: g.interval,
    limit: g.limit ?? 0,
    rules: g.rules,
  }));
}

/** A group a rule kind generated, parsed as if it had been written under `groups:`. */
function generatedGroup(file: string, group: ExportGroup): RuleGroup {
  const parsed = groupSchema.safeParse(group);
  if (!parsed.success)
    throw new VigilError(
      'config',
      `${file}: generated group ${group.name}: ${parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ')}`,
    );
  return toGroups(file, [parsed.data])[0]!;
}

/** Every group of a loaded file: its own, then the rule kinds', in that order. */
export function allGroups(loaded: LoadedRuleFile): RuleGroup[] {
  return [...loaded.plain, ...loaded.kinds.flatMap((k) => k.compiled.groups)];
}

/**
 * Parses rule file text: a Prometheus rule file, optionally with vigil's rule kinds
 * (`apiVersion: vigil/v1`, `slos:`, ...) beside `groups:`.
 *
 * @example
 * const groups = parseRuleFile('rules.yml', text);
 * @throws VigilError('config') with `file:line: groups[0].rules[1].expr: reason` lines.
 */
export function parseRuleFile(file: string, text: string): RuleGroup[] {
  return allGroups(parseVigilRuleFile(file, text));
}

/** Reads and parses a rule file; see {@link parseRuleFile}. */
export function loadRuleFile(file: string): RuleGroup[] {
  return allGroups(loadVigilRuleFile(file));
}

/**
 * Parses rule file text, keeping the file's own groups apart from each kind's compiled groups
 * (export writes them out; the engine runs {@link allGroups}).
 */
export function parseVigilRuleFile(file: string, text: string): LoadedRuleFile {
  return parseConfig(fileSchema(file), file, text);
}

/** Reads and parses a rule file; see {@link parseVigilRuleFile}. */
export function loadVigilRuleFile(file: string): LoadedRuleFile {
  return loadConfigFile(fileSchema(file), file);
}
