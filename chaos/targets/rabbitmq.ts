import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import type { Queue, QueueMessage } from './target.ts';

/**
 * A RabbitMQ queue (amqplib): durable queue, persistent messages, publisher confirms;
 * consume gets messages with manual acks.
 *
 * @example
 * const q = await RabbitQueue.open({ url: 'amqp://guest:guest@127.0.0.1:5672', queue: 'jobs' });
 */
export class RabbitQueue implements Queue {
  readonly kind = 'rabbitmq';

  private constructor(
    private readonly conn: amqp.ChannelModel,
    private readonly ch: amqp.ConfirmChannel,
    private readonly queue: string,
  ) {}

  static async open(o: { url: string; queue: string }): Promise<RabbitQueue> {
    const conn = await amqp.connect(o.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue(o.queue, { durable: true });
    return new RabbitQueue(conn, ch, o.queue);
  }

  async publish(body: Buffer): Promise<string> {
    const id = randomUUID();
    await new Promise<void>((resolve, reject) => {
      this.ch.sendToQueue(this.queue, body, { persistent: true, messageId: id }, (err) =>
        err ? reject(err) : resolve(),
      );
    });
    return id;
  }

  async consume(max: number, waitMs: number): Promise<QueueMessage[]> {
    const out: QueueMessage[] = [];
    const deadline = Date.now() + waitMs;
    while (out.length < max) {
      const m = await this.ch.get(this.queue, { noAck: false });
      if (m === false) {
        if (out.length > 0 || Date.now() >= deadline) break;
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      out.push({
        id: String(m.properties.messageId ?? m.fields.deliveryTag),
        body: m.content,
        ack: async () => this.ch.ack(m),
      });
    }
    return out;
  }

  /** Empties the queue (tests and fresh runs). */
  async purge(): Promise<void> {
    await this.ch.purgeQueue(this.queue);
  }

  async close(): Promise<void> {
    await this.ch.close();
    await this.conn.close();
  }
}
