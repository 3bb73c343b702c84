import { type ObjectStore, Objm } from '@nats-io/obj';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type BlobInfo, type BlobStore, defaultListLimit, sha256Hex } from './target.ts';

/**
 * NATS digests read `SHA-256=<base64url>`; vigil compares hex.
 *
 * @example
 * natsDigestToHex('SHA-256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU='); // 'e3b0c442...'
 */
export function natsDigestToHex(digest: string): string | undefined {
  const m = /^SHA-256=(.+)$/i.exec(digest);
  return m ? Buffer.from(m[1]!, 'base64url').toString('hex') : undefined;
}

/**
 * A NATS JetStream object store bucket as a blob store. The store's own SHA-256 digest is the
 * recorded checksum.
 *
 * @example
 * const store = await NatsObjectBlobStore.open({ servers: '127.0.0.1:4222', bucket: 'photos' });
 */
export class NatsObjectBlobStore implements BlobStore {
  readonly kind = 'nats-object';

  private constructor(
    private readonly nc: NatsConnection,
    private readonly os: ObjectStore,
  ) {}

  static async open(options: { servers: string; bucket: string }): Promise<NatsObjectBlobStore> {
    const nc = await connect({ servers: options.servers });
    const os = await new Objm(nc).create(options.bucket);
    return new NatsObjectBlobStore(nc, os);
  }

  private info(i: { name: string; size: number; digest: string; mtime: string }): BlobInfo {
    return { key: i.name, size: i.size, sha256: natsDigestToHex(i.digest), modifiedMs: Date.parse(i.mtime) };
  }

  async list(prefix = '', limit = defaultListLimit): Promise<BlobInfo[]> {
    const all = await this.os.list();
    return all
      .filter((i) => !i.deleted && i.name.startsWith(prefix))
      .slice(0, limit)
      .map((i) => this.info(i));
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    const i = await this.os.info(key);
    return i && !i.deleted ? this.info(i) : undefined;
  }

  async get(key: string): Promise<Buffer | undefined> {
    const data = await this.os.getBlob(key);
    return data ? Buffer.from(data) : undefined;
  }

  async read(key: string): Promise<{ info: BlobInfo; body: Buffer } | undefined> {
    const info = await this.head(key);
    const body = info && (await this.get(key));
    return info && body ? { info, body } : undefined;
  }

  async put(key: string, body: Buffer): Promise<BlobInfo> {
    const i = await this.os.putBlob({ name: key }, body);
    return { ...this.info(i), sha256: sha256Hex(body) };
  }

  async delete(key: string): Promise<void> {
    await this.os.delete(key);
  }

  async close(): Promise<void> {
    await this.nc.drain();
  }
}
