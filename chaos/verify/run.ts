import { createInterface } from 'node:readline';
import pg from 'pg';
import type { z } from 'zod';
import { type Clock, systemClock, VigilError } from '../../core/index.ts';
import {
  FilesystemBlobStore,
  NatsStreamQueue,
  type Queue,
  RabbitQueue,
  RedisStreamQueue,
  S3BlobStore,
} from '../targets/index.ts';
import { sleepUnlessAborted } from './abortable-sleep.ts';
import { type VerifiableStore, verifiable } from './blob-store.ts';
import { agesOf, type queueTargetSchema, type StoreConfig, type VerifyConfig } from './config.ts';
import { fileRecords, type IndexEntry, listingEntries, manifestEntries, sqlEntries } from './index-source.ts';
import { verifyIndex } from './index-verifier.ts';
import { LedgerRecorder } from './ledger.ts';
import type { VerifyMetrics } from './metrics.ts';
import { compareReplicas } from './replica-verifier.ts';
import {
  type LedgerReport,
  ledgerReport,
  ReportBuilder,
  type VerifierName,
  type VerifyReport,
  type VerifyResult,
} from './report.ts';
import { Scrubber } from './scrubber.ts';
import { inspectTrash, parseTombstone } from './trash-inspector.ts';
import type { RetryPolicy } from './verdict.ts';
import { directoryWalker, s3Walker } from './walkers.ts';
import { Watcher } from './watcher.ts';
import { feedFromQueue } from './watcher-feed.ts';
import { parseWriteEvent } from './write-event.ts';

/**
 * Runs a verifier from a validated config: the shell the CLI and experiments share. Each
 * function opens what it needs, runs, closes it, and returns the JSON report.
 */

export interface VerifyRunOptions {
  clock?: Clock;
  /** Stops a continuous verifier (watch, scrub) or a walk in progress. */
  signal?: AbortSignal;
  metrics?: VerifyMetrics;
  env?: NodeJS.ProcessEnv;
  /** watch: run what is due and return; scrub: one pass. */
  once?: boolean;
  /** Standard input for `watch.feed: "-"`. */
  stdin?: NodeJS.ReadableStream;
  /** Called with each violation as it is found (the alerting hook). */
  onViolation?: (result: VerifyResult) => void;
}

/** Opens a configured store with its ordered walker. */
export function openStore(
  config: StoreConfig,
  env: NodeJS.ProcessEnv = process.env,
): VerifiableStore & { dispose(): Promise<void> } {
  if (config.type === 'filesystem') {
    const store = verifiable(new FilesystemBlobStore(config.dir), directoryWalker(config.dir));
    return Object.assign(store, { dispose: () => store.close() });
  }
  const accessKeyId = config.accessKeyIdEnv ? env[config.accessKeyIdEnv] : undefined;
  const secretAccessKey = config.secretAccessKeyEnv ? env[config.secretAccessKeyEnv] : undefined;
  if (config.accessKeyIdEnv && !accessKeyId) {
    throw new VigilError(
      'config',
      `s3 store ${config.bucket}: environment variable ${config.accessKeyIdEnv} is not set`,
    );
  }
  const s3 = {
    bucket: config.bucket,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.region ? { region: config.region } : {}),
    ...(config.forcePathStyle !== undefined ? { forcePathStyle: config.forcePathStyle } : {}),
    ...(accessKeyId ? { accessKeyId, secretAccessKey: secretAccessKey ?? '' } : {}),
  };
  const walker = s3Walker(s3);
  const store = verifiable(new S3BlobStore(s3), walker);
  return Object.assign(store, {
    dispose: async () => {
      walker.close();
      await store.close();
    },
  });
}

function storeOf(config: VerifyConfig, name: string, env?: NodeJS.ProcessEnv) {
  const c = config.stores[name];
  if (!c) throw new VigilError('config', `no store "${name}" under stores`);
  return openStore(c, env);
}

function retryOf(r: { attempts: number; delay: number } | undefined): RetryPolicy | undefined {
  return r ? { attempts: r.attempts, delayMs: r.delay } : undefined;
}

/** The pacing fields index, compare and trash share (the config's `common` fields). */
function pacingOf(c: {
  rate?: number | undefined;
  concurrency: number;
  timeout: number;
  retry?: { attempts: number; delay: number } | undefined;
}) {
  return { ratePerSecond: c.rate, concurrency: c.concurrency, timeoutMs: c.timeout, retry: retryOf(c.retry) };
}

function builder(name: VerifierName, config: VerifyConfig, clock: Clock, options: VerifyRunOptions) {
  const report = new ReportBuilder(
    name,
    clock.now(),
    config.report.failOn ? { failOn: config.report.failOn } : {},
  );
  const onResult = (r: VerifyResult) => {
    report.add(r);
    options.metrics?.record(r);
    if (r.verdict !== 'ok' && r.verdict !== 'unverifiable') options.onViolation?.(r);
  };
  const finish = (): VerifyReport => {
    const done = report.finish(clock.now());
    options.metrics?.finished(done);
    return done;
  };
  return { onResult, finish };
}

function need<T>(section: T | undefined, name: string): T {
  if (section === undefined) throw new VigilError('config', `the config has no "${name}" section`);
  return section;
}

/** One walk of the index (manifest, listing or database query), HEAD only. */
export async function runIndex(config: VerifyConfig, options: VerifyRunOptions = {}): Promise<VerifyReport> {
  const c = need(config.index, 'index');
  const clock = options.clock ?? systemClock;
  const store = storeOf(config, c.store, options.env);
  const { onResult, finish } = builder('index', config, clock, options);
  let db: pg.Client | undefined;
  try {
    let entries: AsyncIterable<IndexEntry>;
    if ('manifest' in c.source) entries = manifestEntries(c.source.manifest);
    else if ('listing' in c.source) entries = listingEntries(storeOf(config, c.source.listing, options.env));
    else {
      const url = (options.env ?? process.env)[c.source.postgres.urlEnv];
      if (!url)
        throw new VigilError(
          'config',
          `index.source.postgres: environment variable ${c.source.postgres.urlEnv} is not set`,
        );
      db = new pg.Client({ connectionString: url });
      await db.connect().catch((err: unknown) => {
        throw new VigilError('unavailable', `index database: ${(err as Error).message}`, { cause: err });
      });
      entries = sqlEntries(db, c.source.postgres.query);
    }
    await verifyIndex({
      entries,
      store,
      clock,
      ...pacingOf(c),
      onResult,
      signal: options.signal,
    });
    return finish();
  } finally {
    await db?.end().catch(() => undefined);
    await store.dispose();
  }
}

/** One side-by-side walk of two stores. */
export async function runCompare(
  config: VerifyConfig,
  options: VerifyRunOptions = {},
): Promise<VerifyReport> {
  const c = need(config.compare, 'compare');
  const clock = options.clock ?? systemClock;
  const a = storeOf(config, c.a, options.env);
  const b = storeOf(config, c.b, options.env);
  const { onResult, finish } = builder('compare', config, clock, options);
  try {
    await compareReplicas({
      a,
      b,
      clock,
      deep: c.deep,
      prefix: c.prefix,
      ...pacingOf(c),
      onResult,
      signal: options.signal,
    });
    return finish();
  } finally {
    await a.dispose();
    await b.dispose();
  }
}

/** One check of every tombstone. */
export async function runTrash(config: VerifyConfig, options: VerifyRunOptions = {}): Promise<VerifyReport> {
  const c = need(config.trash, 'trash');
  const clock = options.clock ?? systemClock;
  const store = storeOf(config, c.store, options.env);
  const { onResult, finish } = builder('trash', config, clock, options);
  try {
    await inspectTrash({
      tombstones: fileRecords(c.tombstones, parseTombstone),
      store,
      clock,
      graceMs: c.grace,
      ...pacingOf(c),
      onResult,
      signal: options.signal,
    });
    return finish();
  } finally {
    await store.dispose();
  }
}

/** One pass (`once`) or passes until the signal, resuming from the cursor file. */
export async function runScrub(config: VerifyConfig, options: VerifyRunOptions = {}): Promise<VerifyReport> {
  const c = need(config.scrub, 'scrub');
  const clock = options.clock ?? systemClock;
  const store = storeOf(config, c.store, options.env);
  const { onResult, finish } = builder('scrub', config, clock, options);
  try {
    const scrubber = new Scrubber({
      store,
      clock,
      cursorFile: c.cursor,
      objectsPerSecond: c.rate?.objects,
      bytesPerSecond: c.rate?.bytes,
      concurrency: c.concurrency,
      timeoutMs: c.timeout,
      retry: retryOf(c.retry),
      prefix: c.prefix,
      onResult,
    });
    if (options.once) await scrubber.pass(options.signal);
    else await scrubber.run(options.signal ?? new AbortController().signal, c.pause);
    return finish();
  } finally {
    await store.dispose();
  }
}

/**
 * The watcher: replays its journal, runs overdue read-backs, then (unless `once`) keeps
 * running read-backs as they fall due, making synthetic writes and/or learning fed write
 * events, until the signal.
 */
export async function runWatch(config: VerifyConfig, options: VerifyRunOptions = {}): Promise<VerifyReport> {
  const c = need(config.watch, 'watch');
  const clock = options.clock ?? systemClock;
  const store = storeOf(config, c.store, options.env);
  const { onResult, finish } = builder('watch', config, clock, options);
  const watcher = Watcher.open({
    store,
    clock,
    journalDir: c.journal,
    agesMs: agesOf(config),
    sampleRate: c.sample,
    seed: c.seed,
    retry: retryOf(c.retry),
    timeoutMs: c.timeout,
    concurrency: c.concurrency,
    ...(c.maxPending ? { maxPending: c.maxPending } : {}),
    ...(c.synthetic ? { syntheticPrefix: c.synthetic.prefix } : {}),
    onResult,
  });
  const state = () =>
    options.metrics?.watcherState({
      pending: watcher.pending,
      overdueMs: watcher.overdueMs(),
      dropped: watcher.dropped,
    });
  try {
    await watcher.runDue();
    state();
    if (options.once) return finish();
    watcher.start();
    const signal = options.signal ?? new AbortController().signal;
    const tasks: Promise<void>[] = [];
    if (typeof c.feed === 'string')
      tasks.push(feedWatcher(watcher, c.feed, options.stdin ?? process.stdin, signal));
    else if (c.feed) {
      const queue = await openQueue(c.feed.queue);
      tasks.push(
        feedFromQueue({
          watcher,
          queue,
          clock,
          signal,
          onRejected: (id, reason) =>
            process.stderr.write(
              `${JSON.stringify({ level: 'warn', msg: 'write event rejected', id, reason })}\n`,
            ),
        }).then(
          () => queue.close(),
          () => queue.close(),
        ),
      );
    }
    // Synthetic writes and the metrics refresh share one loop on the clock, ended by the signal.
    const every = c.synthetic?.every ?? 15_000;
    while (!signal.aborted) {
      if (c.synthetic) {
        await watcher.writeSynthetic(c.synthetic.size).catch((err: unknown) => {
          // A failed write is the store being unavailable, not a verdict about stored data:
          // it is logged and the loop carries on.
          process.stderr.write(
            `${JSON.stringify({ level: 'warn', msg: 'synthetic write failed', err: (err as Error).message })}\n`,
          );
        });
      }
      state();
      await sleepUnlessAborted(clock, every, signal);
    }
    await Promise.allSettled(tasks);
    return finish();
  } finally {
    await watcher.close();
    await store.dispose();
  }
}

async function feedWatcher(
  watcher: Watcher,
  feed: string,
  stdin: NodeJS.ReadableStream,
  signal: AbortSignal,
): Promise<void> {
  if (feed === '-') {
    const lines = createInterface({ input: stdin, crlfDelay: Number.POSITIVE_INFINITY });
    let n = 0;
    signal.addEventListener('abort', () => lines.close(), { once: true });
    for await (const line of lines) {
      const event = parseWriteEvent(line, 'stdin', ++n);
      if (event) await watcher.learn(event);
    }
    return;
  }
  for await (const event of fileRecords(feed, parseWriteEvent)) {
    if (signal.aborted) return;
    await watcher.learn(event);
  }
}

/** Opens the configured queue target. */
export async function openQueue(target: z.output<typeof queueTargetSchema>): Promise<Queue> {
  try {
    switch (target.type) {
      case 'nats':
        return await NatsStreamQueue.open(target);
      case 'rabbitmq':
        return await RabbitQueue.open(target);
      case 'redis':
        return await RedisStreamQueue.open(target);
    }
  } catch (err) {
    throw new VigilError(
      'unavailable',
      `ledger: cannot open ${target.type} queue: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** Publishes the configured number of messages, drains them and checks the history. */
export async function runLedger(config: VerifyConfig, options: VerifyRunOptions = {}): Promise<LedgerReport> {
  const c = need(config.ledger, 'ledger');
  const clock = options.clock ?? systemClock;
  const started = clock.now();
  const queue = await openQueue(c.target);
  const streamName = c.target.type === 'rabbitmq' ? c.target.queue : c.target.stream;
  try {
    const recorder = new LedgerRecorder({
      queue,
      stream: streamName,
      clock,
      publishTimeoutMs: c.publishTimeout,
      messageBytes: c.messageBytes,
    });
    for (let i = 0; i < c.messages && !options.signal?.aborted; i++) await recorder.publish();
    await recorder.drain({ idleMs: c.idle, maxMs: c.maxDrain });
    const report = ledgerReport(c.target.type, recorder.check(), started, clock.now(), c.failOn);
    options.metrics?.ledgerFinished(report);
    return report;
  } finally {
    await queue.close().catch(() => undefined);
  }
}

export const verifierRuns = {
  watch: runWatch,
  index: runIndex,
  compare: runCompare,
  trash: runTrash,
  scrub: runScrub,
} as const;
