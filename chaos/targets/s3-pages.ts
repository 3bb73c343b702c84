import { ListObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import { VigilError } from '../../core/index.ts';
import type { BlobInfo } from './target.ts';

export interface S3PageOptions {
  bucket: string;
  prefix?: string | undefined;
  /** Resume after this key (exclusive). */
  startAfter?: string | undefined;
  /** Keys per request; S3 caps it at 1000. */
  pageSize?: number | undefined;
}

/** S3's cap on keys per list request. */
const maxPageSize = 1000;

/**
 * Every object of a bucket (under a prefix), page by page, in key order, with ListObjects (v1)
 * and a `Marker` that is the last key seen, never ListObjectsV2 continuation tokens: some
 * S3-compatible servers cannot make tokens (s3rver under OpenSSL 3 answers 500 to every
 * truncated ListObjectsV2 page), and a marker lets a walk resume after any key. One page is
 * held at a time. The blob store's `list` and the verifiers' walker share this.
 *
 * @example
 * for await (const page of s3Pages(client, { bucket: 'photos' })) for (const o of page) console.log(o.key);
 */
export async function* s3Pages(client: S3Client, options: S3PageOptions): AsyncGenerator<BlobInfo[]> {
  let after = options.startAfter;
  for (;;) {
    const page = await client
      .send(
        new ListObjectsCommand({
          Bucket: options.bucket,
          MaxKeys: Math.min(options.pageSize ?? maxPageSize, maxPageSize),
          ...(options.prefix ? { Prefix: options.prefix } : {}),
          ...(after !== undefined ? { Marker: after } : {}),
        }),
      )
      .catch((err: unknown) => {
        throw new VigilError(
          'unavailable',
          `s3://${options.bucket}: list failed: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      });
    const objects: BlobInfo[] = (page.Contents ?? []).flatMap((o) =>
      o.Key === undefined ? [] : [{ key: o.Key, size: o.Size ?? 0, modifiedMs: o.LastModified?.getTime() }],
    );
    if (objects.length > 0) yield objects;
    if (!page.IsTruncated || objects.length === 0) return;
    after = objects.at(-1)!.key;
  }
}
