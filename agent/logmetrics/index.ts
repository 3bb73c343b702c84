export { AccessLogFastPath } from './access-fast.ts';
export { defaultDurationBuckets, LogMetrics, type LogMetricsOptions } from './log-metrics.ts';
export { type CompiledMapping, compileMapping, fieldGetter, type MappingRule } from './mapping.ts';
export { routeOf, statusClass } from './route.ts';
export { routeHash } from './route-hash.ts';
export { MetricVec } from './store.ts';
