/**
 * alerting/: vigil's alert engine: the embedded store, PromQL, Prometheus rule files and the
 * alert lifecycle. Other folders import only this file.
 */

export * as api from './api/index.ts';
export * as kinds from './kinds/index.ts';
export * as notify from './notify/index.ts';
export * as promql from './promql/index.ts';
export * as rules from './rules/index.ts';
export * as scrape from './scrape/index.ts';
export {
  loadRules,
  loadServerConfig,
  type ReloadReport,
  type ServerConfig,
  type ServerHandle,
  serverConfigSchema,
  startServer,
} from './server.ts';
export * as store from './store/index.ts';
