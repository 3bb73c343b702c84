import {
  AckPolicy,
  type Consumer,
  type JetStreamClient,
  jetstream,
  jetstreamManager,
  StorageType,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Queue, QueueMessage } from './target.ts';

export interface NatsStreamQueueOptions {
  servers: string;
  stream: string;
  subject: string;
  /** Durable consumer name: consumers with the same name share the work. */
  consumer: string;
  /** Storage of the stream when it has to be created (file by default, as in JetStream). */
  storage?: 'file' | 'memory' | undefined;
}

/**
 * A NATS JetStream stream as a queue: publish waits for the stream's PubAck, consume pulls from
 * a durable consumer with explicit acks (ackAck waits for the server's confirmation).
 *
 * @example
 * const q = await NatsStreamQueue.open({ servers: '127.0.0.1:4222', stream: 'jobs', subject: 'jobs.new', consumer: 'worker' });
 */
export class NatsStreamQueue implements Queue {
  readonly kind = 'nats-jetstream';

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly consumer: Consumer,
    private readonly subject: string,
    private readonly stream: string,
  ) {}

  static async open(o: NatsStreamQueueOptions): Promise<NatsStreamQueue> {
    const nc = await connect({ servers: o.servers });
    const jsm = await jetstreamManager(nc);
    try {
      await jsm.streams.info(o.stream);
    } catch {
      await jsm.streams.add({
        name: o.stream,
        subjects: [o.subject],
        ...(o.storage ? { storage: o.storage === 'memory' ? StorageType.Memory : StorageType.File } : {}),
      });
    }
    try {
      await jsm.consumers.info(o.stream, o.consumer);
    } catch {
      await jsm.consumers.add(o.stream, {
        durable_name: o.consumer,
        ack_policy: AckPolicy.Explicit,
        filter_subject: o.subject,
      });
    }
    const js = jetstream(nc);
    const consumer = await js.consumers.get(o.stream, o.consumer);
    return new NatsStreamQueue(nc, js, consumer, o.subject, o.stream);
  }

  async publish(body: Buffer): Promise<string> {
    const ack = await this.js.publish(this.subject, body);
    return `${this.stream}:${ack.seq}`;
  }

  async consume(max: number, waitMs: number): Promise<QueueMessage[]> {
    const batch = await this.consumer.fetch({ max_messages: max, expires: Math.max(1000, waitMs) });
    const out: QueueMessage[] = [];
    for await (const m of batch) {
      out.push({
        id: `${this.stream}:${m.seq}`,
        body: Buffer.from(m.data),
        ack: async () => {
          await m.ackAck();
        },
      });
      if (out.length >= max) break;
    }
    return out;
  }

  async close(): Promise<void> {
    await this.nc.drain();
  }
}
