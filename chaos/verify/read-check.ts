import type { Clock } from '../../core/index.ts';
import { readBlob } from '../targets/index.ts';
import type { BlobStore } from './blob-store.ts';
import { sha256Hex } from './checksum.ts';
import type { Observation } from './verdict.ts';

/**
 * One attempt at observing an object, as data: the shells call these and hand the observation
 * to `classify`. A timeout is measured on the injected clock and becomes an `error`
 * observation, so a hung store yields `unreadable` instead of a hung verifier.
 */

async function withTimeout<T>(clock: Clock, ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: { cancel(): void } | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(() => reject(new Error(`${what}: no answer after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    timer?.cancel();
  }
}

function message(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

/**
 * Reads the whole object and hashes it.
 *
 * @example
 * const { observation, bytes } = await observeRead(store, 'k', systemClock, 30_000);
 */
export async function observeRead(
  store: BlobStore,
  key: string,
  clock: Clock,
  timeoutMs: number,
): Promise<{ observation: Observation; bytes: number }> {
  try {
    const data = await withTimeout(clock, timeoutMs, `GET ${key}`, store.get(key));
    if (data === undefined) return { observation: { kind: 'absent' }, bytes: 0 };
    return {
      observation: { kind: 'present', size: data.length, sha256: sha256Hex(data) },
      bytes: data.length,
    };
  } catch (err) {
    return { observation: { kind: 'error', message: message(err) }, bytes: 0 };
  }
}

/**
 * A metadata request only: presence, size and the recorded SHA-256 if the store keeps one.
 *
 * @example
 * const observation = await observeHead(store, 'k', systemClock, 10_000);
 */
export async function observeHead(
  store: BlobStore,
  key: string,
  clock: Clock,
  timeoutMs: number,
): Promise<Observation> {
  try {
    const stat = await withTimeout(clock, timeoutMs, `HEAD ${key}`, store.head(key));
    if (stat === undefined) return { kind: 'absent' };
    return { kind: 'present', size: stat.size, sha256: stat.sha256 };
  } catch (err) {
    return { kind: 'error', message: message(err) };
  }
}

/**
 * Reads bytes and the checksum recorded at write time in one request where the store allows
 * it (S3 GetObject), so a concurrent overwrite cannot pair old metadata with new bytes.
 * `recorded` is undefined when the object is absent or the read failed.
 *
 * @example
 * const { observation, recorded } = await observeRecordedRead(store, 'k', systemClock, 30_000);
 */
export async function observeRecordedRead(
  store: BlobStore,
  key: string,
  clock: Clock,
  timeoutMs: number,
): Promise<{ observation: Observation; bytes: number; recorded?: string | undefined }> {
  try {
    const r = await withTimeout(clock, timeoutMs, `GET ${key}`, readBlob(store, key));
    if (r === undefined) return { observation: { kind: 'absent' }, bytes: 0 };
    return {
      observation: { kind: 'present', size: r.body.length, sha256: sha256Hex(r.body) },
      bytes: r.body.length,
      recorded: r.info.sha256,
    };
  } catch (err) {
    return { observation: { kind: 'error', message: message(err) }, bytes: 0 };
  }
}
