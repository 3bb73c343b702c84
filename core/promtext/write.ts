import { VigilError } from '../errors.ts';
import {
  escapeLabelValue,
  isValidLabelName,
  isValidMetricName,
  type Labels,
  metricNameLabel,
} from '../labels.ts';
import { formatSeconds, formatValue } from './float.ts';
import type { ExpositionFormat, MetricFamily, MetricType } from './model.ts';

export interface WriteOptions {
  /** Default `prometheus`. */
  format?: ExpositionFormat;
}

/**
 * The Prometheus format has five types; the OpenMetrics-only ones are written as the nearest
 * 0.0.4 type, as the official client libraries do (an info or stateset is a gauge there).
 */
const promTypeNames: Readonly<Record<MetricType, string>> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  gaugehistogram: 'histogram',
  summary: 'summary',
  info: 'gauge',
  stateset: 'gauge',
  unknown: 'untyped',
};

/**
 * Writes metric families as a text exposition: what a /metrics endpoint serves and what the
 * agent re-exports. Each family gets its HELP (when set), TYPE, UNIT (OpenMetrics only, when
 * set) and its samples in order; OpenMetrics output ends with `# EOF`. Exemplars are written in
 * OpenMetrics only (the Prometheus format has none); timestamps are milliseconds in the
 * Prometheus format and seconds in OpenMetrics.
 *
 * Names are written as given, so a sample of a counter in OpenMetrics must already be named
 * `..._total`; a `__name__` label is skipped (the sample's name is written instead). A metric or
 * label name that is not valid cannot be written in either format.
 *
 * @throws VigilError('internal') for an invalid metric or label name (sanitize foreign names first).
 * @example
 * writeExposition([{ name: 'up', type: 'gauge', help: 'Target is up.', samples: [{ name: 'up', labels: {}, value: 1 }] }]);
 * // '# HELP up Target is up.\n# TYPE up gauge\nup 1\n'
 */
export function writeExposition(families: readonly MetricFamily[], options: WriteOptions = {}): string {
  const openMetrics = options.format === 'openmetrics';
  let out = '';
  for (const family of families) {
    checkMetricName(family.name);
    if (family.help !== undefined) out += `# HELP ${family.name} ${escapeHelp(family.help, openMetrics)}\n`;
    out += `# TYPE ${family.name} ${openMetrics ? family.type : promTypeNames[family.type]}\n`;
    if (openMetrics && family.unit !== undefined) out += `# UNIT ${family.name} ${family.unit}\n`;
    for (const sample of family.samples) {
      if (sample.name !== family.name) checkMetricName(sample.name);
      out += sample.name;
      out += writeLabels(sample.labels);
      out += ' ';
      out += formatValue(sample.value);
      if (sample.timestampMs !== undefined) {
        out += ' ';
        out += openMetrics ? formatSeconds(sample.timestampMs) : String(Math.trunc(sample.timestampMs));
      }
      const exemplar = sample.exemplar;
      if (openMetrics && exemplar !== undefined) {
        out += ' # ';
        out += writeLabels(exemplar.labels) || '{}';
        out += ' ';
        out += formatValue(exemplar.value);
        if (exemplar.timestampMs !== undefined) out += ` ${formatSeconds(exemplar.timestampMs)}`;
      }
      out += '\n';
    }
  }
  if (openMetrics) out += '# EOF\n';
  return out;
}

function writeLabels(labels: Labels): string {
  let out = '';
  for (const name in labels) {
    // `__name__` is the sample's name, already written: label sets keyed for a store carry it.
    if (!Object.hasOwn(labels, name) || name === metricNameLabel) continue;
    if (!isValidLabelName(name)) {
      throw new VigilError('internal', `cannot write label name "${name}": expected [a-zA-Z_][a-zA-Z0-9_]*`);
    }
    out += out === '' ? '{' : ',';
    out += `${name}="${escapeLabelValue(labels[name]!)}"`;
  }
  return out === '' ? '' : `${out}}`;
}

function checkMetricName(name: string): void {
  if (!isValidMetricName(name)) {
    throw new VigilError('internal', `cannot write metric name "${name}": expected [a-zA-Z_:][a-zA-Z0-9_:]*`);
  }
}

/**
 * Escapes HELP text: backslash and newline in both formats, double quote too in OpenMetrics
 * (whose parsers unescape HELP like a label value).
 *
 * @example
 * escapeHelp('a\\b\nc', false); // 'a\\\\b\\nc'
 */
export function escapeHelp(help: string, openMetrics: boolean): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < help.length; i++) {
    const c = help.charCodeAt(i);
    const rep = c === 92 ? '\\\\' : c === 10 ? '\\n' : c === 34 && openMetrics ? '\\"' : undefined;
    if (rep !== undefined) {
      out += help.slice(last, i) + rep;
      last = i + 1;
    }
  }
  return last === 0 ? help : out + help.slice(last);
}
