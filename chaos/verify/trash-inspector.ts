import { type Clock, VigilError } from '../../core/index.ts';
import { describeObservation, withRetries } from './attempt.ts';
import type { BlobStore } from './blob-store.ts';
import { forEachBounded } from './pool.ts';
import { Pacer } from './rate-limit.ts';
import { observeHead } from './read-check.ts';
import type { VerifyResult } from './report.ts';
import { defaultRetryPolicy, type RetryPolicy } from './verdict.ts';

/**
 * The trash inspector: keys that were deleted must stay deleted. Each tombstone is checked with
 * a HEAD once its grace period (for deletes that propagate lazily) has passed; an object found
 * again is `resurrected`. It proves that deletes are not undone by repair, replication or
 * restores from backup; it cannot prove that the bytes are gone from the disks.
 */
export interface Tombstone {
  key: string;
  /** ms since the epoch. */
  deletedAt: number;
}

export interface TrashOptions {
  tombstones: AsyncIterable<Tombstone> | Iterable<Tombstone>;
  store: BlobStore;
  clock: Clock;
  /** Tombstones younger than this are skipped (not judged yet). */
  graceMs?: number | undefined;
  ratePerSecond?: number | undefined;
  concurrency?: number | undefined;
  timeoutMs?: number | undefined;
  retry?: RetryPolicy | undefined;
  onResult: (result: VerifyResult) => void;
  signal?: AbortSignal | undefined;
}

/**
 * Parses one tombstone line: `{"key":"a/b","deletedAt":"2026-11-23T10:00:00Z"}` (or ms).
 *
 * @example
 * parseTombstone('{"key":"k","deletedAt":0}', 'trash.jsonl', 1); // { key: 'k', deletedAt: 0 }
 */
export function parseTombstone(line: string, source: string, lineNo: number): Tombstone | undefined {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) return undefined;
  const where = `${source}:${lineNo}`;
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    return fail(`${where}: not valid JSON`);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj))
    return fail(`${where}: expected a JSON object`);
  const { key, deletedAt } = obj as Record<string, unknown>;
  if (typeof key !== 'string' || key === '') return fail(`${where}: key: expected a non-empty string`);
  const at =
    typeof deletedAt === 'number'
      ? deletedAt
      : typeof deletedAt === 'string'
        ? Date.parse(deletedAt)
        : Number.NaN;
  if (!Number.isFinite(at)) return fail(`${where}: deletedAt: expected an ISO time or ms since the epoch`);
  return { key, deletedAt: at };
}

function fail(message: string): never {
  throw new VigilError('parse', message);
}

/**
 * Checks every tombstone once.
 *
 * @example
 * await inspectTrash({ tombstones, store, clock: systemClock, graceMs: 60_000, onResult });
 */
export async function inspectTrash(options: TrashOptions): Promise<{ skipped: number }> {
  const { store, clock } = options;
  const pacer = new Pacer(clock, { objectsPerSecond: options.ratePerSecond });
  let skipped = 0;
  await forEachBounded(
    options.tombstones,
    options.concurrency ?? 16,
    async (t) => {
      if (t.deletedAt + (options.graceMs ?? 0) > clock.now()) {
        skipped++;
        return;
      }
      await pacer.take();
      const { observation, attempts } = await withRetries(
        clock,
        options.retry ?? defaultRetryPolicy,
        async () => ({
          observation: await observeHead(store, t.key, clock, options.timeoutMs ?? 10_000),
        }),
      );
      const verdict =
        observation.kind === 'absent' ? 'ok' : observation.kind === 'present' ? 'resurrected' : 'unreadable';
      const detail =
        verdict === 'resurrected'
          ? `present (${(observation as { size: number }).size} bytes) on ${store.kind}, deleted ${new Date(t.deletedAt).toISOString()}`
          : verdict === 'unreadable'
            ? describeObservation(observation, attempts)
            : undefined;
      options.onResult({ verifier: 'trash', key: t.key, verdict, at: clock.now(), bytes: 0, detail });
    },
    options.signal,
  );
  return { skipped };
}
