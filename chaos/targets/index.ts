/** chaos/targets: the blob stores and queues experiments, probes and verifiers share. */
export { FilesystemBlobStore } from './filesystem.ts';
export { NatsObjectBlobStore, natsDigestToHex } from './nats-object.ts';
export { NatsStreamQueue, type NatsStreamQueueOptions } from './nats-stream.ts';
export { RabbitQueue } from './rabbitmq.ts';
export { RedisStreamQueue, type RedisStreamQueueOptions } from './redis-streams.ts';
export { S3BlobStore, type S3BlobStoreOptions } from './s3.ts';
export { type S3PageOptions, s3Pages } from './s3-pages.ts';
export {
  type BlobInfo,
  type BlobStore,
  defaultListLimit,
  isIntact,
  type Queue,
  type QueueMessage,
  readBlob,
  sha256Hex,
} from './target.ts';
