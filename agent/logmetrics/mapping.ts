import { VigilError } from '../../core/index.ts';
import type { LogRecord } from '../record.ts';

/**
 * User-defined log-to-metric mappings, compiled once: a record matches by a regex (or an
 * exact value) on one of its fields, and then increments a counter, sets a gauge or feeds
 * a histogram, with labels filled from the regex's groups or the record's fields.
 *
 * Fields: `body`, `severity_text`, `severity` (the range: INFO, ERROR...), `attributes.NAME`,
 * `resource.NAME`. Label templates: `${1}` / `${name}` (regex groups), `${attributes.route}`.
 */
export interface MappingRule {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  help?: string;
  /** Only records of this source. */
  source?: string;
  match?: { field?: string; regex?: string; equals?: string };
  labels?: Record<string, string>;
  /** Field or `${group}` holding the number: the gauge value, the observation, the counter increment (default 1). */
  value?: string;
  buckets?: number[];
}

export interface CompiledMapping {
  rule: MappingRule;
  labelNames: string[];
  /** Label values and value for a record, or undefined when it does not match. */
  apply(record: LogRecord, source: string): { labels: string[]; value: number } | undefined;
}

type Getter = (r: LogRecord) => unknown;

export function fieldGetter(field: string): Getter {
  if (field === 'body') return (r) => r.body;
  if (field === 'severity_text') return (r) => r.severityText;
  if (field === 'severity_number') return (r) => r.severityNumber;
  if (field === 'trace_id') return (r) => r.traceId;
  if (field.startsWith('attributes.')) {
    const key = field.slice('attributes.'.length);
    return (r) => r.attributes[key];
  }
  if (field.startsWith('resource.')) {
    const key = field.slice('resource.'.length);
    return (r) => r.resource[key];
  }
  throw new VigilError(
    'config',
    `unknown record field "${field}" (body, severity_text, severity_number, trace_id, attributes.NAME, resource.NAME)`,
  );
}

const templateRe = /\$\{([^}]+)\}/g;

function compileTemplate(
  template: string,
  groupNames: Set<string>,
  where: string,
): (r: LogRecord, m: RegExpExecArray | null) => string {
  const parts: Array<string | ((r: LogRecord, m: RegExpExecArray | null) => string)> = [];
  let last = 0;
  for (const t of template.matchAll(templateRe)) {
    parts.push(template.slice(last, t.index));
    const ref = t[1]!;
    if (/^\d+$/.test(ref)) {
      const i = Number(ref);
      parts.push((_r, m) => m?.[i] ?? '');
    } else if (groupNames.has(ref)) {
      parts.push((_r, m) => m?.groups?.[ref] ?? '');
    } else {
      let get: Getter;
      try {
        get = fieldGetter(ref);
      } catch (err) {
        throw new VigilError('config', `${where}: ${(err as Error).message}`);
      }
      parts.push((r) => {
        const v = get(r);
        return v === undefined || v === null ? '' : String(v);
      });
    }
    last = t.index + t[0].length;
  }
  parts.push(template.slice(last));
  const fixed = parts.filter((p) => p !== '');
  if (fixed.length === 1 && typeof fixed[0] === 'string') {
    const s = fixed[0];
    return () => s;
  }
  return (r, m) => {
    let out = '';
    for (const p of fixed) out += typeof p === 'string' ? p : p(r, m);
    return out;
  };
}

/**
 * Compiles a rule; a bad regex, field or label name is a config error naming the rule.
 *
 * @example
 * const m = compileMapping({ name: 'app_logins_total', type: 'counter', match: { regex: 'login user=(?<user>\\S+)' }, labels: { user: '${user}' } });
 */
export function compileMapping(rule: MappingRule): CompiledMapping {
  const where = `metric ${rule.name}`;
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(rule.name))
    throw new VigilError('config', `${where}: not a valid Prometheus metric name`);
  let regex: RegExp | undefined;
  if (rule.match?.regex !== undefined) {
    try {
      regex = new RegExp(rule.match.regex);
    } catch (err) {
      throw new VigilError('config', `${where}: invalid regex: ${(err as Error).message}`);
    }
  }
  const groupNames = new Set<string>();
  if (rule.match?.regex)
    for (const g of rule.match.regex.matchAll(/\(\?<([a-zA-Z_]\w*)>/g)) groupNames.add(g[1]!);
  const getField =
    rule.match?.field !== undefined || regex || rule.match?.equals !== undefined
      ? fieldGetter(rule.match?.field ?? 'body')
      : undefined;
  const equals = rule.match?.equals;
  const labelNames = Object.keys(rule.labels ?? {});
  for (const l of labelNames) {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(l) || l.startsWith('__'))
      throw new VigilError('config', `${where}: invalid label name "${l}"`);
  }
  const labelFns = labelNames.map((l) => compileTemplate(rule.labels![l]!, groupNames, where));
  const valueFn =
    rule.value === undefined
      ? undefined
      : compileTemplate(rule.value.includes('${') ? rule.value : `\${${rule.value}}`, groupNames, where);
  if (rule.type !== 'counter' && !valueFn)
    throw new VigilError('config', `${where}: a ${rule.type} needs "value"`);
  return {
    rule,
    labelNames,
    apply(record, source) {
      if (rule.source !== undefined && rule.source !== source) return undefined;
      let m: RegExpExecArray | null = null;
      if (getField) {
        const v = getField(record);
        if (v === undefined || v === null) return undefined;
        const text = typeof v === 'string' ? v : String(v);
        if (equals !== undefined && text !== equals) return undefined;
        if (regex) {
          m = regex.exec(text);
          if (!m) return undefined;
        }
      }
      let value = 1;
      if (valueFn) {
        value = Number(valueFn(record, m));
        if (!Number.isFinite(value)) return undefined;
      }
      const labels = new Array<string>(labelFns.length);
      for (let i = 0; i < labelFns.length; i++) labels[i] = labelFns[i]!(record, m);
      return { labels, value };
    },
  };
}
