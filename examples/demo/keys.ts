import { VigilError } from '../../core/index.ts';

/**
 * Where a photo lives in the bucket: `<user>/g<generation>/<id>`.
 *
 * The generation is the user's erase counter: deleting a user bumps it, so the photos written
 * before the deletion sit under an old generation that reads no longer see and the GC removes.
 * No clock comparison is involved, so an upload racing a deletion is decided by the generation
 * it read, never by timestamps of two machines.
 */
export interface PhotoKey {
  user: string;
  generation: number;
  id: string;
}

const userPattern = /^[a-z][a-z0-9-]{0,31}$/;
// Ids never start with a dot: s3rver keeps objects as files, and "." or ".." would be paths.
const idPattern = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
const keyPattern = /^([a-z][a-z0-9-]{0,31})\/g(0|[1-9][0-9]{0,15})\/([A-Za-z0-9_-][A-Za-z0-9._-]{0,127})$/;

/**
 * A user name the demo accepts in paths and keys.
 *
 * @example
 * isValidUser('alice'); // true
 */
export function isValidUser(user: string): boolean {
  return userPattern.test(user);
}

/**
 * A photo id the store accepts.
 *
 * @example
 * isValidPhotoId('cat.jpg'); // true
 * isValidPhotoId('../etc'); // false
 */
export function isValidPhotoId(id: string): boolean {
  return idPattern.test(id);
}

/** Throws VigilError('usage') (HTTP 400) for an id the store would not accept. */
export function checkPhotoId(id: string): void {
  if (!isValidPhotoId(id)) {
    throw new VigilError(
      'usage',
      `photo id must be 1-128 characters of A-Z a-z 0-9 . _ - and not start with "."`,
      {
        details: { field: 'id' },
      },
    );
  }
}

/**
 * @example
 * photoKey({ user: 'alice', generation: 0, id: 'cat.jpg' }); // 'alice/g0/cat.jpg'
 */
export function photoKey(key: PhotoKey): string {
  return `${key.user}/g${key.generation}/${key.id}`;
}

/** The key prefix of one generation of a user's photos, for listing. */
export function generationPrefix(user: string, generation: number): string {
  return `${user}/g${generation}/`;
}

/**
 * Parses an object key written by `photoKey`; undefined for anything else (objects the demo did
 * not write are left alone by the GC).
 *
 * @example
 * parsePhotoKey('alice/g3/cat.jpg'); // { user: 'alice', generation: 3, id: 'cat.jpg' }
 */
export function parsePhotoKey(key: string): PhotoKey | undefined {
  const match = keyPattern.exec(key);
  if (!match) return undefined;
  const generation = Number(match[2]);
  if (!Number.isSafeInteger(generation)) return undefined;
  return { user: match[1]!, generation, id: match[3]! };
}
