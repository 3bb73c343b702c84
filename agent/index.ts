/**
 * agent/: the per-pod adapter agent. Other parts and the CLI import only this file. The
 * families of metric adapters and health checks (agent/adapters/index.ts,
 * agent/health/index.ts) are not re-exported here: their client libraries load only when a
 * config uses them.
 */
export { type RunAgentOptions, type RunningAgent, runAgent } from './agent.ts';
export { type AgentConfig, agentConfigSchema, loadAgentConfig, parseAgentConfig } from './config.ts';
export { judgeProgress } from './health/consumer-progress.ts';
export { HealthMonitor } from './health/monitor.ts';
export { judgeQueue } from './health/queue-backlog.ts';
export { LogMetrics } from './logmetrics/index.ts';
export { type FormatCounts, Normalizer, type NormalizerOptions, resolveFormat } from './normalize.ts';
export { parseStream } from './parse-stream.ts';
export { type FormatName, parsers } from './parsers/index.ts';
export { type LogRecord, recordToJson } from './record.ts';
export { severityFromText } from './severity.ts';
export { sinks } from './sinks/index.ts';
export { sources } from './sources/index.ts';
