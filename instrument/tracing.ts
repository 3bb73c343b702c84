import { context, ProxyTracerProvider, propagation, type Tracer, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  type ExportResult,
  ExportResultCode,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { Counter, type Registry } from 'prom-client';
import { attachClientTracing } from './http-client.ts';
import type { TraceExport } from './options.ts';

/** Instrumentation scope of the spans this library makes. */
export const instrumentationScope = 'vigil-instrument';

/** BatchSpanProcessor's queue bound (its default): spans past it are dropped and counted. */
export const spanQueueSize = 2048;

export interface Tracing {
  tracer: Tracer;
  /** Exports every finished span now. */
  flush(): Promise<void>;
  /** Flushes, then stops the provider and detaches outgoing-HTTP tracing. Idempotent. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  enabled: boolean;
  service: string;
  version: string | undefined;
  traceExport: TraceExport;
  registry: Registry;
  /**
   * Told when a flush could not deliver (collector down or refusing). Flush and shutdown never
   * reject for that: a service must be able to stop while its collector is gone, and the spans
   * are counted in `vigil_instrument_spans_dropped_total`.
   */
  onExportError?: (err: unknown) => void;
}

/**
 * Process-wide OpenTelemetry plumbing, set once: an AsyncLocalStorage context manager (so the
 * active span follows `await`) and W3C trace-context + baggage propagation. Whoever registers
 * first wins, as the API intends; a host that set up its own SDK keeps it.
 */
let globalsSet = false;
function ensureGlobals(): void {
  if (globalsSet) return;
  globalsSet = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
}

/**
 * Counts spans that never reached the collector: the OTLP request failed (collector down,
 * refused), or the batch queue was full. "Nothing lost" means reported, not silent.
 */
function droppedSpansCounter(registry: Registry): Counter<'reason'> {
  const name = 'vigil_instrument_spans_dropped_total';
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<'reason'>;
  return new Counter({
    name,
    help: 'Spans not delivered to the OTLP endpoint, by reason (export_failed, queue_full).',
    labelNames: ['reason'],
    registers: [registry],
  });
}

class CountingExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly dropped: Counter<'reason'>,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code !== ExportResultCode.SUCCESS)
        this.dropped.inc({ reason: 'export_failed' }, spans.length);
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/**
 * BatchSpanProcessor drops spans silently (a debug line) when its queue is full; this counts
 * them. It reads the queue length the processor keeps, guarded so that a future SDK without
 * that field only loses the count, never a span.
 */
class CountingBatchProcessor extends BatchSpanProcessor {
  constructor(
    exporter: SpanExporter,
    private readonly dropped: Counter<'reason'>,
  ) {
    super(exporter, { maxQueueSize: spanQueueSize });
  }

  override onEnd(span: ReadableSpan): void {
    const queue = (this as unknown as { _finishedSpans?: unknown[] })._finishedSpans;
    if (Array.isArray(queue) && queue.length >= spanQueueSize && (span.spanContext().traceFlags & 1) === 1) {
      this.dropped.inc({ reason: 'queue_full' });
    }
    super.onEnd(span);
  }
}

/**
 * Creates this service's tracer provider: resource `service.name`/`service.version` (plus
 * `OTEL_RESOURCE_ATTRIBUTES`), parent-based always-on sampling, batch export over OTLP/HTTP
 * with JSON bodies when an endpoint is set, and outgoing-HTTP client spans.
 *
 * With tracing off the tracer is a no-op that still continues an incoming trace's ids.
 *
 * @example
 * const tracing = createTracing({ enabled: true, service: 'blobs', version: undefined,
 *   traceExport: { kind: 'otlp', url: 'http://127.0.0.1:4318/v1/traces' }, registry });
 */
export function createTracing(options: TracingOptions): Tracing {
  ensureGlobals();
  if (!options.enabled) {
    // A proxy provider with no delegate hands out the API's no-op tracer.
    const tracer = new ProxyTracerProvider().getTracer(instrumentationScope);
    return { tracer, flush: async () => {}, shutdown: async () => {} };
  }
  const dropped = droppedSpansCounter(options.registry);
  const resource = defaultResource()
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(
      resourceFromAttributes({
        'service.name': options.service,
        ...(options.version === undefined ? {} : { 'service.version': options.version }),
      }),
    );
  const spanProcessors =
    options.traceExport.kind === 'otlp'
      ? [
          new CountingBatchProcessor(
            new CountingExporter(new OTLPTraceExporter({ url: options.traceExport.url }), dropped),
            dropped,
          ),
        ]
      : [];
  const provider = new NodeTracerProvider({ resource, spanProcessors });
  // Code that asks the API for a tracer (libraries with built-in tracing) gets this provider,
  // unless the host registered one first.
  trace.setGlobalTracerProvider(provider);
  const detach = attachClientTracing(provider);
  const reportExportError = (err: unknown) => options.onExportError?.(err);
  let stopping: Promise<void> | undefined;
  return {
    tracer: provider.getTracer(instrumentationScope, options.version),
    flush: () => provider.forceFlush().catch(reportExportError),
    shutdown() {
      stopping ??= (async () => {
        detach();
        await provider.forceFlush().catch(reportExportError);
        await provider.shutdown().catch(reportExportError);
      })();
      return stopping;
    },
  };
}
