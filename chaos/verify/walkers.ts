import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { VigilError } from '../../core/index.ts';
import { s3Pages } from '../targets/index.ts';
import { compareKeys, type KeyWalker, type ListOptions } from './blob-store.ts';

/** The folder where the filesystem target keeps checksums, and the suffix of its half-written files. */
const metaDirName = '.vigil-meta';
const tmpSuffix = '.vigil-tmp';

/**
 * Walks the keys of a filesystem target's directory (skipping its checksum folder and
 * half-written files). One readdir of the tree, sorted: directories are walked in memory.
 *
 * @example
 * for await (const key of directoryWalker('/data').keys({ startAfter: 'a/b' })) ...
 */
export function directoryWalker(dir: string): KeyWalker {
  const root = resolve(dir);
  return {
    name: `file://${root}`,
    async *keys(options: ListOptions = {}) {
      let entries: Dirent[];
      try {
        entries = await readdir(root, { recursive: true, withFileTypes: true });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return;
        throw new VigilError('unavailable', `${root}: cannot list: ${code}`, { cause: err });
      }
      const keys: string[] = [];
      for (const entry of entries) {
        if (!entry.isFile() || entry.name.endsWith(tmpSuffix)) continue;
        // Dirent.parentPath is Node 20.12+; `path` is its older name.
        const parent = (entry as Dirent & { parentPath?: string }).parentPath ?? entry.path;
        const rel = relative(root, join(parent, entry.name));
        const key = sep === '/' ? rel : rel.split(sep).join('/');
        if (key.startsWith(`${metaDirName}/`)) continue;
        if (options.prefix && !key.startsWith(options.prefix)) continue;
        if (options.startAfter !== undefined && compareKeys(key, options.startAfter) <= 0) continue;
        keys.push(key);
      }
      keys.sort(compareKeys);
      yield* keys;
    },
  };
}

export interface S3WalkerOptions {
  bucket: string;
  endpoint?: string | undefined;
  region?: string | undefined;
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
  forcePathStyle?: boolean | undefined;
  /** Keys per request; S3 caps it at 1000. */
  pageSize?: number | undefined;
}

/**
 * Walks a bucket page by page with the targets' shared marker paging (`s3Pages`: ListObjects
 * v1 with the last key seen as `Marker`, which s3rver supports past 1000 keys and which lets a
 * walk resume after any key). One page is held at a time.
 *
 * @example
 * const walker = s3Walker({ bucket: 'photos', endpoint: 'http://127.0.0.1:4568' });
 */
export function s3Walker(options: S3WalkerOptions): KeyWalker & { close(): void } {
  const client = new S3Client({
    region: options.region ?? 'us-east-1',
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle ?? Boolean(options.endpoint),
    ...(options.accessKeyId
      ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey ?? '' } }
      : {}),
  });
  const name = `s3://${options.bucket}`;
  return {
    name,
    close: () => client.destroy(),
    async *keys(list: ListOptions = {}) {
      for await (const page of s3Pages(client, {
        bucket: options.bucket,
        prefix: list.prefix,
        startAfter: list.startAfter,
        pageSize: options.pageSize,
      }))
        for (const o of page) yield o.key;
    },
  };
}
