import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import pino from 'pino';
import { Gauge, Registry } from 'prom-client';
import {
  type Clock,
  closable,
  listen,
  type MetricFamily,
  sendError,
  sendJson,
  writeExposition,
} from '../core/index.ts';
import type { Adapter } from './adapters/adapter.ts';
import type { AgentConfig } from './config.ts';
import type { Check } from './health/check.ts';
import { HealthMonitor, type MonitoredCheck } from './health/monitor.ts';
import { AccessLogFastPath, LogMetrics } from './logmetrics/index.ts';
import { registerSelfMetrics } from './self-metrics.ts';
import { fileSink, otlpHttpSink, type Sink, stdoutSink } from './sinks/index.ts';
import {
  Checkpoints,
  commandSource,
  FileSource,
  kubernetesSource,
  type Source,
  stdinSource,
} from './sources/index.ts';

/**
 * The agent's shell: builds sources, sinks, log metrics, adapters and health checks from a
 * validated config, connects them, and serves /metrics, /healthz and /readyz. All logic
 * lives in the modules it wires.
 */

export interface RunningAgent {
  /** Base URL of the metrics and health listener. */
  url: string;
  registry: Registry;
  sources: Source[];
  sinks: Sink[];
  monitor: HealthMonitor;
  close(): Promise<void>;
}

export interface RunAgentOptions {
  clock: Clock;
  /** Where the stdout sink writes. */
  stdout?: NodeJS.WritableStream;
  /** Where the agent's own logs go (JSON lines); stderr by default. */
  logStream?: NodeJS.WritableStream;
}

/** How long an adapter may take during a scrape before it counts as down for that scrape. */
const adapterTimeoutMs = 10_000;

function buildSource(
  s: AgentConfig['sources'][number],
  config: AgentConfig,
  clock: Clock,
  logMetrics: LogMetrics,
  log: pino.Logger,
): Source {
  const resource = { ...config.resource, ...s.resource };
  const onError = (err: unknown) =>
    log.warn(
      { source: s.name, err: (err as Error).message },
      'delivery failed; will read again from the checkpoint',
    );
  const base = {
    name: s.name,
    format: s.format,
    innerFormat: s.innerFormat,
    multilineFlushMs: s.multilineFlush,
    resource,
    clock,
  };
  // One state directory per source: each source forgets only its own vanished files.
  const checkpoints = () => new Checkpoints(join(config.stateDir!, 'sources', s.name));
  switch (s.type) {
    case 'file':
      return new FileSource({
        ...base,
        include: s.include,
        exclude: s.exclude,
        startAt: s.startAt,
        pollMs: s.pollInterval,
        checkpoints: checkpoints(),
        fastPath: s.metricsOnly ? new AccessLogFastPath(logMetrics, s.name) : undefined,
        onError,
      });
    case 'kubernetes':
      return kubernetesSource({
        ...base,
        root: s.root,
        namespaces: s.namespaces,
        startAt: s.startAt,
        pollMs: s.pollInterval,
        checkpoints: checkpoints(),
        onError,
      });
    case 'stdin':
      return stdinSource(base);
    case 'command':
      return commandSource({ ...base, command: s.command, stderr: s.stderr });
  }
}

function buildSink(s: AgentConfig['sinks'][number], options: RunAgentOptions): Sink {
  switch (s.type) {
    case 'stdout':
      return stdoutSink(options.stdout ?? process.stdout);
    case 'file':
      return fileSink({ path: s.path, fsync: s.fsync });
    case 'otlp':
      return otlpHttpSink({
        endpoint: s.endpoint,
        headers: s.headers,
        clock: options.clock,
        bufferDir: s.bufferDir,
        bufferMaxBytes: s.bufferMaxBytes,
        batchRecords: s.batchRecords,
      });
  }
}

// Adapters and checks are imported when configured: their client libraries (pg, amqplib,
// NATS, ioredis) cost tens of megabytes of resident memory that a sidecar should not pay
// for what it does not use (bench/agent-memory.ts).
async function buildAdapter(a: AgentConfig['adapters'][number]): Promise<Adapter> {
  switch (a.type) {
    case 'reexport':
      return (await import('./adapters/reexport.ts')).reexportAdapter({
        name: a.name,
        url: a.url,
        relabel: a.relabel,
      });
    case 'statsd':
      return (await import('./adapters/statsd.ts')).statsdAdapter({
        name: a.name,
        host: a.listen.host,
        port: a.listen.port,
        mappings: a.mappings,
        maxSeries: a.maxSeries,
      });
    case 'redis-info':
      return (await import('./adapters/redis-info.ts')).redisInfoAdapter({ name: a.name, url: a.url });
    case 'json':
      return (await import('./adapters/json-http.ts')).jsonHttpAdapter({
        name: a.name,
        url: a.url,
        metrics: a.metrics,
      });
  }
}

async function buildCheck(
  c: AgentConfig['health']['checks'][number],
): Promise<Check & { close?(): Promise<void> }> {
  switch (c.type) {
    case 'tcp':
      return (await import('./health/tcp.ts')).tcpCheck({
        name: c.name,
        host: c.address.host,
        port: c.address.port,
      });
    case 'http':
      return (await import('./health/http.ts')).httpCheck({
        name: c.name,
        url: c.url,
        expectStatus: c.expectStatus,
      });
    case 'redis':
      return (await import('./health/redis.ts')).redisCheck({ name: c.name, url: c.url });
    case 'postgres':
      return (await import('./health/postgres.ts')).postgresCheck({
        name: c.name,
        url: c.url,
        query: c.query,
      });
    case 'jetstream':
      return (await import('./health/jetstream.ts')).jetstreamConsumerCheck({
        name: c.name,
        servers: c.servers,
        stream: c.stream,
        consumer: c.consumer,
      });
    case 'rabbitmq':
      return (await import('./health/rabbitmq.ts')).rabbitmqQueueCheck({
        name: c.name,
        url: c.url,
        queue: c.queue,
      });
  }
}

/**
 * Starts the agent described by `config`.
 *
 * @example
 * const agent = await runAgent(loadAgentConfig('agent.yaml'), { clock: systemClock });
 * // ... later
 * await agent.close();
 */
export async function runAgent(config: AgentConfig, options: RunAgentOptions): Promise<RunningAgent> {
  const log = pino(
    { base: { component: 'vigil-agent' } },
    (options.logStream ?? process.stderr) as pino.DestinationStream,
  );
  const registry = new Registry();
  const logMetrics = new LogMetrics({ mappings: config.metrics });
  const sinks = config.sinks.map((s) => buildSink(s, options));
  const sources = config.sources.map((s) => buildSource(s, config, options.clock, logMetrics, log));
  const adapters: Adapter[] = [];
  for (const a of config.adapters) adapters.push(await buildAdapter(a));
  const checks: MonitoredCheck[] = [];
  for (const c of config.health.checks)
    checks.push({ check: await buildCheck(c), critical: c.critical, timeoutMs: c.timeout });
  const monitor = new HealthMonitor(checks, options.clock, config.health.interval);
  registerSelfMetrics(registry, sources, sinks, monitor);
  const adapterUp = new Gauge({
    name: 'vigil_agent_adapter_up',
    help: 'Whether the adapter answered the last scrape.',
    labelNames: ['adapter'],
    registers: [registry],
  });

  const runs = sources.map((source) => {
    const deliver = async (records: Parameters<Sink['send']>[0]) => {
      logMetrics.observe(records, source.name);
      await Promise.all(sinks.map((sink) => sink.send(records)));
    };
    return source.run(deliver).then(
      () => log.info({ source: source.name }, 'source ended'),
      (err: unknown) => log.error({ source: source.name, err }, 'source failed'),
    );
  });
  monitor.start();

  async function metrics(): Promise<string> {
    const collected = await Promise.all(
      adapters.map(async (a): Promise<MetricFamily[]> => {
        const controller = new AbortController();
        const t = setTimeout(() => controller.abort(), adapterTimeoutMs);
        try {
          const families = await a.collect(controller.signal);
          adapterUp.set({ adapter: a.name }, 1);
          return families;
        } catch (err) {
          adapterUp.set({ adapter: a.name }, 0);
          log.warn({ adapter: a.name, err: (err as Error).message }, 'adapter collect failed');
          return [];
        } finally {
          clearTimeout(t);
        }
      }),
    );
    let text = await registry.metrics();
    text += writeExposition(logMetrics.families());
    for (const families of collected) if (families.length > 0) text += writeExposition(families);
    return text;
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { status: 'error', error: 'method not allowed' });
      return;
    }
    if (path === '/metrics') {
      metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        },
        (err) => sendError(res, err),
      );
    } else if (path === '/healthz') {
      sendJson(res, 200, { status: 'ok' });
    } else if (path === '/readyz') {
      const ready = monitor.ready();
      sendJson(res, ready ? 200 : 503, {
        status: ready ? 'ok' : 'fail',
        checks: Object.fromEntries(
          monitor
            .list()
            .map((c) => [c.name, { status: c.ok ? 'ok' : 'fail', critical: c.critical, detail: c.detail }]),
        ),
      });
    } else {
      sendJson(res, 404, { status: 'error', error: `no such path ${path}` });
    }
  });
  const closer = closable(server);
  const listening = await listen(server, { host: config.listen.host, port: config.listen.port });
  log.info({ url: listening.url, sources: sources.length, sinks: sinks.length }, 'agent started');

  return {
    url: listening.url,
    registry,
    sources,
    sinks,
    monitor,
    async close() {
      await Promise.all(sources.map((s) => s.close()));
      await Promise.all(runs);
      await monitor.stop();
      for (const c of checks) await (c.check as { close?(): Promise<void> }).close?.();
      for (const a of adapters) await a.close?.();
      for (const s of sinks) await s.close();
      await closer.close(2000);
    },
  };
}
