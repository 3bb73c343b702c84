import { Redis } from 'ioredis';

/**
 * A Redis connection for health checks and the INFO adapter: connects on first use, no offline
 * queue and no reconnect loop, so a down Redis fails the call at once instead of queueing it.
 * Connection errors surface through the failing command; the 'error' event must not go
 * unhandled.
 *
 * @example
 * const client = failFastRedis('redis://127.0.0.1:6379');
 */
export function failFastRedis(url: string): Redis {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  return client;
}

/**
 * Runs one command on a fail-fast client, connecting first if needed, rejecting with
 * "timed out" when `signal` aborts first.
 *
 * @example
 * const reply = await redisCall(client, signal, (c) => c.ping());
 */
export async function redisCall<T>(
  client: Redis,
  signal: AbortSignal,
  call: (c: Redis) => Promise<T>,
): Promise<T> {
  if (client.status === 'wait') await client.connect();
  return Promise.race([
    call(client),
    new Promise<never>((_, reject) =>
      signal.addEventListener('abort', () => reject(new Error('timed out')), { once: true }),
    ),
  ]);
}
