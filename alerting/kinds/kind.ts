import type { z } from 'zod';
import type { RuleGroup } from '../rules/index.ts';

/**
 * A rule kind: a top-level key of a vigil rule file (`slos:`, `absence:`, ...) whose entries
 * become rule groups. A kind is a zod schema for the value under its key and one pure
 * function from the parsed spec to groups (after slok/sloth: parse a versioned spec into a
 * model, then generate). It produces two views of the same rules: the groups the embedded
 * engine evaluates, and plain Prometheus groups for `vigil rules export`. For kinds written
 * in PromQL (slo) the two are the same rules; a kind with embedded detectors exports a PromQL
 * approximation and says how it differs in docs/rules.md.
 */

/** One rule of a plain Prometheus rule file, as it is written in YAML. */
export interface ExportRule {
  record?: string;
  alert?: string;
  expr: string;
  /** A Prometheus duration ("5m"). */
  for?: string;
  keep_firing_for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** One group of a plain Prometheus rule file, serialisable to Prometheus' YAML as it is. */
export interface ExportGroup {
  name: string;
  /** A Prometheus duration ("30s"); absent: the global evaluation_interval. */
  interval?: string;
  limit?: number;
  rules: ExportRule[];
}

/** What one kind's entries compile to. */
export interface CompiledKind {
  /** What the embedded engine evaluates. */
  groups: RuleGroup[];
  /** Plain Prometheus groups for `vigil rules export`. */
  exportGroups: ExportGroup[];
}

/** What compile is given besides the spec. */
export interface CompileContext {
  /** The rule file, for errors and for RuleGroup.file. */
  file: string;
  /**
   * Parses a plain Prometheus group as if it had been written under `groups:` of the file:
   * every expression parsed, every template compiled. Throws VigilError('config') on a bad
   * group; a kind validates its user input in its schema first, so that this only fails on
   * a bug and the user sees file:line errors from the schema instead.
   */
  ruleGroup(group: ExportGroup): RuleGroup;
}

/**
 * A rule kind. `key` is the top-level YAML key; `schema` validates the value under it (so
 * errors name `file:line: key[i].field`); `compile` is pure.
 */
export interface RuleKind<S extends z.ZodType = z.ZodType> {
  key: string;
  schema: S;
  compile(spec: z.output<S>, ctx: CompileContext): CompiledKind;
}

/** Declares a kind with its spec type inferred from its schema. */
export function defineKind<S extends z.ZodType>(kind: RuleKind<S>): RuleKind<S> {
  return kind;
}
