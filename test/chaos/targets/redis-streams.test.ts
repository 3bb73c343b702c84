import { afterEach, describe, expect, it, vi } from 'vitest';
import { RedisStreamQueue } from '../../../chaos/targets/index.ts';
import { needBinary } from '../../support/requires.ts';
import { startRedis } from '../support/servers.ts';

const missing = needBinary('redis-server', 'redis-server');

afterEach(() => {
  vi.restoreAllMocks();
});

describe.skipIf(missing)('Redis Streams target when its broker dies', () => {
  it('counts connection errors instead of printing "[ioredis] Unhandled error event", and fails the operation', async () => {
    const printed: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      printed.push(args.map(String).join(' '));
    });
    const redis = await startRedis();
    const queue = await RedisStreamQueue.open({
      url: `redis://127.0.0.1:${redis.port}`,
      stream: `vigil_defect_${process.pid}`,
      group: 'g',
      consumer: 'c',
    });
    try {
      expect(await queue.publish(Buffer.from('before'))).toMatch(/^\d+-\d+$/);
      expect(queue.connectionErrors).toBe(0);
      await redis.stop();
      // The operation that needs the broker is where the failure surfaces.
      await expect(queue.publish(Buffer.from('after'))).rejects.toThrow();
      // Reconnect attempts fail meanwhile; wait until at least one was seen.
      const deadline = Date.now() + 20_000;
      while (queue.connectionErrors === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(queue.connectionErrors).toBeGreaterThan(0);
      expect(queue.lastConnectionError?.message).toMatch(/ECONNREFUSED|ECONNRESET|closed/);
    } finally {
      await queue.close();
    }
    expect(printed.filter((l) => l.includes('[ioredis] Unhandled error event'))).toEqual([]);
  }, 60_000);

  it('refuses to open on a broker that is not there, with a VigilError naming the stream', async () => {
    const printed: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      printed.push(args.map(String).join(' '));
    });
    await expect(
      RedisStreamQueue.open({ url: 'redis://127.0.0.1:1', stream: 'nowhere', group: 'g', consumer: 'c' }),
    ).rejects.toThrow(/redis stream nowhere: /);
    expect(printed.filter((l) => l.includes('[ioredis]'))).toEqual([]);
  });
});
