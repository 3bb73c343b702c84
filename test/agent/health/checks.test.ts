import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect as natsConnect } from '@nats-io/transport-node';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HealthMonitor,
  httpCheck,
  jetstreamConsumerCheck,
  judgeProgress,
  judgeQueue,
  postgresCheck,
  rabbitmqQueueCheck,
  redisCheck,
  tcpCheck,
} from '../../../agent/health/index.ts';
import { systemClock } from '../../../core/index.ts';
import { freePort } from '../../support/ports.ts';
import { needService } from '../../support/requires.ts';

const run = (c: { run(s: AbortSignal): Promise<{ ok: boolean; detail: string }> }) =>
  c.run(new AbortController().signal);
const suffix = `${process.pid}_${Date.now()}`;

describe('consumer progress rule (pure)', () => {
  it.each([
    [undefined, undefined, 'unreadable'],
    [undefined, { head: 10, acked: 10 }, 'caught-up'],
    [undefined, { head: 10, acked: 5 }, 'first-reading'],
    [{ head: 10, acked: 5 }, { head: 12, acked: 7 }, 'progressing'],
    [{ head: 10, acked: 5 }, { head: 12, acked: 5 }, 'stalled'],
    [{ head: 10, acked: 5 }, { head: 10, acked: 5 }, 'idle'],
  ] as const)('%j then %j is %s', (prev, cur, verdict) => {
    expect(judgeProgress(prev, cur)).toBe(verdict);
  });

  it('queue backlog rule', () => {
    expect(judgeQueue(undefined, undefined)).toBe('unreadable');
    expect(judgeQueue(undefined, { ready: 3, consumers: 0 })).toBe('no-consumer');
    expect(judgeQueue({ ready: 3, consumers: 1 }, { ready: 0, consumers: 1 })).toBe('empty');
    expect(judgeQueue({ ready: 0, consumers: 1 }, { ready: 3, consumers: 1 })).toBe('first-reading');
    expect(judgeQueue({ ready: 5, consumers: 1 }, { ready: 2, consumers: 1 })).toBe('draining');
    expect(judgeQueue({ ready: 5, consumers: 1 }, { ready: 5, consumers: 1 })).toBe('stalled');
  });
});

describe('tcp and http checks', () => {
  let server: Server;
  let port: number;
  let status = 200;
  beforeAll(async () => {
    server = createServer((_req, res) => res.writeHead(status).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('tcp passes on an open port and fails on a closed one', async () => {
    expect((await run(tcpCheck({ name: 't', host: '127.0.0.1', port }))).ok).toBe(true);
    const closed = await run(tcpCheck({ name: 't', host: '127.0.0.1', port: await freePort() }));
    expect(closed).toMatchObject({ ok: false, detail: expect.stringMatching(/ECONNREFUSED/) });
  });

  it('http passes on 2xx and fails on 500', async () => {
    const check = httpCheck({ name: 'h', url: `http://127.0.0.1:${port}/health` });
    expect(await run(check)).toMatchObject({ ok: true, detail: 'HTTP 200' });
    status = 500;
    expect(await run(check)).toMatchObject({ ok: false, detail: 'HTTP 500' });
  });

  it('the monitor makes /readyz fail only for critical checks, and reports timeouts', async () => {
    status = 200;
    const never = { name: 'never', run: () => new Promise<never>(() => undefined) };
    const monitor = new HealthMonitor(
      [
        { check: httpCheck({ name: 'app', url: `http://127.0.0.1:${port}/` }) },
        { check: never, critical: false, timeoutMs: 50 },
      ],
      systemClock,
    );
    expect(monitor.ready()).toBe(false);
    await monitor.runOnce();
    expect(monitor.ready()).toBe(true);
    expect(monitor.list().find((s) => s.name === 'never')).toMatchObject({
      ok: false,
      detail: 'timed out after 50 ms',
    });
  });
});

describe('redis check (real Redis)', async () => {
  const missing = await needService('redis', 6379);
  it.skipIf(missing)('PING passes, and fails against a port with no Redis', async () => {
    const check = redisCheck({ name: 'cache', url: 'redis://127.0.0.1:6379' });
    expect(await run(check)).toMatchObject({ ok: true, detail: 'PONG' });
    expect(await run(check)).toMatchObject({ ok: true });
    await check.close();
    const down = redisCheck({ name: 'cache', url: `redis://127.0.0.1:${await freePort()}` });
    expect((await run(down)).ok).toBe(false);
    await down.close();
  });
});

describe('postgres check (real PostgreSQL)', async () => {
  const missing = await needService('postgresql', 5432);
  it.skipIf(missing)('a query passes; a failing query and a closed port fail', async () => {
    expect(
      await run(postgresCheck({ name: 'db', url: 'postgres://postgres@127.0.0.1:5432/test' })),
    ).toMatchObject({ ok: true, detail: '1 row(s)' });
    const bad = await run(
      postgresCheck({
        name: 'db',
        url: 'postgres://postgres@127.0.0.1:5432/test',
        query: 'SELECT * FROM no_such_table_vigil',
      }),
    );
    expect(bad).toMatchObject({ ok: false, detail: expect.stringMatching(/no_such_table_vigil/) });
    expect(
      (
        await run(
          postgresCheck({ name: 'db', url: `postgres://postgres@127.0.0.1:${await freePort()}/test` }),
        )
      ).ok,
    ).toBe(false);
  });
});

describe('JetStream consumer check (real NATS)', async () => {
  const missing = await needService('nats', 4222);
  it.skipIf(missing)('passes while the consumer acks, fails when it stalls or is gone', async () => {
    const nc = await natsConnect({ servers: 'nats://127.0.0.1:4222' });
    const jsm = await jetstreamManager(nc);
    const stream = `VIGIL_HC_${suffix}`;
    const subject = `vigil.hc.${suffix}`;
    await jsm.streams.add({ name: stream, subjects: [subject] });
    await jsm.consumers.add(stream, { durable_name: 'worker', ack_policy: AckPolicy.Explicit });
    const js = jetstream(nc);
    const consumer = await js.consumers.get(stream, 'worker');
    const publish = async (n: number) => {
      for (let i = 0; i < n; i++) await js.publish(subject, `m${i}`);
    };
    const consumeAll = async (n: number) => {
      const batch = await consumer.fetch({ max_messages: n, expires: 2000 });
      let got = 0;
      for await (const m of batch) {
        await m.ackAck();
        if (++got >= n) break;
      }
      expect(got).toBe(n);
    };
    const check = jetstreamConsumerCheck({
      name: 'worker',
      servers: 'nats://127.0.0.1:4222',
      stream,
      consumer: 'worker',
    });
    try {
      await publish(5);
      await consumeAll(5);
      expect(await run(check)).toMatchObject({ ok: true, detail: expect.stringMatching(/^caught-up/) });
      await publish(5);
      await consumeAll(5);
      await publish(3);
      expect(await run(check)).toMatchObject({ ok: true, detail: expect.stringMatching(/^progressing/) });
      // The consumer stops: the head moves, the ack floor does not.
      await publish(4);
      expect(await run(check)).toMatchObject({
        ok: false,
        detail: expect.stringMatching(/^stalled: head 17, ack floor 10/),
      });
      // It resumes.
      await consumeAll(7);
      expect((await run(check)).ok).toBe(true);
      await jsm.consumers.delete(stream, 'worker');
      expect(await run(check)).toMatchObject({
        ok: false,
        detail: expect.stringMatching(/^unreadable: .*consumer not found/i),
      });
    } finally {
      await check.close();
      await jsm.streams.delete(stream).catch(() => undefined);
      await nc.close();
    }
  });
});

describe('RabbitMQ queue check (real RabbitMQ)', async () => {
  const missing = await needService('rabbitmq', 5672);
  it.skipIf(missing)('fails with no consumer or a stalled one, passes while it drains', async () => {
    const url = 'amqp://guest:guest@127.0.0.1:5672';
    const queue = `vigil.hc.${suffix}`;
    const conn = await amqp.connect(url);
    const ch = await conn.createChannel();
    await ch.assertQueue(queue, { autoDelete: false, durable: false });
    const check = rabbitmqQueueCheck({ name: 'q', url, queue });
    const publish = (n: number) => {
      for (let i = 0; i < n; i++) ch.sendToQueue(queue, Buffer.from(`m${i}`));
    };
    const settle = () => new Promise((r) => setTimeout(r, 300));
    try {
      expect(await run(check)).toMatchObject({ ok: false, detail: expect.stringMatching(/^no-consumer/) });
      // A healthy consumer: acks everything.
      const healthy = await conn.createChannel();
      const { consumerTag } = await healthy.consume(queue, (m) => m && healthy.ack(m));
      publish(20);
      await settle();
      expect(await run(check)).toMatchObject({ ok: true, detail: expect.stringMatching(/^empty/) });
      await healthy.cancel(consumerTag);
      await healthy.close();
      // A stalled consumer: takes one message and never acks it.
      const stalled = await conn.createChannel();
      await stalled.prefetch(1);
      await stalled.consume(queue, () => undefined);
      publish(10);
      await settle();
      expect((await run(check)).ok).toBe(true); // first reading of a backlog
      publish(5);
      await settle();
      expect(await run(check)).toMatchObject({
        ok: false,
        detail: expect.stringMatching(/^stalled: 14 ready, 1 consumer/),
      });
      await stalled.close();
      await ch.deleteQueue(queue);
      expect(await run(check)).toMatchObject({ ok: false, detail: expect.stringMatching(/^unreadable/) });
    } finally {
      await check.close();
      await ch.deleteQueue(queue).catch(() => undefined);
      await conn.close().catch(() => undefined);
    }
  });
});
