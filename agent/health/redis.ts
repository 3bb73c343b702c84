import type { Redis } from 'ioredis';
import { failFastRedis, redisCall } from '../redis-client.ts';
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
    if (!client) client = failFastRedis(options.url);
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
        const reply = await redisCall(c, signal, (r) => r.ping());
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
