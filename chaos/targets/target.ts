import { createHash } from 'node:crypto';

/**
 * The blob store and queue adapters that experiments, probes and durability verifiers share.
 * Blob stores keep a SHA-256 of each object in its metadata when vigil writes it, so a reader
 * can tell a damaged object from an intact one without a second copy.
 */

export interface BlobInfo {
  key: string;
  size: number;
  /** SHA-256 (hex) recorded when the object was written by vigil; undefined for foreign objects. */
  sha256?: string | undefined;
  /** Last modification, epoch ms, when the store tells. */
  modifiedMs?: number | undefined;
}

export interface BlobStore {
  readonly kind: string;
  /** Lists objects under `prefix`, at most `limit` (bounded: a store may hold millions). */
  list(prefix?: string, limit?: number): Promise<BlobInfo[]>;
  /** Size and recorded checksum, or undefined when the object does not exist. */
  head(key: string): Promise<BlobInfo | undefined>;
  /** The object's bytes, or undefined when it does not exist. */
  get(key: string): Promise<Buffer | undefined>;
  /**
   * Bytes and metadata from one read where the store allows it (S3 GetObject), so a concurrent
   * overwrite cannot pair old metadata with new bytes. Optional: callers fall back to head + get.
   */
  read?(key: string): Promise<{ info: BlobInfo; body: Buffer } | undefined>;
  /** Writes the object and records its SHA-256; resolves once the store acknowledged it. */
  put(key: string, body: Buffer): Promise<BlobInfo>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

export interface QueueMessage {
  /** The broker's id: stream sequence, Redis entry id, AMQP message id. */
  id: string;
  body: Buffer;
  /** Acknowledges the message; resolves once the broker confirmed where it can. */
  ack(): Promise<void>;
}

export interface Queue {
  readonly kind: string;
  /** Publishes and waits for the broker's confirm; resolves with the message id. */
  publish(body: Buffer): Promise<string>;
  /** Up to `max` messages, waiting at most `waitMs` for the first; unacked ones come back later. */
  consume(max: number, waitMs: number): Promise<QueueMessage[]>;
  close(): Promise<void>;
}

/** Default bound on list results. */
export const defaultListLimit = 10_000;

/**
 * Hex SHA-256 of bytes: the checksum blob stores record.
 *
 * @example
 * sha256Hex(Buffer.from('')); // 'e3b0c442...'
 */
export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Bytes and metadata together: the store's own `read` when it has one, else head then get.
 *
 * @example
 * const r = await readBlob(store, 'photos/a.jpg'); // { info, body } or undefined
 */
export async function readBlob(
  store: BlobStore,
  key: string,
): Promise<{ info: BlobInfo; body: Buffer } | undefined> {
  if (store.read) return store.read(key);
  const info = await store.head(key);
  const body = info && (await store.get(key));
  return info && body ? { info, body } : undefined;
}

/**
 * True when an object's bytes match the checksum recorded when it was written.
 *
 * @example
 * isIntact(await store.head(key), body); // false after a bit flip
 */
export function isIntact(info: BlobInfo, body: Uint8Array): boolean {
  return info.sha256 === undefined || (body.length === info.size && sha256Hex(body) === info.sha256);
}
