import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { VigilError } from '../core/index.ts';

/**
 * Metric names: OpenTelemetry's semantic-convention instruments written the way Prometheus
 * (and the OpenTelemetry Collector's Prometheus exporter) spells them: dots become
 * underscores, the unit becomes a suffix.
 */
export const metricNames = {
  /** `http.server.request.duration` (histogram, s). */
  httpDuration: 'http_server_request_duration_seconds',
  /** `http.server.active_requests` (up-down counter). */
  httpActive: 'http_server_active_requests',
  /** `messaging.process.duration` (histogram, s). */
  messagingProcess: 'messaging_process_duration_seconds',
  /** Per-step time inside a message handler; no convention exists, named after the one above. */
  messagingStep: 'messaging_process_step_duration_seconds',
  /** Messages the producer attempted to send, like `messaging.client.sent.messages`. */
  messagingSent: 'messaging_client_sent_messages_total',
  /**
   * Consumer lag in messages. The conventions define none for all systems (Kafka's
   * `messaging.kafka.consumer.lag` was withdrawn); this follows its meaning.
   */
  messagingLag: 'messaging_consumer_lag_messages',
} as const;

export type HttpLabel = 'http_request_method' | 'http_route' | 'http_response_status_code' | 'error_type';
export type ProcessLabel = 'messaging_destination_name' | 'messaging_operation_name' | 'error_type';
export type StepLabel = 'messaging_destination_name' | 'step' | 'error_type';

export interface InstrumentMetrics {
  httpDuration: Histogram<HttpLabel>;
  httpActive: Gauge<'http_request_method'>;
  processDuration: Histogram<ProcessLabel>;
  stepDuration: Histogram<StepLabel>;
  sent: Counter<'messaging_destination_name' | 'error_type'>;
  lag: Gauge<'messaging_destination_name' | 'messaging_consumer_group_name'>;
}

/**
 * Registers the HTTP and messaging instruments in `registry`. A registry serves one telemetry
 * object; a second registration is refused with a clear error instead of prom-client's.
 *
 * @example
 * const metrics = createMetrics(new Registry(), [0.01, 0.1, 1]);
 */
export function createMetrics(registry: Registry, buckets: number[]): InstrumentMetrics {
  for (const name of Object.values(metricNames)) {
    if (registry.getSingleMetric(name)) {
      throw new VigilError(
        'conflict',
        `createTelemetry: metric ${name} is registered in this registry already; use one registry per telemetry object`,
      );
    }
  }
  const registers = [registry];
  return {
    httpDuration: new Histogram({
      name: metricNames.httpDuration,
      help: 'Duration of HTTP server requests (OpenTelemetry http.server.request.duration).',
      labelNames: ['http_request_method', 'http_route', 'http_response_status_code', 'error_type'],
      buckets,
      registers,
    }),
    httpActive: new Gauge({
      name: metricNames.httpActive,
      help: 'HTTP server requests in flight (OpenTelemetry http.server.active_requests).',
      labelNames: ['http_request_method'],
      registers,
    }),
    processDuration: new Histogram({
      name: metricNames.messagingProcess,
      help: 'Duration of processing one message (OpenTelemetry messaging.process.duration).',
      labelNames: ['messaging_destination_name', 'messaging_operation_name', 'error_type'],
      buckets,
      registers,
    }),
    stepDuration: new Histogram({
      name: metricNames.messagingStep,
      help: 'Duration of one named step inside a message handler.',
      labelNames: ['messaging_destination_name', 'step', 'error_type'],
      buckets,
      registers,
    }),
    sent: new Counter({
      name: metricNames.messagingSent,
      help: 'Messages the producer attempted to send (OpenTelemetry messaging.client.sent.messages).',
      labelNames: ['messaging_destination_name', 'error_type'],
      registers,
    }),
    lag: new Gauge({
      name: metricNames.messagingLag,
      help: 'Messages published but not yet processed by a consumer, as last reported.',
      labelNames: ['messaging_destination_name', 'messaging_consumer_group_name'],
      registers,
    }),
  };
}
