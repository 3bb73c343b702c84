import type { Server } from 'node:http';
import type { Tracer } from '@opentelemetry/api';
import type { Express, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { systemClock } from '../core/index.ts';
import { Health, type HealthCheckOptions } from './health.ts';
import { createLogger, flushLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { createMiddleware, markExpected } from './middleware.ts';
import { resolveOptions, type TelemetryOptions } from './options.ts';
import { createQueueTelemetry, type QueueTelemetry } from './queue.ts';
import { defaultGraceMs, Servers } from './server.ts';
import { createTracing } from './tracing.ts';

export interface Telemetry {
  /** JSON logger: `service` on every record, `trace_id`/`span_id`/`trace_flags` inside a span, secrets censored. */
  logger: Logger;
  /** Where the metrics live; /metrics serves it. */
  registry: Registry;
  /** OpenTelemetry tracer of this service. */
  tracer: Tracer;
  /** RED metrics, a server span continuing the caller's trace, and `req.log`. Install first. */
  middleware(): RequestHandler;
  /** Counts this response's failure as expected (`error_type="expected"`). */
  markExpected(res: Response, reason?: string): void;
  health: {
    addCheck(name: string, check: () => Promise<void> | void, opts?: HealthCheckOptions): void;
  };
  /** Adds GET /metrics, /healthz (liveness) and /readyz (readiness from the checks). */
  mount(app: Express): void;
  /** Serves `app`, on 127.0.0.1 unless `host` says otherwise; shutdown drains it. */
  listen(app: Express, opts: { port: number; host?: string }): Promise<{ server: Server; url: string }>;
  queue: QueueTelemetry;
  /** Exports finished spans and writes buffered log lines now. */
  flush(): Promise<void>;
  /**
   * Stops accepting on servers from `listen`, lets in-flight requests finish (at most `graceMs`,
   * default 10 s), then flushes spans and logs. Idempotent.
   */
  shutdown(opts?: { graceMs?: number }): Promise<void>;
}

/**
 * One call gives a service its logs, metrics, traces and health endpoints.
 *
 * @example
 * import express from 'express';
 * import { createTelemetry } from 'vigil/instrument';
 *
 * const telemetry = createTelemetry({ service: 'blobs', version: '1.4.0' });
 * const app = express();
 * app.use(telemetry.middleware());
 * telemetry.mount(app);
 * app.get('/blobs/:id', async (req, res) => {
 *   req.log.info({ id: req.params.id }, 'read');
 *   res.json(await store.get(req.params.id));
 * });
 * await telemetry.listen(app, { port: 8080 });
 * process.once('SIGTERM', () => void telemetry.shutdown({ graceMs: 10_000 }));
 */
export function createTelemetry(options: TelemetryOptions): Telemetry {
  const resolved = resolveOptions(options, options?.env ?? process.env);
  const clock = options.clock ?? systemClock;
  const registry = options.registry ?? new Registry();
  // Process metrics once per registry: a registry handed in may have them already.
  if (!registry.getSingleMetric('process_cpu_user_seconds_total'))
    collectDefaultMetrics({ register: registry });
  const metrics = createMetrics(registry, resolved.durationBuckets);
  const logger = createLogger({
    service: resolved.service,
    version: resolved.version,
    level: resolved.logLevel,
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });
  const tracing = createTracing({
    enabled: resolved.tracing,
    service: resolved.service,
    version: resolved.version,
    traceExport: resolved.traceExport,
    registry,
    // The message only: an exporter error can carry the request, headers included.
    onExportError: (err) =>
      logger.warn({ error: err instanceof Error ? err.message : String(err) }, 'span export failed'),
  });
  if (resolved.traceExport.kind === 'none' && resolved.tracing) {
    logger.debug({ reason: resolved.traceExport.why }, 'spans are not exported');
  }
  const health = new Health(clock, resolved.healthTimeoutMs);
  const servers = new Servers(clock);
  const queue = createQueueTelemetry({ tracer: tracing.tracer, logger, metrics });
  let middleware: RequestHandler | undefined;
  let stopping: Promise<void> | undefined;

  async function serveMetrics(_req: Request, res: Response): Promise<void> {
    const text = await registry.metrics();
    res.setHeader('content-type', registry.contentType);
    res.end(text);
  }

  async function serveReadiness(_req: Request, res: Response): Promise<void> {
    const report = await health.evaluate();
    res.status(report.status === 'ok' ? 200 : 503).json(report);
  }

  return {
    logger,
    registry,
    tracer: tracing.tracer,
    middleware() {
      // One middleware per telemetry object: installing it twice must not count requests twice.
      middleware ??= createMiddleware({ tracer: tracing.tracer, logger, metrics });
      return middleware;
    },
    markExpected,
    health: {
      addCheck: (name, check, opts) => health.addCheck(name, check, opts),
    },
    mount(app) {
      app.get('/metrics', serveMetrics);
      app.get('/healthz', (_req, res) => {
        res.json({ status: 'ok' });
      });
      app.get('/readyz', serveReadiness);
    },
    listen: (app, opts) => servers.listen(app, opts),
    queue,
    async flush() {
      await tracing.flush();
      await flushLogger(logger);
    },
    shutdown(opts = {}) {
      stopping ??= (async () => {
        health.setDraining();
        const graceMs = opts.graceMs ?? defaultGraceMs;
        logger.info({ graceMs, inflight: servers.inflight() }, 'shutting down: draining requests');
        await servers.drain(graceMs);
        await tracing.shutdown();
        logger.info('shutdown complete');
        await flushLogger(logger);
      })();
      return stopping;
    },
  };
}
