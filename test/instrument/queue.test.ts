import { AckPolicy, type JsMsg, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection, headers as natsHeaders } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetry, type Telemetry } from '../../instrument/index.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../support/otlp-receiver.ts';
import { needService } from '../support/requires.ts';
import { LogLines, parseSamples, sampleValue } from './helpers.ts';

/**
 * Queue instrumentation against a real NATS JetStream (127.0.0.1:4222): trace context travels
 * in message headers from the producer span to the consumer span. Each run makes its own
 * stream and deletes it afterwards.
 */
const missing = await needService('nats', 4222);
const PRODUCER = 4;
const CONSUMER = 5;

function headersOf(msg: JsMsg): Record<string, string> | undefined {
  if (!msg.headers) return undefined;
  const out: Record<string, string> = {};
  for (const key of msg.headers.keys()) out[key] = msg.headers.get(key);
  return out;
}

describe.skipIf(missing)('instrument: queue consumer over NATS JetStream', () => {
  const suffix = `${process.pid}_${Date.now().toString(36)}`;
  const stream = `VIGIL_INSTRUMENT_${suffix}`;
  const subject = `vigil.instrument.${suffix}`;
  let nc: NatsConnection;
  let receiver: OtlpReceiver;
  let telemetry: Telemetry;
  let logs: LogLines;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    logs = new LogLines();
    telemetry = createTelemetry({
      service: 'orders',
      otlpEndpoint: receiver.url,
      logDestination: logs,
      env: {},
    });
    nc = await connect({ servers: '127.0.0.1:4222' });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [subject] });
    await jsm.consumers.add(stream, { durable_name: 'workers', ack_policy: AckPolicy.Explicit });
  });

  afterAll(async () => {
    if (nc) {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.delete(stream).catch(() => false);
      await nc.close();
    }
    await telemetry?.shutdown({ graceMs: 1000 });
    await receiver?.close();
  });

  async function publish(body: string): Promise<void> {
    const js = jetstream(nc);
    await telemetry.queue.producerSpan('orders', async (carried) => {
      const h = natsHeaders();
      for (const [k, v] of Object.entries(carried)) h.set(k, v);
      await js.publish(subject, body, { headers: h });
    });
  }

  async function consume(count: number, handle: (msg: JsMsg) => Promise<void>): Promise<void> {
    const js = jetstream(nc);
    const consumer = await js.consumers.get(stream, 'workers');
    const batch = await consumer.fetch({ max_messages: count, expires: 10_000 });
    let seen = 0;
    for await (const msg of batch) {
      try {
        await handle(msg);
        msg.ack();
      } catch {
        msg.term();
      }
      if (++seen === count) break;
    }
    expect(seen).toBe(count);
  }

  it("continues the producer's trace in the consumer, with step spans and metrics", async () => {
    await publish('order-1');
    await publish('fail-me');
    const jsm = await jetstreamManager(nc);
    telemetry.queue.setLag(stream, 'workers', (await jsm.consumers.info(stream, 'workers')).num_pending);

    const handler = telemetry.queue.wrapHandler<JsMsg>(
      'orders',
      async (msg, { step, log }) => {
        const body = msg.string();
        await step('validate', async () => {
          if (body === 'fail-me') throw new TypeError('bad order');
        });
        await step('store', async () => {
          log.info({ body }, 'stored order');
        });
      },
      headersOf,
    );
    await consume(2, handler);
    telemetry.queue.setLag(stream, 'workers', (await jsm.consumers.info(stream, 'workers')).num_pending);

    await telemetry.flush();
    const spans = await receiver.waitFor(
      (s) =>
        s.filter((x) => x.kind === CONSUMER).length === 2 &&
        s.filter((x) => x.kind === PRODUCER).length === 2,
    );
    const producers = spans.filter((x) => x.kind === PRODUCER);
    const consumers = spans.filter((x) => x.kind === CONSUMER);
    for (const consumer of consumers) {
      const producer = producers.find((p) => p.traceId === consumer.traceId);
      expect(producer, 'consumer span continues a producer trace').toBeDefined();
      expect(consumer.parentSpanId).toBe(producer!.spanId);
      expect(consumer.name).toBe('process orders');
      expect(producer!.name).toBe('send orders');
      expect(consumer.attributes['messaging.destination.name']).toBe('orders');
    }
    const failed = consumers.find((c) => c.attributes['error.type'] === 'TypeError');
    expect(failed?.statusCode).toBe(2);
    const ok = consumers.find((c) => c.attributes['error.type'] === undefined)!;
    const steps = spans.filter((x) => x.parentSpanId === ok.spanId).map((x) => x.name);
    expect(steps.sort()).toEqual(['store', 'validate']);
    // The handler's log line carries the ids of the step span it was written in.
    const line = logs.find('stored order')[0]!;
    const store = spans.find((x) => x.name === 'store' && x.parentSpanId === ok.spanId)!;
    expect(line.trace_id).toBe(ok.traceId);
    expect(line.span_id).toBe(store.spanId);
    expect(line.messaging_destination_name).toBe('orders');

    const samples = parseSamples(await telemetry.registry.metrics());
    const processCount = (errorType: string) =>
      sampleValue(samples, 'messaging_process_duration_seconds_count', {
        messaging_destination_name: 'orders',
        messaging_operation_name: 'process',
        error_type: errorType,
      });
    expect(processCount('')).toBe(1);
    expect(processCount('TypeError')).toBe(1);
    const stepCount = (step: string, errorType: string) =>
      sampleValue(samples, 'messaging_process_step_duration_seconds_count', {
        messaging_destination_name: 'orders',
        step,
        error_type: errorType,
      });
    expect(stepCount('validate', '')).toBe(1);
    expect(stepCount('validate', 'TypeError')).toBe(1);
    expect(stepCount('store', '')).toBe(1);
    expect(
      sampleValue(samples, 'messaging_client_sent_messages_total', {
        messaging_destination_name: 'orders',
        error_type: '',
      }),
    ).toBe(2);
    expect(
      sampleValue(samples, 'messaging_consumer_lag_messages', {
        messaging_destination_name: stream,
        messaging_consumer_group_name: 'workers',
      }),
    ).toBe(0);
  });

  it('refuses a bad lag value with a clear error', () => {
    expect(() => telemetry.queue.setLag('orders', 'workers', Number.NaN)).toThrow(
      /lag: expected a number >= 0/,
    );
    expect(() => telemetry.queue.setLag('', 'workers', 1)).toThrow(/queue: expected a non-empty string/);
  });
});
