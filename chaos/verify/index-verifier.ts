import type { Clock } from '../../core/index.ts';
import { describeObservation, withRetries } from './attempt.ts';
import type { BlobStore } from './blob-store.ts';
import type { IndexEntry } from './index-source.ts';
import { forEachBounded } from './pool.ts';
import { Pacer } from './rate-limit.ts';
import { observeHead } from './read-check.ts';
import type { VerifyResult } from './report.ts';
import { classify, defaultRetryPolicy, type RetryPolicy } from './verdict.ts';

/**
 * The index verifier: for every entry of an index, asks the store whether the object is there
 * with a metadata request only (HEAD), never fetching content, at a bounded rate. It proves
 * presence, and that the size and recorded checksum agree with the index; it cannot prove the
 * bytes are intact (that is the scrubber's and the watcher's job).
 */
export interface IndexVerifyOptions {
  entries: AsyncIterable<IndexEntry> | Iterable<IndexEntry>;
  store: BlobStore;
  clock: Clock;
  /** HEAD requests per second; unlimited when absent. */
  ratePerSecond?: number | undefined;
  concurrency?: number | undefined;
  timeoutMs?: number | undefined;
  retry?: RetryPolicy | undefined;
  onResult: (result: VerifyResult) => void;
  signal?: AbortSignal | undefined;
}

/**
 * Walks the index once.
 *
 * @example
 * await verifyIndex({ entries: manifestEntries('index.jsonl'), store, clock: systemClock, ratePerSecond: 200, onResult });
 */
export async function verifyIndex(options: IndexVerifyOptions): Promise<void> {
  const { store, clock } = options;
  const pacer = new Pacer(clock, { objectsPerSecond: options.ratePerSecond });
  await forEachBounded(
    options.entries,
    options.concurrency ?? 16,
    async (entry) => {
      await pacer.take();
      const { observation, attempts } = await withRetries(
        clock,
        options.retry ?? defaultRetryPolicy,
        async () => ({
          observation: await observeHead(store, entry.key, clock, options.timeoutMs ?? 10_000),
        }),
      );
      const verdict = classify({ size: entry.size, sha256: entry.sha256 }, observation);
      let detail = describeObservation(observation, attempts);
      if (verdict === 'corrupt' && observation.kind === 'present') {
        detail =
          entry.size !== undefined && entry.size !== observation.size
            ? `size ${observation.size} on ${store.kind}, ${entry.size} in the index`
            : `recorded sha256 on ${store.kind} differs from the index`;
      }
      // With no checksum on either side, a HEAD that finds the object proves what it can: presence.
      const final = verdict === 'unverifiable' ? 'ok' : verdict;
      options.onResult({
        verifier: 'index',
        key: entry.key,
        verdict: final,
        at: clock.now(),
        bytes: 0,
        detail,
      });
    },
    options.signal,
  );
}
