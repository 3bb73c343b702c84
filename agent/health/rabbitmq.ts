import amqp from 'amqplib';
import { type Check, fail, pass, reasonOf } from './check.ts';
import { judgeQueue, type QueueReading } from './queue-backlog.ts';

/**
 * A RabbitMQ queue's consumer health over AMQP 0-9-1 (no management plugin needed).
 * AMQP exposes a queue's ready messages and consumer count, not its ack counter, so the
 * Cloudflare rule is applied to the backlog: unhealthy when the queue cannot be read, when
 * it has no consumer, or when messages are waiting and the backlog did not shrink since the
 * last run while it grew or stayed (the consumer stopped taking them). A consumer that is
 * slower than its producers for a whole check interval also fails: it is falling behind.
 */

export function rabbitmqQueueCheck(options: {
  name: string;
  url: string;
  queue: string;
}): Check & { close(): Promise<void> } {
  let conn: amqp.ChannelModel | undefined;
  let previous: QueueReading | undefined;
  return {
    name: options.name,
    async run(signal) {
      let current: QueueReading | undefined;
      let why = '';
      try {
        if (!conn) {
          conn = await amqp.connect(options.url, { timeout: 5000 });
          conn.on('error', () => undefined);
          conn.on('close', () => {
            conn = undefined;
          });
        }
        // A passive declare of a missing queue closes the channel: one channel per reading.
        const ch = await conn.createChannel();
        ch.on('error', () => undefined);
        try {
          const q = await ch.checkQueue(options.queue);
          current = { ready: q.messageCount, consumers: q.consumerCount };
        } finally {
          await ch.close().catch(() => undefined);
        }
        if (signal.aborted) throw new Error('timed out');
      } catch (err) {
        why = reasonOf(err);
      }
      const verdict = judgeQueue(previous, current);
      previous = current;
      const detail = current
        ? `${verdict}: ${current.ready} ready, ${current.consumers} consumer(s)`
        : `unreadable: ${why}`;
      return verdict === 'unreadable' || verdict === 'no-consumer' || verdict === 'stalled'
        ? fail(detail)
        : pass(detail);
    },
    async close() {
      await conn?.close().catch(() => undefined);
      conn = undefined;
    },
  };
}
