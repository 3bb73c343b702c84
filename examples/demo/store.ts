import { createHash } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { VigilError } from '../../core/index.ts';

/** How the demo reaches its blob store: any S3 API (s3rver, MinIO, AWS) with static keys. */
export interface StoreOptions {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region?: string;
}

/** Metadata key of the checksum; S3 returns it as `x-amz-meta-sha256`. Durability verifiers read it. */
export const checksumMetadataKey = 'sha256';

export interface StoredPhoto {
  body: Buffer;
  sha256: string | undefined;
  contentType: string | undefined;
}

export interface ListedObject {
  key: string;
  size: number;
  lastModified: Date | undefined;
}

/**
 * Hex sha256 of a blob, the checksum stored with every photo.
 *
 * @example
 * sha256Hex(Buffer.from('hello')); // '2cf24dba...'
 */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

// ListObjectsV2 returns at most 1000 keys a page; a cap on pages keeps one call bounded.
const maxListPages = 100;
// DeleteObjects takes at most 1000 keys per call (S3 API limit).
const maxDeleteBatch = 1000;

/**
 * The demo's only way to its blobs: @aws-sdk/client-s3 with path-style addressing and static
 * credentials, so the service runs unchanged against any S3-compatible endpoint. Failures of
 * the store become VigilError('unavailable') (HTTP 503); a missing key is `undefined`.
 */
export class PhotoStore {
  readonly bucket: string;
  readonly endpoint: string;
  private readonly client: S3Client;

  constructor(options: StoreOptions) {
    this.bucket = options.bucket;
    this.endpoint = options.endpoint;
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region ?? 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
      // Newer SDKs add CRC checksums and aws-chunked bodies by default, which S3-compatible
      // servers (s3rver among them) do not all understand; the demo keeps its own sha256.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 2,
      // A stalled store (paused by a chaos experiment) must fail the request, not hang it.
      requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
    });
  }

  /** Creates the bucket unless it exists. */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (err) {
      if (!isNotFound(err)) throw unavailable(`HEAD bucket ${this.bucket}`, err);
    }
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') {
        throw unavailable(`create bucket ${this.bucket}`, err);
      }
    }
  }

  /** True when the store answers (a readiness check). */
  async ping(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      throw unavailable(`HEAD bucket ${this.bucket}`, err);
    }
  }

  /** Writes a photo with its sha256 as object metadata; returns the checksum. */
  async put(
    key: string,
    body: Buffer,
    contentType: string,
  ): Promise<{ sha256: string; etag: string | undefined }> {
    const sha256 = sha256Hex(body);
    try {
      const out = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          ContentLength: body.length,
          Metadata: { [checksumMetadataKey]: sha256 },
        }),
      );
      return { sha256, etag: out.ETag };
    } catch (err) {
      throw unavailable(`PUT ${key}`, err);
    }
  }

  async get(key: string): Promise<StoredPhoto | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const bytes = out.Body ? Buffer.from(await out.Body.transformToByteArray()) : Buffer.alloc(0);
      return { body: bytes, sha256: out.Metadata?.[checksumMetadataKey], contentType: out.ContentType };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw unavailable(`GET ${key}`, err);
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw unavailable(`HEAD ${key}`, err);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (err) {
      throw unavailable(`DELETE ${key}`, err);
    }
  }

  /** Deletes up to 1000 keys in one call; returns the keys the store reports as failed. */
  async deleteMany(keys: readonly string[]): Promise<string[]> {
    if (keys.length === 0) return [];
    if (keys.length > maxDeleteBatch) throw new RangeError(`deleteMany: at most ${maxDeleteBatch} keys`);
    try {
      const out = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      return (out.Errors ?? []).map((e) => e.Key ?? '');
    } catch (err) {
      throw unavailable(`DELETE ${keys.length} objects`, err);
    }
  }

  /** Every object under `prefix`, page by page, up to 100 000 keys. */
  async list(prefix = ''): Promise<ListedObject[]> {
    const objects: ListedObject[] = [];
    let token: string | undefined;
    for (let page = 0; page < maxListPages; page++) {
      let out: ListObjectsV2CommandOutput;
      try {
        out = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
        );
      } catch (err) {
        throw unavailable(`LIST ${prefix || '/'}`, err);
      }
      for (const o of out.Contents ?? []) {
        if (o.Key) objects.push({ key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified });
      }
      if (!out.IsTruncated || !out.NextContinuationToken) return objects;
      token = out.NextContinuationToken;
    }
    return objects;
  }

  close(): void {
    this.client.destroy();
  }
}

function isNotFound(err: unknown): boolean {
  if (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 404) return true;
  const name = (err as { name?: string }).name;
  return name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchBucket';
}

function unavailable(what: string, err: unknown): VigilError {
  const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new VigilError('unavailable', `blob store: ${what} failed: ${reason}`, { cause: err });
}
