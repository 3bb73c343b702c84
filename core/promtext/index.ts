/** core/promtext: the Prometheus text format 0.0.4 and OpenMetrics 1.0 text, read and written. */
export {
  contentTypes,
  formatFromAccept,
  formatFromContentType,
  scrapeAcceptHeader,
} from './content-type.ts';
export { formatValue, parseValue } from './float.ts';
export { isDigit, isMetricNameChar, isMetricNameStart, labelListEnd } from './lexical.ts';
export {
  belongsToFamily,
  type Exemplar,
  type ExpositionFormat,
  type MetricFamily,
  type MetricType,
  metricTypes,
  type Sample,
  typeSuffixes,
} from './model.ts';
export {
  type ExpositionVisitor,
  type ParseOptions,
  parseExposition,
  parseSamples,
  scanExposition,
} from './parse.ts';
export { escapeHelp, type WriteOptions, writeExposition } from './write.ts';
