/**
 * chaos/verify: durability verifiers. The watcher re-reads a sample of writes at fixed ages;
 * the index verifier checks that what an index lists exists (HEAD only); the cross-replica
 * verifier compares two stores; the trash inspector checks that deleted keys stay deleted; the
 * scrubber re-hashes everything, continuously and resumably; the queue ledger checks that every
 * acknowledged message is delivered. Pure cores (verdicts, schedule, ledger checks, reports,
 * rate limits) are separate from the shells that do I/O.
 */
export { sleepUnlessAborted } from './abortable-sleep.ts';
export { describeObservation, withRetries } from './attempt.ts';
export {
  compareKeys,
  type KeyWalker,
  type ListOptions,
  type VerifiableStore,
  verifiable,
} from './blob-store.ts';
export { isSha256Hex } from './checksum.ts';
export {
  byteSizeSchema,
  queueTargetSchema,
  type StoreConfig,
  storeSchema,
  type VerifyConfig,
  verifyConfigSchema,
} from './config.ts';
export {
  failingLines,
  runVerifyGate,
  summarizeReport,
  type VerifyGateResult,
  verifyGateJUnit,
} from './gate.ts';
export {
  fileRecords,
  type IndexEntry,
  listingEntries,
  manifestEntries,
  parseManifestLine,
  type SqlClient,
  sqlEntries,
} from './index-source.ts';
export { type IndexVerifyOptions, verifyIndex } from './index-verifier.ts';
export { Journal, type JournalRecord, type ReplayedState, replayJournal } from './journal.ts';
export { type DrainOptions, LedgerRecorder, type LedgerRecorderOptions, ledgerIdOf } from './ledger.ts';
export {
  checkLedger,
  isCleanStream,
  type LedgerCheck,
  type LedgerEvent,
  type PublishOutcome,
  type StreamCheck,
} from './ledger-check.ts';
export { VerifyMetrics } from './metrics.ts';
export { forEachBounded } from './pool.ts';
export { Pacer, TokenBucket } from './rate-limit.ts';
export { observeHead, observeRead, observeRecordedRead } from './read-check.ts';
export { type CompareOptions, compareReplicas, mergeListings } from './replica-verifier.ts';
export {
  defaultFailOn,
  defaultLedgerFailOn,
  defaultMaxViolations,
  gatePasses,
  isReportable,
  type LedgerAnomaly,
  type LedgerReport,
  ledgerReport,
  ReportBuilder,
  type VerifierName,
  type VerifyReport,
  type VerifyResult,
  type Violation,
  verifierNames,
} from './report.ts';
export {
  openQueue,
  openStore,
  runCompare,
  runIndex,
  runLedger,
  runScrub,
  runTrash,
  runWatch,
  type VerifyRunOptions,
  verifierRuns,
} from './run.ts';
export {
  defaultAgesMs,
  isSampled,
  type PendingCheck,
  PendingQueue,
  planChecks,
  type ScheduleConfig,
  type WriteEvent,
} from './schedule.ts';
export { loadCursor, Scrubber, type ScrubberOptions, type ScrubCursor } from './scrubber.ts';
export { inspectTrash, parseTombstone, type Tombstone, type TrashOptions } from './trash-inspector.ts';
export {
  classify,
  defaultRetryPolicy,
  type Expectation,
  isLossOrCorruption,
  isVerdict,
  isViolation,
  type Observation,
  type RetryPolicy,
  retryDecision,
  type Verdict,
  type ViolationClass,
  verdicts,
  violationClass,
} from './verdict.ts';
export { directoryWalker, type S3WalkerOptions, s3Walker } from './walkers.ts';
export { defaultMaxPending, Watcher, type WatcherOptions } from './watcher.ts';
export { feedFromQueue, type QueueFeedOptions, type QueueFeedStats } from './watcher-feed.ts';
export { parseWriteEvent } from './write-event.ts';
