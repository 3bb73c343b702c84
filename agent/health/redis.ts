import { Redis } from 'ioredis';
import { type Check, fail, pass, reasonOf } from './check.ts';

/**
 * Passes when Redis answers PING with PONG. One connection per check, kept between runs;
 * no offline queue, so a down Redis fails the check at once instead of queueing PINGs.
 *
 * @example
 * redisCheck({ name: 'cache', url: 'redis://127.0.0.1:6379' });
 */
export function redisCheck(options: { name: string; url: string }): Check & { close(): Promise<void> } {
  let client: Redis | undefined;
  const get = () => {
    if (!client) {
      client = new Redis(options.url, {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      // Connection errors surface through the PING's rejection; the event must not go unhandled.
      client.on('error', () => undefined);
    }
    return client;
  };
  return {
    name: options.name,
    async run(signal) {
      try {
        const c = get();
        if (c.status === 'end' || c.status === 'close') {
          client = undefined;
          return await this.run(signal);
        }
        if (c.status === 'wait') await c.connect();
        const reply = await Promise.race([
          c.ping(),
          new Promise<never>((_, reject) =>
            signal.addEventListener('abort', () => reject(new Error('timed out')), { once: true }),
          ),
        ]);
        return reply === 'PONG' ? pass('PONG') : fail(`unexpected reply ${String(reply).slice(0, 40)}`);
      } catch (err) {
        client?.disconnect();
        client = undefined;
        return fail(reasonOf(err));
      }
    },
    async close() {
      client?.disconnect();
      client = undefined;
    },
  };
}
