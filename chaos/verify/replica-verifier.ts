import type { Clock } from '../../core/index.ts';
import { describeObservation, withRetries } from './attempt.ts';
import { compareKeys, type VerifiableStore } from './blob-store.ts';
import { forEachBounded } from './pool.ts';
import { Pacer } from './rate-limit.ts';
import { observeHead, observeRead } from './read-check.ts';
import type { VerifyResult } from './report.ts';
import { defaultRetryPolicy, type Observation, type RetryPolicy, type Verdict } from './verdict.ts';

/**
 * The cross-replica verifier: walks two stores' listings side by side (both are in key order)
 * and compares them key by key and checksum by checksum. A key on one side only is `missing` on
 * the other; a key whose size or checksum differs is `different`. With `deep`, both copies are
 * read and hashed; without it, the recorded checksums from HEAD are compared, which is cheap but
 * trusts the metadata.
 */
export interface CompareOptions {
  a: VerifiableStore;
  b: VerifiableStore;
  clock: Clock;
  deep?: boolean | undefined;
  prefix?: string | undefined;
  /** Keys per second. */
  ratePerSecond?: number | undefined;
  concurrency?: number | undefined;
  timeoutMs?: number | undefined;
  retry?: RetryPolicy | undefined;
  onResult: (result: VerifyResult) => void;
  signal?: AbortSignal | undefined;
}

type Pair = { key: string; inA: boolean; inB: boolean };

/** Merges two sorted key sequences into pairs saying where each key is. */
export async function* mergeListings(
  a: AsyncIterable<string>,
  b: AsyncIterable<string>,
): AsyncIterable<Pair> {
  const ia = a[Symbol.asyncIterator]();
  const ib = b[Symbol.asyncIterator]();
  let na = await ia.next();
  let nb = await ib.next();
  while (!na.done || !nb.done) {
    const c = na.done ? 1 : nb.done ? -1 : compareKeys(na.value, nb.value);
    if (c === 0) {
      yield { key: na.value as string, inA: true, inB: true };
      na = await ia.next();
      nb = await ib.next();
    } else if (c < 0) {
      yield { key: na.value as string, inA: true, inB: false };
      na = await ia.next();
    } else {
      yield { key: nb.value as string, inA: false, inB: true };
      nb = await ib.next();
    }
  }
}

/**
 * Compares two stores once.
 *
 * @example
 * await compareReplicas({ a: zoneA, b: zoneB, clock: systemClock, deep: true, onResult });
 */
export async function compareReplicas(options: CompareOptions): Promise<void> {
  const { a, b, clock } = options;
  const retry = options.retry ?? defaultRetryPolicy;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const pacer = new Pacer(clock, { objectsPerSecond: options.ratePerSecond });
  const listOptions = options.prefix ? { prefix: options.prefix } : {};
  const observe = async (
    store: VerifiableStore,
    key: string,
  ): Promise<{ observation: Observation; bytes: number; attempts: number }> =>
    withRetries(clock, retry, async () =>
      options.deep
        ? observeRead(store, key, clock, timeoutMs)
        : { observation: await observeHead(store, key, clock, timeoutMs), bytes: 0 },
    );
  await forEachBounded(
    mergeListings(a.keys(listOptions), b.keys(listOptions)),
    options.concurrency ?? 16,
    async (pair) => {
      await pacer.take();
      const emit = (verdict: Verdict, bytes: number, detail?: string, side?: 'a' | 'b') =>
        options.onResult({
          verifier: 'compare',
          key: pair.key,
          verdict,
          at: clock.now(),
          bytes,
          detail,
          side,
        });
      if (!pair.inA || !pair.inB) {
        const missingOn = pair.inA ? 'b' : 'a';
        emit('missing', 0, `absent on ${missingOn === 'a' ? a.name : b.name}`, missingOn);
        return;
      }
      const [oa, ob] = await Promise.all([observe(a, pair.key), observe(b, pair.key)]);
      const bytes = oa.bytes + ob.bytes;
      for (const [o, side, store] of [
        [oa, 'a', a],
        [ob, 'b', b],
      ] as const) {
        // Listed a moment ago and gone now: a delete raced the walk or the listing lies; say which side.
        if (o.observation.kind !== 'present') {
          const verdict = o.observation.kind === 'absent' ? 'missing' : 'unreadable';
          emit(verdict, bytes, `${describeObservation(o.observation, o.attempts)} on ${store.name}`, side);
          return;
        }
      }
      const pa = oa.observation as Extract<Observation, { kind: 'present' }>;
      const pb = ob.observation as Extract<Observation, { kind: 'present' }>;
      if (pa.size !== pb.size)
        return emit('different', bytes, `size ${pa.size} on ${a.name}, ${pb.size} on ${b.name}`);
      if (pa.sha256 === undefined || pb.sha256 === undefined) {
        return emit('unverifiable', bytes, 'no recorded checksum to compare (use deep)');
      }
      if (pa.sha256 !== pb.sha256)
        return emit('different', bytes, `sha256 differs between ${a.name} and ${b.name}`);
      emit('ok', bytes);
    },
    options.signal,
  );
}
