/**
 * instrument/: the library services import. `createTelemetry` gives logs with trace ids,
 * RED metrics, OpenTelemetry traces over OTLP/HTTP, health endpoints and queue instrumentation.
 */
export {
  classifyHttpOutcome,
  errorTypeOf,
  type HttpErrorType,
  normalizeMethod,
  type RequestOutcome,
  routeLabel,
  unmatchedRoute,
} from './classify.ts';
export type { CheckResult, CheckStatus, HealthCheckOptions, ReadinessReport } from './health.ts';
export { redactCensor, redactPaths, secretKeys } from './logger.ts';
export { metricNames } from './metrics.ts';
export {
  defaultDurationBuckets,
  defaultHealthTimeoutMs,
  type ResolvedOptions,
  resolveOptions,
  resolveTraceExport,
  type TelemetryOptions,
  type TraceExport,
} from './options.ts';
export type { HandlerContext, MessageHandler, QueueTelemetry } from './queue.ts';
export { defaultGraceMs } from './server.ts';
export { createTelemetry, type Telemetry } from './telemetry.ts';
