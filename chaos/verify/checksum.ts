import { createHash } from 'node:crypto';

/**
 * Content checksums. vigil records and compares lower-case hex SHA-256: it is what S3's
 * `x-amz-checksum-sha256` and most manifests carry, and this machine hashes it at close to
 * memory speed (see bench/verify-throughput.ts).
 */

/**
 * SHA-256 of `bytes` as lower-case hex.
 *
 * @example
 * sha256Hex(Buffer.from('abc')); // 'ba7816bf...'
 */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** True when `text` looks like a lower-case hex SHA-256. */
export function isSha256Hex(text: string): boolean {
  return /^[0-9a-f]{64}$/.test(text);
}
