/** alerting/store: the embedded time-series store. */
export { Chunk, ChunkSlab, chunkCapacity } from './chunk.ts';
export {
  compileMatcherRegex,
  formatLabels,
  type Labels,
  labelsKey,
  type Matcher,
  type MatchType,
  metricNameLabel,
  newMatcher,
  withoutEmpty,
} from './labels.ts';
export {
  type AppendOutcome,
  defaultStoreLimits,
  flattenString,
  type InstantReader,
  type InstantSample,
  MemoryStore,
  type Queryable,
  type SeriesData,
  type StoreLimits,
  type StoreStats,
  type WindowReader,
} from './memory-store.ts';
export { PersistentStore, type PersistentStoreOptions, type ReplayReport } from './persistent-store.ts';
export { isStaleNaN, staleNaN } from './stale.ts';
export { decodeRecords, encodeSamples, encodeSeries, type WalRecord } from './wal.ts';
export { lowerBound, summarizeWindow, upperBound, WindowCursor, type WindowSummary } from './window.ts';
