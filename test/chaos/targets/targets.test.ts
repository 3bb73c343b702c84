import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe } from 'vitest';
import {
  type BlobStore,
  FilesystemBlobStore,
  NatsObjectBlobStore,
  NatsStreamQueue,
  type Queue,
  RabbitQueue,
  RedisStreamQueue,
  S3BlobStore,
} from '../../../chaos/targets/index.ts';
import { freePort } from '../../support/ports.ts';
import { needService } from '../../support/requires.ts';
import { blobStoreConformance } from './blob-store.case.ts';
import { queueConformance } from './queue.case.ts';

const run = `t${process.pid}${Date.now() % 100000}`;
const noNats = await needService('NATS', 4222);
const noRabbit = await needService('RabbitMQ', 5672);
const noRedis = await needService('Redis', 6379);

describe('filesystem blob store', () => {
  let dir: string;
  let store: BlobStore;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-fs-'));
    store = new FilesystemBlobStore(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  blobStoreConformance(() => store, 'photos');
});

describe('S3 blob store against s3rver', () => {
  let dir: string;
  let server: S3rver;
  let store: BlobStore;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-s3-'));
    const port = await freePort();
    server = new S3rver({
      port,
      address: '127.0.0.1',
      silent: true,
      directory: dir,
      configureBuckets: [{ name: 'photos' }],
    });
    await server.run();
    store = new S3BlobStore({
      bucket: 'photos',
      endpoint: `http://127.0.0.1:${port}`,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
    });
  });
  afterAll(async () => {
    await store?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  blobStoreConformance(() => store, 'p');
});

describe.skipIf(noNats)('NATS JetStream object store', () => {
  let store: NatsObjectBlobStore;
  beforeAll(async () => {
    store = await NatsObjectBlobStore.open({ servers: '127.0.0.1:4222', bucket: `vigil_${run}` });
  });
  afterAll(async () => {
    await store?.close();
    const nc = await connect({ servers: '127.0.0.1:4222' });
    await (await jetstreamManager(nc)).streams.delete(`OBJ_vigil_${run}`).catch(() => undefined);
    await nc.close();
  });
  blobStoreConformance(() => store, 'k');
});

describe.skipIf(noNats)('NATS JetStream stream queue', () => {
  let q: Queue;
  beforeAll(async () => {
    q = await NatsStreamQueue.open({
      servers: '127.0.0.1:4222',
      stream: `VIGIL_${run}`,
      subject: `vigil.${run}`,
      consumer: 'w',
    });
  });
  afterAll(async () => {
    await q?.close();
    const nc = await connect({ servers: '127.0.0.1:4222' });
    await (await jetstreamManager(nc)).streams.delete(`VIGIL_${run}`).catch(() => undefined);
    await nc.close();
  });
  queueConformance(() => q);
});

describe.skipIf(noRabbit)('RabbitMQ queue', () => {
  let q: RabbitQueue;
  beforeAll(async () => {
    q = await RabbitQueue.open({ url: 'amqp://guest:guest@127.0.0.1:5672', queue: `vigil-${run}` });
    await q.purge();
  });
  afterAll(async () => {
    await q?.purge();
    await q?.close();
  });
  queueConformance(() => q);
});

describe.skipIf(noRedis)('Redis Streams queue', () => {
  let q: RedisStreamQueue;
  const stream = `vigil:${run}`;
  beforeAll(async () => {
    q = await RedisStreamQueue.open({ url: 'redis://127.0.0.1:6379', stream, group: 'g', consumer: 'c' });
  });
  afterAll(async () => {
    const { Redis } = await import('ioredis');
    const r = new Redis('redis://127.0.0.1:6379');
    await r.del(stream);
    r.disconnect();
    await q?.close();
  });
  queueConformance(() => q);
});
