import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from '../../core/index.ts';
import { type Labels, labelsKey } from '../store/index.ts';
import { type NotificationLog, needsUpdate } from './nflog.ts';
import { groupKeyOf, groupLabels, matchRoutes, type Route } from './route.ts';
import type { Notification, NotifyAlert } from './types.ts';

/**
 * Aggregation groups with Alertmanager's timing (dispatch/dispatch.go). An alert goes to
 * every route it matches and there into the group of its group_by labels. A new group waits
 * group_wait before its first notification, so that alerts firing together arrive together;
 * then it is looked at every group_interval, and notified when the notification log says
 * something changed (a new firing alert, newly resolved ones) or repeat_interval passed.
 * An alert that has waited group_wait already when its group is created is flushed at once.
 * Resolved alerts leave a group once a notification that carried them was accepted; an empty
 * group is dropped.
 */

export interface DispatcherOptions {
  route: Route;
  clock: Clock;
  nflog: NotificationLog;
  /**
   * Takes a notification for delivery (the durable outbox). Resolving means accepted; a
   * throw leaves the group to try again at its next group_interval.
   */
  deliver: (n: Notification) => void | Promise<void>;
  /** The alerts of a group that are not muted (time intervals, inhibition, silences) now. */
  unmuted: (route: Route, alerts: NotifyAlert[], now: number) => NotifyAlert[];
  /** Whether a receiver wants resolved notifications (Alertmanager's send_resolved); true by default. */
  sendResolved?: (receiver: string) => boolean;
  externalURL?: string;
  /** Called when deliver throws; the group retries later. */
  onDeliverError?: (n: Notification, err: unknown) => void;
  newId?: () => string;
}

export interface AggregationGroup {
  readonly route: Route;
  readonly key: string;
  readonly labels: Labels;
  readonly alerts: Map<string, NotifyAlert>;
  hasFlushed: boolean;
  timer: TimerHandle | undefined;
  flushing: boolean;
}

export class Dispatcher {
  private readonly groups = new Map<string, AggregationGroup>();
  private stopped = false;
  /** Notifications accepted by deliver, and deliver failures, since start. */
  readonly stats = { notifications: 0, deliverErrors: 0, flushErrors: 0 };

  constructor(private readonly options: DispatcherOptions) {}

  /**
   * Routes an alert (new, updated or resolved) into its groups.
   *
   * @example
   * dispatcher.put({ labels, annotations: {}, startsAt: now, endsAt: undefined, generatorURL: '', fingerprint });
   */
  put(alert: NotifyAlert): void {
    if (this.stopped) return;
    for (const route of matchRoutes(this.options.route, alert.labels)) {
      const labels = groupLabels(route, alert.labels);
      const id = JSON.stringify([route.id, labelsKey(labels)]);
      let group = this.groups.get(id);
      if (!group) {
        group = {
          route,
          key: groupKeyOf(route, labels),
          labels,
          alerts: new Map(),
          hasFlushed: false,
          timer: undefined,
          flushing: false,
        };
        this.groups.set(id, group);
        this.schedule(id, group, route.groupWaitMs);
      }
      group.alerts.set(alert.fingerprint, alert);
      // An alert that has already waited group_wait needs no more waiting (Alertmanager's insert).
      if (!group.hasFlushed && alert.startsAt + route.groupWaitMs < this.options.clock.now())
        this.schedule(id, group, 0);
    }
  }

  /** The receivers an alert with these labels is routed to. */
  receiversFor(labels: Labels): string[] {
    return [...new Set(matchRoutes(this.options.route, labels).map((r) => r.receiver))];
  }

  /** The current groups (for the API and tests). */
  list(): AggregationGroup[] {
    return [...this.groups.values()];
  }

  stop(): void {
    this.stopped = true;
    for (const g of this.groups.values()) g.timer?.cancel();
    this.groups.clear();
  }

  private schedule(id: string, group: AggregationGroup, ms: number): void {
    group.timer?.cancel();
    group.timer = this.options.clock.setTimeout(() => void this.tick(id, group), ms);
  }

  private async tick(id: string, group: AggregationGroup): Promise<void> {
    if (this.stopped || this.groups.get(id) !== group) return;
    this.schedule(id, group, group.route.groupIntervalMs);
    group.hasFlushed = true;
    // A delivery slower than group_interval must not run twice at once for one group.
    if (group.flushing) return;
    group.flushing = true;
    try {
      await this.flush(group);
    } catch {
      // A bug in a muting or delivery callback: the group keeps its alerts and is looked at
      // again next interval. Counted, never thrown into a timer.
      this.stats.flushErrors++;
    } finally {
      group.flushing = false;
    }
    if (group.alerts.size === 0 && this.groups.get(id) === group) {
      group.timer?.cancel();
      this.groups.delete(id);
    }
  }

  private async flush(group: AggregationGroup): Promise<void> {
    const now = this.options.clock.now();
    const snapshot = [...group.alerts.values()];
    if (snapshot.length === 0) return;
    const ok = await this.notify(group, snapshot, now);
    if (!ok) return;
    // Only if it was not updated while the notification was on its way.
    for (const a of snapshot)
      if (a.endsAt !== undefined && group.alerts.get(a.fingerprint) === a) group.alerts.delete(a.fingerprint);
  }

  /** The notification pipeline for one group: mute, dedup against the log, deliver, log. */
  private async notify(group: AggregationGroup, snapshot: NotifyAlert[], now: number): Promise<boolean> {
    const { route } = group;
    let alerts = this.options.unmuted(route, snapshot, now);
    if (alerts.length === 0) return true;
    const sendResolved = this.options.sendResolved?.(route.receiver) ?? true;
    const firing = new Set<string>();
    const resolved = new Set<string>();
    for (const a of alerts) (a.endsAt === undefined ? firing : resolved).add(a.fingerprint);
    const entry = this.options.nflog.query(group.key, route.receiver);
    if (!needsUpdate(entry, firing, resolved, sendResolved, now, route.repeatIntervalMs)) return true;
    if (!sendResolved) alerts = alerts.filter((a) => a.endsAt === undefined);
    if (alerts.length === 0) {
      // Everything resolved and the receiver does not want to hear it: the log still has to
      // forget the firing alerts, or the next one to fire would look old.
      this.options.nflog.log(group.key, route.receiver, [], [...resolved], now);
      return true;
    }
    const notification = buildNotification(
      this.options.newId?.() ?? randomUUID(),
      route.receiver,
      group,
      alerts,
      this.options.externalURL ?? '',
      now,
    );
    try {
      await this.options.deliver(notification);
    } catch (err) {
      this.stats.deliverErrors++;
      this.options.onDeliverError?.(notification, err);
      return false;
    }
    this.stats.notifications++;
    this.options.nflog.log(group.key, route.receiver, [...firing], [...resolved], now);
    return true;
  }
}

/** Alertmanager sorts a notification's alerts by job, then instance, then all labels. */
function compareAlerts(a: NotifyAlert, b: NotifyAlert): number {
  for (const k of ['job', 'instance']) {
    const x = a.labels[k];
    const y = b.labels[k];
    if (x !== y) {
      if (x === undefined) return 1;
      if (y === undefined) return -1;
      return x < y ? -1 : 1;
    }
  }
  const ka = labelsKey(a.labels);
  const kb = labelsKey(b.labels);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function common(maps: Labels[]): Labels {
  if (maps.length === 0) return {};
  const out: Record<string, string> = { ...maps[0] };
  for (const m of maps.slice(1)) for (const k of Object.keys(out)) if (m[k] !== out[k]) delete out[k];
  return out;
}

/** One Notification of a group to its route's receiver. */
export function buildNotification(
  id: string,
  receiver: string,
  group: Pick<AggregationGroup, 'key' | 'labels'>,
  alerts: NotifyAlert[],
  externalURL: string,
  now: number,
): Notification {
  const sorted = [...alerts].sort(compareAlerts);
  return {
    id,
    receiver,
    groupKey: group.key,
    groupLabels: group.labels,
    commonLabels: common(sorted.map((a) => a.labels)),
    commonAnnotations: common(sorted.map((a) => a.annotations)),
    status: sorted.some((a) => a.endsAt === undefined) ? 'firing' : 'resolved',
    alerts: sorted,
    externalURL,
    createdAt: now,
  };
}
