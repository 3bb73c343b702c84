import { join } from 'node:path';
import { z } from 'zod';
import { type Clock, systemClock, VigilError } from '../../core/index.ts';
import type { Labels } from '../store/index.ts';
import type { NotifyConfig } from './config.ts';
import { Dispatcher } from './dispatcher.ts';
import { fingerprint } from './fingerprint.ts';
import { Inhibitor } from './inhibit.ts';
import { NotificationLog } from './nflog.ts';
import { buildRoute, type Route } from './route.ts';
import { Silences, silenceState } from './silences.ts';
import { readStateFile, writeStateFile } from './state-file.ts';
import { anyContains, type TimeInterval } from './time-intervals.ts';
import type { Notification, NotifyAlert } from './types.ts';

/**
 * The notifier as the server uses it. After each rule group evaluation it is given the
 * group's alerts (firing, and resolved ones still retained); it turns them into Alertmanager
 * alerts, resolves those that disappeared, and feeds the dispatcher, whose groups are muted at
 * notification time by time intervals, inhibition and silences, deduplicated against the
 * notification log, and handed to `deliver` (the durable outbox).
 */

/** An alert as the rule engine reports it; notify/ does not import rules/, so it is structural. */
export interface SourceAlert {
  labels: Labels;
  annotations: Labels;
  state: 'inactive' | 'pending' | 'firing';
  activeAt: number;
  /** When it turned firing; the alert's startsAt, as Prometheus sends it to Alertmanager. */
  firedAt?: number | undefined;
  resolvedAt: number | undefined;
  generatorURL?: string;
}

export type AlertStatusState = 'active' | 'suppressed';

/** An alert with its routing and muting, as GET /api/v2/alerts reports it. */
export interface AlertStatus {
  alert: NotifyAlert;
  receivers: string[];
  state: AlertStatusState;
  silencedBy: string[];
  inhibitedBy: string[];
  updatedAt: number;
}

export interface NotifierOptions {
  config: NotifyConfig;
  /** Where silences and the notification log are kept (DATA_DIR/notify/); memory only when undefined. */
  dataDir?: string | undefined;
  clock?: Clock;
  deliver: (n: Notification) => void | Promise<void>;
  sendResolved?: (receiver: string) => boolean;
  onDeliverError?: (n: Notification, err: unknown) => void;
}

const labelsSchema = z.record(z.string(), z.string());
const alertsFileSchema = z.object({
  version: z.literal(1),
  alerts: z.array(
    z.object({
      source: z.string(),
      alert: z.object({
        labels: labelsSchema,
        annotations: labelsSchema,
        startsAt: z.number(),
        generatorURL: z.string(),
      }),
    }),
  ),
});

/** How often expired silences are swept while alerts flow. */
const silenceGcEveryMs = 60_000;

interface Tracked {
  alert: NotifyAlert;
  source: string;
  updatedAt: number;
}

export class Notifier {
  readonly silences: Silences;
  readonly nflog: NotificationLog;
  readonly dispatcher: Dispatcher;
  readonly route: Route;
  /** The names of the configured receivers, in config order. */
  readonly receiverNames: string[];
  private readonly inhibitor: Inhibitor;
  private readonly intervals = new Map<string, TimeInterval[]>();
  private readonly clock: Clock;
  /** Firing alerts by fingerprint. */
  private readonly firing = new Map<string, Tracked>();
  private readonly bySource = new Map<string, Set<string>>();
  private lastGc = Number.NEGATIVE_INFINITY;
  /** The rule engine keeps an alert's labels object for the alert's life: hash it once. */
  private readonly fingerprints = new WeakMap<Labels, string>();
  /** DATA_DIR/notify/alerts.json: the firing alerts, so one that resolves while vigil is down is still resolved. */
  private readonly alertsFile: string | undefined;
  private dirty = false;

  /**
   * @example
   * const notifier = new Notifier({ config, dataDir: 'data', deliver: (n) => outbox.accept(n) });
   * notifier.update('rules.yml;disk', evaluator.alerts, now);
   */
  constructor(options: NotifierOptions) {
    this.clock = options.clock ?? systemClock;
    const { config } = options;
    for (const t of [...config.time_intervals, ...config.mute_time_intervals])
      this.intervals.set(t.name, t.time_intervals);
    this.route = buildRoute(config.route);
    this.receiverNames = config.receivers.map((r) => r.name);
    this.silences = new Silences({ dataDir: options.dataDir, clock: this.clock });
    this.nflog = new NotificationLog(options.dataDir);
    this.inhibitor = new Inhibitor(config.inhibit_rules);
    this.dispatcher = new Dispatcher({
      route: this.route,
      clock: this.clock,
      nflog: this.nflog,
      deliver: options.deliver,
      unmuted: (route, alerts, now) => this.unmuted(route, alerts, now),
      sendResolved: options.sendResolved,
      externalURL: config.external_url,
      onDeliverError: options.onDeliverError,
    });
    this.alertsFile =
      options.dataDir === undefined ? undefined : join(options.dataDir, 'notify', 'alerts.json');
    this.restore();
  }

  /**
   * Takes back the firing alerts of before a restart. They go to their groups again (the
   * notification log keeps them from being sent twice); the first update of their source
   * then resolves those that stopped firing meanwhile.
   */
  private restore(): void {
    if (!this.alertsFile) return;
    const data = readStateFile(this.alertsFile);
    if (data === undefined) return;
    const parsed = alertsFileSchema.safeParse(data);
    if (!parsed.success)
      throw new VigilError(
        'config',
        `${this.alertsFile}: not a vigil alerts file; move it away to start afresh`,
      );
    const now = this.clock.now();
    for (const { source, alert } of parsed.data.alerts) {
      const restored: NotifyAlert = { ...alert, endsAt: undefined, fingerprint: fingerprint(alert.labels) };
      this.firing.set(restored.fingerprint, { alert: restored, source, updatedAt: now });
      const set = this.bySource.get(source) ?? new Set<string>();
      set.add(restored.fingerprint);
      this.bySource.set(source, set);
      this.dispatcher.put(restored);
    }
    this.inhibitor.update([...this.firing.values()].map((t) => t.alert));
  }

  /**
   * Resolves the alerts of every source not in `sources`: after a start, rule groups that
   * no longer exist will never report their alerts gone.
   */
  retainSources(sources: Iterable<string>, now = this.clock.now()): void {
    const keep = new Set(sources);
    for (const source of [...this.bySource.keys()]) if (!keep.has(source)) this.update(source, [], now);
  }

  /**
   * Takes the current alerts of one source (a rule group): every firing alert and every
   * resolved one the rule still retains. A firing alert of that source missing from the list
   * (its rule was removed by a reload) is resolved now. Pending alerts are not notified.
   */
  update(source: string, alerts: Iterable<SourceAlert>, now = this.clock.now()): void {
    const seen = new Set<string>();
    const previous = this.bySource.get(source) ?? new Set<string>();
    for (const a of alerts) {
      if (a.state === 'pending') continue;
      let fp = this.fingerprints.get(a.labels);
      if (fp === undefined) {
        fp = fingerprint(a.labels);
        this.fingerprints.set(a.labels, fp);
      }
      if (a.state === 'firing') {
        seen.add(fp);
        const known = this.firing.get(fp);
        // Steady state, the common case: nothing to route again (a firing alert never leaves its groups).
        if (
          known &&
          known.source === source &&
          known.alert.generatorURL === (a.generatorURL ?? '') &&
          sameLabels(known.alert.annotations, a.annotations)
        )
          continue;
        const alert: NotifyAlert = {
          labels: a.labels,
          annotations: a.annotations,
          // Prometheus sends the firing time, so group_wait counts from when an alert fires,
          // not from when its `for` began. A known alert keeps its first start, as
          // Alertmanager's merge keeps the earlier one: a restart (which re-fires restored
          // alerts at the restart time) does not move it.
          startsAt: known?.alert.startsAt ?? a.firedAt ?? a.activeAt,
          endsAt: undefined,
          generatorURL: a.generatorURL ?? '',
          fingerprint: fp,
        };
        if (!known) this.dirty = true;
        this.firing.set(fp, { alert, source, updatedAt: known?.updatedAt ?? now });
        this.dispatcher.put(alert);
      } else if (this.firing.has(fp) && a.resolvedAt !== undefined) {
        this.resolve(fp, a.resolvedAt, a.annotations);
      }
    }
    for (const fp of previous)
      if (!seen.has(fp) && this.firing.get(fp)?.source === source) this.resolve(fp, now);
    this.bySource.set(source, seen);
    if (seen.size === 0) this.bySource.delete(source);
    this.inhibitor.update([...this.firing.values()].map((t) => t.alert));
    if (this.dirty) this.save();
    if (now - this.lastGc >= silenceGcEveryMs) {
      this.lastGc = now;
      this.silences.gc();
    }
  }

  private resolve(fp: string, at: number, annotations?: Labels): void {
    const tracked = this.firing.get(fp);
    if (!tracked) return;
    this.firing.delete(fp);
    this.dirty = true;
    const alert: NotifyAlert = {
      ...tracked.alert,
      annotations: annotations ?? tracked.alert.annotations,
      endsAt: at,
    };
    this.dispatcher.put(alert);
  }

  /** Failed writes of alerts.json (retried at the next update); a metric. */
  persistErrors = 0;

  /**
   * Written when the set of firing alerts changes, not on every evaluation. A failed write is
   * counted and retried at the next update: it must not stop rule evaluation, and what it
   * protects (a resolution after a restart) is only at risk until a write succeeds.
   */
  private save(): void {
    if (!this.alertsFile) {
      this.dirty = false;
      return;
    }
    const alerts = [...this.firing.values()].map(({ source, alert }) => ({
      source,
      alert: {
        labels: alert.labels,
        annotations: alert.annotations,
        startsAt: alert.startsAt,
        generatorURL: alert.generatorURL,
      },
    }));
    try {
      writeStateFile(this.alertsFile, { version: 1, alerts });
      this.dirty = false;
    } catch {
      this.persistErrors++;
    }
  }

  /** Time-interval, inhibition and silence muting for one route at `now`. */
  private unmuted(route: Route, alerts: NotifyAlert[], now: number): NotifyAlert[] {
    if (route.muteTimeIntervals.some((n) => anyContains(this.intervals.get(n) ?? [], now))) return [];
    if (
      route.activeTimeIntervals.length > 0 &&
      !route.activeTimeIntervals.some((n) => anyContains(this.intervals.get(n) ?? [], now))
    )
      return [];
    return alerts.filter(
      (a) => this.inhibitor.inhibitedBy(a).length === 0 && this.silences.mutes(a.labels, now).length === 0,
    );
  }

  /** The firing alerts with their receivers and muting, sorted by labels. */
  alerts(now = this.clock.now()): AlertStatus[] {
    const out: AlertStatus[] = [];
    for (const { alert, updatedAt } of this.firing.values()) {
      const silencedBy = this.silences.mutes(alert.labels, now);
      const inhibitedBy = this.inhibitor.inhibitedBy(alert);
      out.push({
        alert,
        receivers: this.dispatcher.receiversFor(alert.labels),
        state: silencedBy.length > 0 || inhibitedBy.length > 0 ? 'suppressed' : 'active',
        silencedBy,
        inhibitedBy,
        updatedAt,
      });
    }
    return out.sort((a, b) => (a.alert.fingerprint < b.alert.fingerprint ? -1 : 1));
  }

  /** The notifier's own metrics, exposition text ending with a newline. */
  metricsText(now = this.clock.now()): string {
    const statuses = this.alerts(now);
    const silences = { active: 0, pending: 0, expired: 0 };
    for (const s of this.silences.list()) silences[silenceState(s, now)]++;
    return `${[
      '# HELP vigil_notify_alerts Firing alerts the notifier holds, by state (active or suppressed by a silence or inhibition).',
      '# TYPE vigil_notify_alerts gauge',
      `vigil_notify_alerts{state="active"} ${statuses.filter((s) => s.state === 'active').length}`,
      `vigil_notify_alerts{state="suppressed"} ${statuses.filter((s) => s.state === 'suppressed').length}`,
      '# HELP vigil_notify_silences Silences by state.',
      '# TYPE vigil_notify_silences gauge',
      ...Object.entries(silences).map(([state, n]) => `vigil_notify_silences{state="${state}"} ${n}`),
      '# HELP vigil_notify_aggregation_groups Alert groups the dispatcher holds.',
      '# TYPE vigil_notify_aggregation_groups gauge',
      `vigil_notify_aggregation_groups ${this.dispatcher.list().length}`,
      '# HELP vigil_notify_notifications_accepted_total Notifications handed to delivery and accepted.',
      '# TYPE vigil_notify_notifications_accepted_total counter',
      `vigil_notify_notifications_accepted_total ${this.dispatcher.stats.notifications}`,
      '# HELP vigil_notify_state_write_errors_total Failed writes of the notifier state (alerts.json, nflog.json), retried.',
      '# TYPE vigil_notify_state_write_errors_total counter',
      `vigil_notify_state_write_errors_total ${this.persistErrors + this.nflog.writeErrors}`,
      '# HELP vigil_notify_flush_errors_total Group looks that failed unexpectedly; the group is looked at again next group_interval.',
      '# TYPE vigil_notify_flush_errors_total counter',
      `vigil_notify_flush_errors_total ${this.dispatcher.stats.flushErrors}`,
      '# HELP vigil_notify_deliver_errors_total Notifications delivery refused (outbox full or failing); the group retries at its next group_interval.',
      '# TYPE vigil_notify_deliver_errors_total counter',
      `vigil_notify_deliver_errors_total ${this.dispatcher.stats.deliverErrors}`,
    ].join('\n')}\n`;
  }

  /**
   * Writes what a Notifier opened later on the same data_dir restores (the notification log,
   * alerts.json; silences are written as they change), so that a config reload can hand over
   * to a new one. False when a write failed.
   */
  persist(): boolean {
    const errors = this.nflog.writeErrors + this.persistErrors;
    this.nflog.flush();
    if (this.dirty) this.save();
    return this.nflog.writeErrors + this.persistErrors === errors;
  }

  close(): void {
    this.dispatcher.stop();
    this.persist();
  }
}

function sameLabels(a: Labels, b: Labels): boolean {
  if (a === b) return true;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
}
