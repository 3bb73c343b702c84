/**
 * alerting/notify: Alertmanager's notification model inside vigil. Routing, grouping,
 * inhibition, time intervals, silences and the notification log decide what to tell whom
 * (this folder); receivers/ and delivery/ decide how it gets there.
 */

// The push of alerts to real Alertmanagers (Prometheus' `alerting:` section).
export * as alertmanager from './alertmanager/index.ts';
export {
  defaultGroupIntervalMs,
  defaultGroupWaitMs,
  defaultRepeatIntervalMs,
  type InhibitRuleConfig,
  makeNotifyConfigSchema,
  type NotifyConfig,
  notifyConfigSchema,
  type RouteConfig,
} from './config.ts';
// The other half of the notifier (receivers and durable delivery), for the server's wiring.
export * as delivery from './delivery/index.ts';
export {
  type AggregationGroup,
  buildNotification,
  Dispatcher,
  type DispatcherOptions,
} from './dispatcher.ts';
export { fingerprint } from './fingerprint.ts';
export { Inhibitor } from './inhibit.ts';
export {
  formatMatcher,
  formatMatchers,
  type Matcher,
  type MatchType,
  matchesAll,
  parseMatcher,
  parseMatchers,
  quoteMatcherValue,
} from './matchers.ts';
export { type NflogEntry, NotificationLog, needsUpdate, nflogRetentionMs } from './nflog.ts';
export {
  type AlertStatus,
  type AlertStatusState,
  Notifier,
  type NotifierOptions,
  type SourceAlert,
} from './notifier.ts';
export * as receivers from './receivers/index.ts';
export {
  allRoutes,
  buildRoute,
  formatLabelSet,
  groupKeyOf,
  groupLabels,
  matchRoutes,
  type Route,
} from './route.ts';
export {
  fromMatcher,
  maxLiveSilences,
  type Silence,
  type SilenceInput,
  type SilenceMatcher,
  type SilenceState,
  Silences,
  type SilencesOptions,
  silenceRetentionMs,
  silenceState,
  toMatcher,
  validateSilence,
} from './silences.ts';
export {
  anyContains,
  intervalContains,
  localTime,
  namedTimeIntervalSchema,
  type Range,
  type TimeInterval,
  timeIntervalSchema,
} from './time-intervals.ts';
export {
  DeliveryError,
  type Notification,
  type NotificationStatus,
  type NotifyAlert,
  type Receiver,
} from './types.ts';
