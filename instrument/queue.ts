import {
  type Context,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { Logger } from 'pino';
import { VigilError } from '../core/index.ts';
import { errorTypeOf } from './classify.ts';
import type { InstrumentMetrics } from './metrics.ts';

/** What a wrapped handler receives besides the message. */
export interface HandlerContext {
  /** Times one named step (a span and a `messaging_process_step_duration_seconds` sample). */
  step<T>(step: string, fn: () => Promise<T>): Promise<T>;
  /** Logger whose records carry the consumer span's trace ids. */
  log: Logger;
}

export type MessageHandler<M> = (msg: M, ctx: HandlerContext) => Promise<void>;

export interface QueueTelemetry {
  /** Copies `headers` and adds W3C `traceparent`/`tracestate` for the active span. */
  inject(headers: Record<string, string>): Record<string, string>;
  /**
   * Wraps a consumer's handler: a consumer span continuing the producer's trace (read from the
   * message headers), a `messaging_process_duration_seconds` sample per message, per-step
   * samples, and the handler's error rethrown after being recorded (so the caller can nak).
   */
  wrapHandler<M>(
    name: string,
    handler: MessageHandler<M>,
    getHeaders: (msg: M) => Record<string, string> | undefined,
  ): (msg: M) => Promise<void>;
  /** Sets the consumer lag gauge (messages not yet processed). */
  setLag(queue: string, consumer: string, lag: number): void;
  /** Runs `fn` inside a producer span, handing it headers that carry the span's context. */
  producerSpan<T>(queue: string, fn: (headers: Record<string, string>) => Promise<T>): Promise<T>;
}

export interface QueueDeps {
  tracer: Tracer;
  logger: Logger;
  metrics: InstrumentMetrics;
}

/** Lower-case header lookup: brokers and clients differ in the case they keep. */
const caseInsensitiveGetter = {
  get(carrier: Record<string, string>, key: string): string | undefined {
    const direct = carrier[key];
    if (direct !== undefined) return direct;
    for (const k of Object.keys(carrier)) if (k.toLowerCase() === key) return carrier[k];
    return undefined;
  },
  keys: defaultTextMapGetter.keys,
};

function checkName(what: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 200) {
    throw new VigilError(
      'usage',
      `queue telemetry: ${what}: expected a non-empty string of at most 200 characters`,
    );
  }
}

/**
 * Queue instrumentation over the OpenTelemetry API, independent of the broker: the caller moves
 * headers in and out of its messages (NATS headers, AMQP properties, Kafka record headers).
 *
 * @example
 * const onMessage = queue.wrapHandler('orders', async (msg, { step }) => {
 *   await step('store', () => save(msg));
 * }, (msg) => headersOf(msg));
 */
export function createQueueTelemetry(deps: QueueDeps): QueueTelemetry {
  const { tracer, logger, metrics } = deps;

  function inject(headers: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = { ...headers };
    propagation.inject(context.active(), out, defaultTextMapSetter);
    return out;
  }

  async function producerSpan<T>(
    queue: string,
    fn: (headers: Record<string, string>) => Promise<T>,
  ): Promise<T> {
    checkName('queue', queue);
    const span = tracer.startSpan(`send ${queue}`, {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.destination.name': queue,
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'send',
      },
    });
    const ctx = trace.setSpan(context.active(), span);
    try {
      const headers: Record<string, string> = {};
      propagation.inject(ctx, headers, defaultTextMapSetter);
      const result = await context.with(ctx, () => fn(headers));
      metrics.sent.inc({ messaging_destination_name: queue, error_type: '' });
      return result;
    } catch (err) {
      metrics.sent.inc({ messaging_destination_name: queue, error_type: recordFailure(span, err) });
      throw err;
    } finally {
      span.end();
    }
  }

  function wrapHandler<M>(
    name: string,
    handler: MessageHandler<M>,
    getHeaders: (msg: M) => Record<string, string> | undefined,
  ): (msg: M) => Promise<void> {
    checkName('name', name);
    // Built once per handler, not per message: steps read the consumer span from the context.
    const handlerCtx: HandlerContext = {
      log: logger.child({ messaging_destination_name: name }),
      step: <T>(step: string, fn: () => Promise<T>) => runStep(name, step, fn),
    };
    const spanName = `process ${name}`;
    return async (msg: M) => {
      let parent: Context = ROOT_CONTEXT;
      const headers = getHeaders(msg);
      if (headers) parent = propagation.extract(ROOT_CONTEXT, headers, caseInsensitiveGetter);
      const span = tracer.startSpan(
        spanName,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'messaging.destination.name': name,
            'messaging.operation.type': 'process',
            'messaging.operation.name': 'process',
          },
        },
        parent,
      );
      const started = process.hrtime.bigint();
      let errorType = '';
      try {
        await context.with(trace.setSpan(parent, span), () => handler(msg, handlerCtx));
      } catch (err) {
        errorType = recordFailure(span, err);
        throw err;
      } finally {
        metrics.processDuration.observe(
          { messaging_destination_name: name, messaging_operation_name: 'process', error_type: errorType },
          Number(process.hrtime.bigint() - started) / 1e9,
        );
        span.end();
      }
    };
  }

  async function runStep<T>(queue: string, step: string, fn: () => Promise<T>): Promise<T> {
    checkName('step', step);
    const active = context.active();
    const span = tracer.startSpan(step, { attributes: { 'messaging.destination.name': queue } }, active);
    const started = process.hrtime.bigint();
    let errorType = '';
    try {
      return await context.with(trace.setSpan(active, span), fn);
    } catch (err) {
      errorType = recordFailure(span, err);
      throw err;
    } finally {
      metrics.stepDuration.observe(
        { messaging_destination_name: queue, step, error_type: errorType },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
      span.end();
    }
  }

  function setLag(queue: string, consumer: string, lag: number): void {
    checkName('queue', queue);
    checkName('consumer', consumer);
    if (typeof lag !== 'number' || !Number.isFinite(lag) || lag < 0) {
      throw new VigilError(
        'usage',
        `queue telemetry: setLag("${queue}", "${consumer}"): lag: expected a number >= 0`,
      );
    }
    metrics.lag.set({ messaging_destination_name: queue, messaging_consumer_group_name: consumer }, lag);
  }

  return { inject, wrapHandler, setLag, producerSpan };
}

/**
 * Marks a messaging span as failed by `err` (OTel's `error.type` attribute and an ERROR status
 * with its message) and returns the error type, which the caller also puts on its metrics.
 */
function recordFailure(span: Span, err: unknown): string {
  const errorType = errorTypeOf(err);
  span.setAttribute('error.type', errorType);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
  return errorType;
}
