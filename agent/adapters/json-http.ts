import { request } from 'undici';
import { isValidLabelName, isValidMetricName, type MetricFamily, VigilError } from '../../core/index.ts';
import type { Adapter } from './adapter.ts';

/**
 * A JSON status endpoint (a queue's admin API, a Java service's /actuator/health) mapped to
 * metrics: each rule reads a number at a dotted path (`stats.queue.depth`, `workers[0].busy`).
 * With `each`, the rule runs once per element of an array (or value of an object), and its
 * `value` and `labels` paths are relative to the element (`$key` is the object key).
 * Booleans count as 1/0, numeric strings as numbers; anything else is skipped.
 */

export interface JsonMetricRule {
  name: string;
  type?: 'gauge' | 'counter';
  help?: string;
  each?: string;
  value: string;
  labels?: Record<string, string>;
}

function pathParts(path: string): Array<string | number> {
  const parts: Array<string | number> = [];
  for (const seg of path.replace(/^\$\.?/, '').split('.')) {
    if (seg === '') continue;
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(seg);
    if (!m) throw new VigilError('config', `bad JSON path "${path}"`);
    if (m[1]) parts.push(m[1]);
    for (const i of m[2]!.matchAll(/\[(\d+)\]/g)) parts.push(Number(i[1]));
  }
  return parts;
}

function compilePath(path: string): (v: unknown, key?: string) => unknown {
  if (path === '$key') return (_v, key) => key;
  const parts = pathParts(path);
  return (v) => {
    let cur = v;
    for (const p of parts) {
      if (cur === null || typeof cur !== 'object') return undefined;
      cur = (cur as Record<string | number, unknown>)[p];
    }
    return cur;
  };
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/**
 * Compiles rules into a function from a parsed JSON document to families.
 *
 * @example
 * const map = compileJsonRules([{ name: 'queue_depth', each: 'queues', value: 'depth', labels: { queue: 'name' } }]);
 * map({ queues: [{ name: 'mail', depth: 3 }] }); // queue_depth{queue="mail"} 3
 */
export function compileJsonRules(rules: readonly JsonMetricRule[]): (doc: unknown) => MetricFamily[] {
  const compiled = rules.map((r) => {
    if (!isValidMetricName(r.name))
      throw new VigilError('config', `json metric ${r.name}: not a valid metric name`);
    const labels = Object.entries(r.labels ?? {}).map(([l, p]) => {
      if (!isValidLabelName(l))
        throw new VigilError('config', `json metric ${r.name}: invalid label name "${l}"`);
      return [l, compilePath(p)] as const;
    });
    return {
      rule: r,
      each: r.each === undefined ? undefined : compilePath(r.each),
      value: compilePath(r.value),
      labels,
    };
  });
  return (doc) =>
    compiled.map(({ rule, each, value, labels }) => {
      const samples: MetricFamily['samples'][number][] = [];
      const emit = (item: unknown, key?: string) => {
        const n = toNumber(value(item, key));
        if (n === undefined) return;
        const l: Record<string, string> = {};
        for (const [name, get] of labels) {
          const v = get(item, key);
          if (v !== undefined && v !== null) l[name] = String(v);
        }
        samples.push({ name: rule.name, labels: l, value: n });
      };
      if (each) {
        const list = each(doc);
        if (Array.isArray(list)) for (const [i, item] of list.entries()) emit(item, String(i));
        else if (list && typeof list === 'object') for (const [k, v] of Object.entries(list)) emit(v, k);
      } else emit(doc);
      return {
        name: rule.name,
        type: rule.type ?? 'gauge',
        help: rule.help ?? `From JSON (${rule.value}).`,
        samples,
      };
    });
}

export function jsonHttpAdapter(options: {
  name: string;
  url: string;
  metrics: JsonMetricRule[];
  headers?: Record<string, string>;
}): Adapter {
  const map = compileJsonRules(options.metrics);
  return {
    name: options.name,
    async collect(signal) {
      const res = await request(options.url, {
        signal,
        headers: { accept: 'application/json', ...(options.headers ?? {}) },
      });
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw new VigilError(
          'unavailable',
          `${options.name}: ${options.url} answered HTTP ${res.statusCode}`,
        );
      }
      const text = await res.body.text();
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch (err) {
        throw new VigilError('parse', `${options.name}: ${options.url} did not return JSON`, { cause: err });
      }
      return map(doc);
    },
  };
}
