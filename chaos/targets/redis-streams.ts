import { Redis } from 'ioredis';
import { VigilError } from '../../core/index.ts';
import type { Queue, QueueMessage } from './target.ts';

export interface RedisStreamQueueOptions {
  url: string;
  stream: string;
  group: string;
  consumer: string;
}

/**
 * A Redis stream as a queue (ioredis): XADD is the publish (Redis acknowledges with the entry
 * id), a consumer group with XREADGROUP / XACK is the consume.
 *
 * @example
 * const q = await RedisStreamQueue.open({ url: 'redis://127.0.0.1:6379', stream: 'jobs', group: 'workers', consumer: 'w1' });
 */
export class RedisStreamQueue implements Queue {
  readonly kind = 'redis-streams';

  private constructor(
    private readonly redis: Redis,
    private readonly o: RedisStreamQueueOptions,
    private readonly errors: { count: number; last?: Error | undefined },
  ) {}

  /**
   * Connection errors seen (refused, reset: a broker killed or paused by a fault). They are
   * counted, not printed: ioredis reconnects by itself, and the operation that needed the
   * connection rejects with the error, which is where a caller learns of it.
   */
  get connectionErrors(): number {
    return this.errors.count;
  }

  get lastConnectionError(): Error | undefined {
    return this.errors.last;
  }

  static async open(o: RedisStreamQueueOptions): Promise<RedisStreamQueue> {
    const redis = new Redis(o.url, { lazyConnect: true, maxRetriesPerRequest: 2 });
    const errors: { count: number; last?: Error | undefined } = { count: 0 };
    // Without an 'error' listener ioredis prints "[ioredis] Unhandled error event" for every
    // failed reconnect: noise on every broker kill. Attached before connecting.
    redis.on('error', (err: Error) => {
      errors.count++;
      errors.last = err;
    });
    try {
      await redis.connect();
      await redis.xgroup('CREATE', o.stream, o.group, '0', 'MKSTREAM').catch((err: unknown) => {
        if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
      });
    } catch (err) {
      redis.disconnect();
      throw new VigilError('unavailable', `redis stream ${o.stream}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return new RedisStreamQueue(redis, o, errors);
  }

  async publish(body: Buffer): Promise<string> {
    return (await this.redis.xaddBuffer(this.o.stream, '*', 'body', body))!.toString();
  }

  async consume(max: number, waitMs: number): Promise<QueueMessage[]> {
    // callBuffer keeps bodies as bytes; the typed xreadgroup would decode them as UTF-8.
    const res = (await this.redis.callBuffer('XREADGROUP', [
      'GROUP',
      this.o.group,
      this.o.consumer,
      'COUNT',
      max,
      'BLOCK',
      waitMs,
      'STREAMS',
      this.o.stream,
      '>',
    ])) as Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;
    const out: QueueMessage[] = [];
    for (const [, entries] of res ?? []) {
      for (const [id, fields] of entries) {
        const i = fields.findIndex((f, k) => k % 2 === 0 && f.toString() === 'body');
        const key = id.toString();
        out.push({
          id: key,
          body: i >= 0 ? fields[i + 1]! : Buffer.alloc(0),
          ack: async () => {
            await this.redis.xack(this.o.stream, this.o.group, key);
          },
        });
      }
    }
    return out;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
