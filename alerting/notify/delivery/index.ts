/** alerting/notify/delivery: the durable outbox and the loop that gets notifications to receivers. */
export {
  Breaker,
  type BreakerPolicy,
  type BreakerState,
  breakerStateValue,
  defaultBreakerPolicy,
  shouldTrip,
} from './breaker.ts';
export {
  type DeliveryOptions,
  DeliveryService,
  defaultConcurrency,
  defaultMaxAgeMs,
  defaultSendTimeoutMs,
  integrationIds,
} from './deliverer.ts';
export { DeliveryMetrics, latencyBuckets } from './metrics.ts';
export {
  type AckResult,
  defaultMaxPending,
  Outbox,
  type OutboxOptions,
  type OutboxReplayReport,
  type PendingEntry,
} from './outbox.ts';
export {
  type BackoffPolicy,
  backoffDelay,
  countsAgainstBreaker,
  defaultBackoff,
  isRetryable,
  retryDelay,
} from './retry.ts';
