import { join } from 'node:path';
import { AckPolicy, DeliverPolicy, type JsMsg, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import express from 'express';
import pino from 'pino';
import { isVigilError } from '../../core/index.ts';
import { createTelemetry } from '../../instrument/index.ts';
import { decodeEvent, photosStream } from './events.ts';
import { MetadataLog } from './metadata.ts';

/** The worker's durable JetStream consumer: survives worker restarts, resumes where it acked. */
export const workerConsumer = 'photos-worker';

export interface WorkerOptions {
  natsUrl: string;
  dataDir: string;
  /** Port of /metrics, /healthz and /readyz on 127.0.0.1; 0 = any free port. */
  port: number;
  logFile?: string;
}

export interface RunningWorker {
  metricsUrl: string;
  metadataFile: string;
  /** Settles when the consume loop ends: after stop(), or on its own if the consumer is gone. */
  done: Promise<void>;
  stop(): Promise<void>;
}

// How often consumer lag is read from JetStream; lag alerts look at minutes, not seconds.
const lagIntervalMs = 2_000;
// A failed event is redelivered after this pause, so a broken dependency is not hammered.
const retryDelayMs = 1_000;

/**
 * The trace id inside a W3C `traceparent` header, if it is one.
 *
 * @example
 * traceIdOf('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'); // '4bf92f35...'
 */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent ?? '');
  return match?.[1];
}

function headersOf(msg: JsMsg): Record<string, string> {
  const out: Record<string, string> = {};
  if (msg.headers) for (const [k, v] of msg.headers) if (v[0] !== undefined) out[k.toLowerCase()] = v[0];
  return out;
}

/**
 * The metadata worker: consumes every photos event with a durable, explicitly acked consumer
 * and appends it to `<dataDir>/worker/photos.jsonl` before acking (at-least-once; the index
 * folds duplicates). Exposes its own /metrics (with consumer lag) and health on loopback. It
 * runs as a child process of the demo (`children/worker-main.ts`), so chaos can kill it.
 *
 * @example
 * const worker = await startWorker({ natsUrl: 'nats://127.0.0.1:4222', dataDir, port: 0 });
 */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const telemetry = createTelemetry({
    service: 'demo-worker',
    logDestination: options.logFile
      ? pino.destination({ dest: options.logFile, sync: false, mkdir: true })
      : undefined,
  });
  const log = telemetry.logger;
  const nc: NatsConnection = await connect({
    servers: options.natsUrl,
    name: 'vigil-demo-worker',
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  });
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add(photosStream.name, {
    durable_name: workerConsumer,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    // An event not acked in 30 s (the worker hung) goes to the next delivery.
    ack_wait: 30 * 1e9,
  });
  const consumer = await jetstream(nc).consumers.get(photosStream.name, workerConsumer);
  const metadataFile = join(options.dataDir, 'worker', 'photos.jsonl');
  const metadata = await MetadataLog.open(metadataFile);

  const handle = telemetry.queue.wrapHandler(
    photosStream.name,
    async (msg: JsMsg, { step }) => {
      const event = decodeEvent(msg.data);
      await step('record', () =>
        metadata.append({
          seq: msg.seq,
          event,
          traceId: traceIdOf(headersOf(msg)['traceparent']),
          recordedAt: new Date().toISOString(),
        }),
      );
    },
    headersOf,
  );

  let stopping = false;
  const messages = await consumer.consume({ max_messages: 64 });
  const loop = (async () => {
    for await (const msg of messages) {
      try {
        await handle(msg);
        msg.ack();
      } catch (err) {
        if (isVigilError(err, 'parse')) {
          // A message that is not a photos event will never parse: stop its redelivery.
          log.warn(
            { seq: msg.seq, subject: msg.subject, err: (err as Error).message },
            'dropping malformed event',
          );
          msg.term();
        } else {
          log.error({ seq: msg.seq, err }, 'event failed; redelivering');
          msg.nak(retryDelayMs);
        }
      }
      if (stopping) break;
    }
    if (!stopping) log.error('consumer stopped delivering; exiting so the demo restarts the worker');
  })();

  const readLag = async () => {
    try {
      const info = await consumer.info();
      telemetry.queue.setLag(photosStream.name, workerConsumer, info.num_pending + info.num_ack_pending);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'cannot read consumer lag');
    }
  };
  await readLag();
  const lagTimer = setInterval(readLag, lagIntervalMs);

  telemetry.health.addCheck(
    'nats',
    async () => {
      if (nc.isClosed()) throw new Error('NATS connection closed');
    },
    { critical: true },
  );

  const app = express();
  app.disable('x-powered-by');
  app.use(telemetry.middleware());
  telemetry.mount(app);
  const { url } = await telemetry.listen(app, { port: options.port, host: '127.0.0.1' });
  log.info({ metricsUrl: url, natsUrl: options.natsUrl }, 'worker started');

  return {
    metricsUrl: url,
    metadataFile,
    done: loop,
    async stop() {
      stopping = true;
      clearInterval(lagTimer);
      messages.stop();
      await loop.catch(() => {});
      await nc.drain().catch(() => {});
      await metadata.close();
      await telemetry.shutdown({ graceMs: 2_000 });
    },
  };
}
