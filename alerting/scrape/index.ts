/** alerting/scrape: Prometheus-compatible scraping into the embedded store. */
export {
  byteSizeSchema,
  defaultBodyLimitBytes,
  type GlobalConfig,
  globalSchema,
  resolveJobs,
  type ScrapeConfig,
  type ScrapeJob,
  scrapeConfigSchema,
} from './config.ts';
export { expandPattern, readFileSd } from './file-sd.ts';
export {
  type Appender,
  fetchLimited,
  ScrapeManager,
  type ScrapeManagerOptions,
  type SeriesAppender,
  type TargetStatus,
} from './manager.ts';
export {
  compileMetricRelabel,
  type ProcessOptions,
  type ProcessResult,
  processScrape,
  reportSeries,
  type ScrapeAppend,
} from './process.ts';
export { type CacheContext, type CachedLine, ScrapeCache, type ScrapedSeries } from './series-cache.ts';
export { buildTargets, type Target, type TargetGroup } from './targets.ts';
