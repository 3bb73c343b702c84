import { jsonHttpAdapter } from './json-http.ts';
import { redisInfoAdapter } from './redis-info.ts';
import { reexportAdapter } from './reexport.ts';
import { statsdAdapter } from './statsd.ts';

export { type Adapter, family } from './adapter.ts';
export { compileJsonRules, type JsonMetricRule } from './json-http.ts';
export { infoToFamilies } from './redis-info.ts';
export { relabelFamilies } from './reexport.ts';
export { parseStatsdLine, type StatsdMapping, StatsdStore } from './statsd.ts';

/** Every metric adapter kind, listed explicitly (the `type` of an adapter in config). */
export const adapters = {
  reexport: reexportAdapter,
  statsd: statsdAdapter,
  'redis-info': redisInfoAdapter,
  json: jsonHttpAdapter,
};
export { jsonHttpAdapter, redisInfoAdapter, reexportAdapter, statsdAdapter };
