import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { VigilError } from '../../core/index.ts';
import { s3Pages } from './s3-pages.ts';
import { type BlobInfo, type BlobStore, defaultListLimit, sha256Hex } from './target.ts';

export interface S3BlobStoreOptions {
  bucket: string;
  /** Any S3-compatible endpoint (s3rver, MinIO, Ceph RGW); AWS when absent. */
  endpoint?: string;
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Path-style addressing, as most S3-compatible servers need. */
  forcePathStyle?: boolean;
}

/**
 * S3 object metadata key of the checksum (sent as x-amz-meta-sha256): the demo and vigil's
 * verifiers use the same key, so objects written by either are checked alike.
 */
const checksumKey = 'sha256';

function notFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}

/**
 * A bucket of an S3 API as a blob store (AWS SDK v3).
 *
 * @example
 * const store = new S3BlobStore({ bucket: 'photos', endpoint: 'http://127.0.0.1:4568', forcePathStyle: true });
 */
export class S3BlobStore implements BlobStore {
  readonly kind = 's3';
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(options: S3BlobStoreOptions) {
    this.bucket = options.bucket;
    this.client = new S3Client({
      region: options.region ?? 'us-east-1',
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.forcePathStyle ?? Boolean(options.endpoint),
      // Flexible checksums (aws-chunked uploads) are not understood by many S3-compatible
      // servers (s3rver among them); vigil records its own SHA-256 in metadata instead.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(options.accessKeyId
        ? {
            credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey ?? '' },
          }
        : {}),
    });
  }

  async list(prefix = '', limit = defaultListLimit): Promise<BlobInfo[]> {
    const out: BlobInfo[] = [];
    // Marker paging (s3Pages), not ListObjectsV2 tokens, which s3rver fails past 1000 keys.
    for await (const page of s3Pages(this.client, { bucket: this.bucket, prefix })) {
      for (const o of page) {
        if (out.length >= limit) break;
        out.push(o);
      }
      if (out.length >= limit) break;
    }
    // Listings do not carry user metadata: read it per object only when asked (head).
    return out;
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return {
        key,
        size: r.ContentLength ?? 0,
        sha256: r.Metadata?.[checksumKey],
        modifiedMs: r.LastModified?.getTime(),
      };
    } catch (err) {
      if (notFound(err)) return undefined;
      throw new VigilError('unavailable', `s3 ${this.bucket}: head ${key}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return Buffer.from(await r.Body!.transformToByteArray());
    } catch (err) {
      if (notFound(err)) return undefined;
      throw new VigilError('unavailable', `s3 ${this.bucket}: get ${key}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  async read(key: string): Promise<{ info: BlobInfo; body: Buffer } | undefined> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const body = Buffer.from(await r.Body!.transformToByteArray());
      return {
        info: {
          key,
          size: r.ContentLength ?? body.length,
          sha256: r.Metadata?.[checksumKey],
          modifiedMs: r.LastModified?.getTime(),
        },
        body,
      };
    } catch (err) {
      if (notFound(err)) return undefined;
      throw new VigilError('unavailable', `s3 ${this.bucket}: get ${key}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  async put(key: string, body: Buffer): Promise<BlobInfo> {
    const sha256 = sha256Hex(body);
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        Metadata: { [checksumKey]: sha256 },
      }),
    );
    return { key, size: body.length, sha256 };
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
