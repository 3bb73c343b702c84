import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import amqp from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { NatsStreamQueue, RabbitQueue, RedisStreamQueue } from '../../../chaos/index.ts';
import { LedgerRecorder } from '../../../chaos/verify/ledger.ts';
import { systemClock } from '../../../core/index.ts';
import { needBinary, needService } from '../../support/requires.ts';
import { BrokerProcess, natsArgs, redisArgs } from './brokers.ts';
import { TempDirs } from './support.ts';

const dirs = new TempDirs();
const brokers: BrokerProcess[] = [];
afterAll(async () => {
  for (const b of brokers.splice(0)) await b.stop();
  dirs.cleanup();
});

const unique = () => `vigil_ledger_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
const stream = (check: ReturnType<LedgerRecorder['check']>) => check.streams[0]!;

const noNats = needBinary('nats-server');
describe.skipIf(noNats)('queue ledger on NATS JetStream (own nats-server)', () => {
  it('a memory stream killed with kill -9 loses exactly the acknowledged messages not yet consumed', async () => {
    const nats = await BrokerProcess.start('nats-server', natsArgs(dirs.make('vigil-nats-')));
    brokers.push(nats);
    const servers = `127.0.0.1:${nats.port}`;
    const name = unique();
    // Memory storage: acknowledged, but held only in the server's memory.
    const nc = await connect({ servers });
    await (await jetstreamManager(nc)).streams.add({
      name,
      subjects: [`${name}.in`],
      storage: 'memory' as never,
    });
    await nc.close();
    const queue = await NatsStreamQueue.open({
      servers,
      stream: name,
      subject: `${name}.in`,
      consumer: 'ledger',
    });
    const recorder = new LedgerRecorder({ queue, stream: name, clock: systemClock, publishTimeoutMs: 5000 });
    expect(await recorder.publishMany(100)).toBe(100);
    expect(await recorder.drain({ limit: 40, idleMs: 3000 })).toBe(40);
    await nats.kill9();
    await queue.close().catch(() => undefined);
    await nats.restart();
    const after = await NatsStreamQueue.open({
      servers,
      stream: name,
      subject: `${name}.in`,
      consumer: 'ledger',
    });
    recorder.attach(after);
    await recorder.drain({ idleMs: 1500 });
    await after.close();
    const s = stream(recorder.check());
    expect(s.acked).toBe(100);
    expect(s.lost).toHaveLength(60);
    expect(s.lost).toEqual(Array.from({ length: 60 }, (_, i) => String(40 + i)));
    expect(s.duplicated).toEqual([]);
    expect(s.unexpected).toEqual([]);
    expect(recorder.check().valid).toBe(false);
    await nats.stop();
  });

  it('a file stream paused mid-publish loses nothing; publishes that timed out are indeterminate, not lost', async () => {
    const nats = await BrokerProcess.start('nats-server', natsArgs(dirs.make('vigil-nats-')));
    brokers.push(nats);
    const servers = `127.0.0.1:${nats.port}`;
    const name = unique();
    const queue = await NatsStreamQueue.open({
      servers,
      stream: name,
      subject: `${name}.in`,
      consumer: 'ledger',
    });
    const recorder = new LedgerRecorder({ queue, stream: name, clock: systemClock, publishTimeoutMs: 1500 });
    await recorder.publishMany(30);
    await nats.pause();
    const during = await recorder.publishMany(3);
    nats.resume();
    await recorder.publishMany(30);
    await recorder.drain({ idleMs: 2000 });
    await queue.close();
    const s = stream(recorder.check());
    expect(during).toBe(0);
    expect(s.acked + s.unconfirmed).toBe(63);
    expect(s.unconfirmed).toBeGreaterThanOrEqual(3);
    expect(s.unconfirmedDelivered + s.unconfirmedMissing).toBe(s.unconfirmed);
    expect(s.lost).toEqual([]);
    expect(s.unexpected).toEqual([]);
    await nats.stop();
  });
});

const noRedis = needBinary('redis-server');
describe.skipIf(noRedis)('queue ledger on Redis Streams (own redis-server)', () => {
  async function run(appendfsync: 'always' | 'none') {
    const redis = await BrokerProcess.start(
      'redis-server',
      redisArgs(dirs.make('vigil-redis-'), appendfsync),
    );
    brokers.push(redis);
    const url = `redis://127.0.0.1:${redis.port}`;
    const name = unique();
    const options = { url, stream: name, group: 'ledger', consumer: 'c1' };
    const queue = await RedisStreamQueue.open(options);
    const recorder = new LedgerRecorder({ queue, stream: name, clock: systemClock, publishTimeoutMs: 2000 });
    expect(await recorder.publishMany(100)).toBe(100);
    expect(await recorder.drain({ limit: 30, idleMs: 3000 })).toBe(30);
    await redis.kill9();
    await queue.close();
    await redis.restart();
    const after = await RedisStreamQueue.open(options);
    recorder.attach(after);
    await recorder.drain({ idleMs: 1500 });
    await after.close();
    await redis.stop();
    return stream(recorder.check());
  }

  it('without persistence, kill -9 loses exactly the 70 acknowledged entries not yet consumed', async () => {
    const s = await run('none');
    expect(s.acked).toBe(100);
    expect(s.lost).toEqual(Array.from({ length: 70 }, (_, i) => String(30 + i)));
    expect(s.duplicated).toEqual([]);
  });

  it('with appendfsync always, kill -9 after publishing loses nothing', async () => {
    const s = await run('always');
    expect(s.acked).toBe(100);
    expect(s.lost).toEqual([]);
    expect(s.delivered).toBe(100);
    expect(s.duplicated).toEqual([]);
    expect(s.unexpected).toEqual([]);
  });

  it('with appendfsync always, kill -9 in the middle of publishing loses no acknowledged entry', async () => {
    const redis = await BrokerProcess.start('redis-server', redisArgs(dirs.make('vigil-redis-'), 'always'));
    brokers.push(redis);
    const options = {
      url: `redis://127.0.0.1:${redis.port}`,
      stream: unique(),
      group: 'ledger',
      consumer: 'c1',
    };
    const queue = await RedisStreamQueue.open(options);
    const recorder = new LedgerRecorder({
      queue,
      stream: options.stream,
      clock: systemClock,
      publishTimeoutMs: 2000,
    });
    await recorder.publishMany(50);
    await redis.kill9();
    // Publishes while the broker is dead fail or time out: indeterminate, never "acked".
    expect(await recorder.publishMany(3)).toBe(0);
    await redis.restart();
    await queue.close();
    const after = await RedisStreamQueue.open(options);
    recorder.attach(after);
    await recorder.publishMany(47);
    await recorder.drain({ idleMs: 1500 });
    await after.close();
    await redis.stop();
    const s = stream(recorder.check());
    expect(s.acked + s.unconfirmed).toBe(100);
    expect(s.acked).toBeGreaterThanOrEqual(97);
    expect(s.lost).toEqual([]);
    expect(s.unexpected).toEqual([]);
  });
});

// RabbitMQ: the shared broker on 5672, with queues of our own; a second broker would be too
// heavy for this machine, so the losses are arranged without killing it (see docs/verify.md).
const noRabbit = await needService('RabbitMQ', 5672);
describe.skipIf(noRabbit)('queue ledger on RabbitMQ (shared broker, own queues)', () => {
  const url = 'amqp://guest:guest@127.0.0.1:5672';

  it('a clean run with publisher confirms is valid', async () => {
    const name = unique();
    const queue = await RabbitQueue.open({ url, queue: name });
    const recorder = new LedgerRecorder({ queue, stream: name, clock: systemClock });
    expect(await recorder.publishMany(100)).toBe(100);
    await recorder.drain({ idleMs: 1500 });
    await queue.close();
    await deleteQueue(url, name);
    const check = recorder.check();
    expect(check.valid).toBe(true);
    expect(stream(check).delivered).toBe(100);
  });

  it('a queue deleted and recreated loses exactly the confirmed messages it held', async () => {
    const name = unique();
    const queue = await RabbitQueue.open({ url, queue: name });
    const recorder = new LedgerRecorder({ queue, stream: name, clock: systemClock });
    await recorder.publishMany(50);
    await recorder.drain({ limit: 20, idleMs: 3000 });
    await queue.close();
    await deleteQueue(url, name);
    const again = await RabbitQueue.open({ url, queue: name });
    recorder.attach(again);
    await recorder.publishMany(10);
    await recorder.drain({ idleMs: 1500 });
    await again.close();
    await deleteQueue(url, name);
    const s = stream(recorder.check());
    expect(s.acked).toBe(60);
    expect(s.lost).toEqual(Array.from({ length: 30 }, (_, i) => String(20 + i)));
    expect(s.delivered).toBe(30);
  });

  it('deliveries never acknowledged come again, and the ledger counts them as duplicates', async () => {
    const name = unique();
    const queue = await RabbitQueue.open({ url, queue: name });
    const recorder = new LedgerRecorder({ queue, stream: name, clock: systemClock });
    await recorder.publishMany(20);
    expect(await recorder.drain({ limit: 10, idleMs: 3000, ack: false })).toBe(10);
    // Closing the channel returns the unacknowledged ten to the queue.
    await queue.close();
    const again = await RabbitQueue.open({ url, queue: name });
    recorder.attach(again);
    await recorder.drain({ idleMs: 1500 });
    await again.close();
    await deleteQueue(url, name);
    const s = stream(recorder.check());
    expect(s.lost).toEqual([]);
    expect(s.duplicated.map((d) => d.id).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 10 }, (_, i) => String(i)),
    );
    // Duplicates make the history invalid; the default gate (lost, unexpected) still passes.
    expect(recorder.check().valid).toBe(false);
  });
});

async function deleteQueue(url: string, name: string): Promise<void> {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  await ch.deleteQueue(name);
  await ch.close();
  await conn.close();
}

describe.skipIf(await needService('Redis', 6379))(
  'watcher fed from a queue (shared Redis, own stream)',
  () => {
    it('learns write events from a Redis stream, acks them once durable, and counts a bad one', async () => {
      const { ManualClock } = await import('../../../core/index.ts');
      const { Watcher } = await import('../../../chaos/verify/watcher.ts');
      const { feedFromQueue } = await import('../../../chaos/verify/watcher-feed.ts');
      const { fill, fsStore } = await import('./support.ts');
      const store = fsStore(dirs.make());
      const keys = await fill(store, 20);
      const name = unique();
      const options = { url: 'redis://127.0.0.1:6379', stream: name, group: 'feed', consumer: 'w1' };
      const producer = await RedisStreamQueue.open(options);
      for (const key of keys) {
        const info = await store.head(key);
        await producer.publish(
          Buffer.from(JSON.stringify({ key, sha256: info!.sha256, size: info!.size, writtenAt: 0 })),
        );
      }
      await producer.publish(Buffer.from('{"key":"broken"}'));
      const clock = new ManualClock(0);
      const results: string[] = [];
      const rejected: string[] = [];
      const watcher = Watcher.open({
        store,
        clock,
        journalDir: dirs.make(),
        agesMs: [60_000],
        onResult: (r) => results.push(`${r.key} ${r.verdict}`),
      });
      const controller = new AbortController();
      const queue = await RedisStreamQueue.open(options);
      const feeding = feedFromQueue({
        watcher,
        queue,
        clock,
        signal: controller.signal,
        waitMs: 200,
        onRejected: (_, why) => rejected.push(why),
      });
      for (let i = 0; i < 100 && watcher.pending < 20; i++) await new Promise((r) => setTimeout(r, 50));
      controller.abort();
      const stats = await feeding;
      expect(stats).toEqual({ learned: 20, rejected: 1 });
      expect(rejected[0]).toContain('sha256: expected 64 hex digits');
      await clock.advance(60_000);
      await watcher.runDue();
      expect(results.sort()).toEqual(keys.map((k) => `${k} ok`).sort());
      await watcher.close();
      await queue.close();
      await producer.close();
      const { Redis } = await import('ioredis');
      const redis = new Redis(6379, '127.0.0.1');
      // Every event was acknowledged once durable: nothing is left pending in the group.
      const pending = (await redis.xpending(name, 'feed')) as [number, ...unknown[]];
      expect(pending[0]).toBe(0);
      await redis.del(name);
      redis.disconnect();
    });
  },
);
