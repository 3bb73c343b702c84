import { VigilError } from '../../core/index.ts';
import type { BlobStore } from '../targets/index.ts';

/**
 * What the verifiers need of a blob store: the shared chaos target (`BlobStore`: head, get,
 * put, delete) plus one ability the targets do not promise, an ordered walk over every key that
 * can resume after a key. A billion-key bucket cannot be listed into memory, and a scrubber
 * that restarts must carry on where it stopped.
 */
export type { BlobStore } from '../targets/index.ts';

export interface ListOptions {
  /** Resume after this key (exclusive), in UTF-8 byte order. */
  startAfter?: string | undefined;
  prefix?: string | undefined;
}

/** Walks keys in ascending UTF-8 byte order (S3's ListObjectsV2 order), lazily. */
export interface KeyWalker {
  /** For reports: "s3://bucket", "file:///data". */
  readonly name: string;
  keys(options?: ListOptions): AsyncIterable<string>;
}

/** A blob store the verifiers can walk. */
export interface VerifiableStore extends BlobStore, KeyWalker {}

/** Orders keys as S3 does (UTF-8 bytes), which differs from JavaScript's UTF-16 order past U+FFFF. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Joins a target store and a walker. Without a walker, the store's own bounded `list()` is
 * used, sorted and filtered in memory: fine for stores of up to `listLimit` objects, and the
 * walk refuses to pretend beyond that.
 *
 * @example
 * const store = verifiable(new FilesystemBlobStore(dir), directoryWalker(dir));
 */
export function verifiable(store: BlobStore, walker?: KeyWalker, listLimit = 1_000_000): VerifiableStore {
  const walk: KeyWalker = walker ?? {
    name: store.kind,
    async *keys(options: ListOptions = {}) {
      const listed = await store.list(options.prefix ?? '', listLimit + 1);
      if (listed.length > listLimit) {
        throw new VigilError(
          'limit',
          `${store.kind}: more than ${listLimit} objects; give the verifier a walker`,
        );
      }
      const keys = listed.map((b) => b.key).sort(compareKeys);
      for (const k of keys)
        if (options.startAfter === undefined || compareKeys(k, options.startAfter) > 0) yield k;
    },
  };
  // A proxy rather than a copy: whatever the target grows (new methods, private state) stays reachable.
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'name') return walk.name;
      if (prop === 'keys') return (options?: ListOptions) => walk.keys(options);
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as VerifiableStore;
}
