import {
  type Clock,
  compileRelabel,
  escapeLabelValue,
  type Relabeler,
  systemClock,
} from '../../../core/index.ts';
import type { Labels } from '../../store/index.ts';
import { type AlertingConfig, alertmanagerURLs } from './config.ts';
import type { PushAlert } from './select.ts';

/**
 * Sends alerts to Alertmanagers the way Prometheus' notifier.Manager does: a bounded queue
 * (full: the oldest alerts are dropped and counted, since a newer copy of the same alert is
 * on its way every resend delay), batches of at most 64 alerts, each batch posted to every
 * configured Alertmanager at once (`POST /api/v2/alerts`) with a timeout. A failed post is
 * counted, not retried: the next resend carries the state again, and an HA Alertmanager
 * cluster deduplicates what it receives twice. External labels are added to every alert and
 * alert_relabel_configs applied, as in Prometheus.
 */

/** Prometheus' --alertmanager.notification-queue-capacity default. */
export const defaultQueueCapacity = 10_000;
/** Prometheus' maxBatchSize. */
export const maxBatchSize = 64;

export interface PusherOptions {
  clock?: Clock;
  externalLabels?: Labels;
  queueCapacity?: number;
  fetch?: typeof fetch;
  log?: (entry: Record<string, unknown>) => void;
}

interface Target {
  url: string;
  timeoutMs: number;
  sent: number;
  errors: number;
}

export class AlertmanagerPusher {
  private queue: PushAlert[] = [];
  private readonly targets: Target[];
  private readonly relabel: Relabeler;
  private readonly clock: Clock;
  private readonly capacity: number;
  private readonly log: (entry: Record<string, unknown>) => void;
  private draining: Promise<void> | undefined;
  private closed = false;
  private readonly controllers = new Set<AbortController>();
  dropped = 0;

  /**
   * @example
   * const pusher = new AlertmanagerPusher(config.alerting, { externalLabels: { cluster: 'eu-1' } });
   * pusher.push(selectAlerts(...));
   */
  constructor(
    config: AlertingConfig,
    private readonly options: PusherOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.capacity = options.queueCapacity ?? defaultQueueCapacity;
    this.relabel = compileRelabel(config.alert_relabel_configs);
    this.log = options.log ?? ((entry) => process.stderr.write(`${JSON.stringify(entry)}\n`));
    const timeouts = config.alertmanagers.flatMap((am) =>
      am.static_configs.flatMap((sc) => sc.targets.map(() => am.timeout)),
    );
    this.targets = alertmanagerURLs(config).map((url, i) => ({
      url,
      timeoutMs: timeouts[i]!,
      sent: 0,
      errors: 0,
    }));
  }

  /** Number of Alertmanagers alerts go to. */
  get alertmanagers(): number {
    return this.targets.length;
  }

  get queueLength(): number {
    return this.queue.length;
  }

  /** Queues alerts (external labels and relabeling applied) and starts sending them. */
  push(alerts: readonly PushAlert[]): void {
    if (this.closed || this.targets.length === 0 || alerts.length === 0) return;
    for (const a of alerts) {
      const labels: Record<string, string> = { ...a.labels };
      for (const [k, v] of Object.entries(this.options.externalLabels ?? {})) if (!labels[k]) labels[k] = v;
      const relabeled = this.relabel(labels);
      if (!relabeled || Object.keys(relabeled).length === 0) continue;
      this.queue.push({ ...a, labels: relabeled });
    }
    if (this.queue.length > this.capacity) {
      const over = this.queue.length - this.capacity;
      this.queue.splice(0, over);
      this.dropped += over;
      this.log({ level: 'warn', msg: 'alertmanager queue full, oldest alerts dropped', dropped: over });
    }
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
    });
  }

  /** Resolves when everything queued so far has been posted (or has failed). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      const batch = this.queue.splice(0, maxBatchSize);
      const body = JSON.stringify(
        batch.map((a) => ({
          labels: a.labels,
          annotations: a.annotations,
          startsAt: new Date(a.startsAt).toISOString(),
          endsAt: new Date(a.endsAt).toISOString(),
          generatorURL: a.generatorURL,
        })),
      );
      await Promise.all(this.targets.map((t) => this.post(t, body, batch.length)));
    }
  }

  private async post(target: Target, body: string, count: number): Promise<void> {
    const controller = new AbortController();
    this.controllers.add(controller);
    const timer = this.clock.setTimeout(() => controller.abort(), target.timeoutMs);
    try {
      const res = await (this.options.fetch ?? fetch)(target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'vigil' },
        body,
        signal: controller.signal,
      });
      await res.body?.cancel().catch(() => {});
      if (res.status < 200 || res.status >= 300) throw new Error(`HTTP ${res.status}`);
      target.sent += count;
    } catch (err) {
      target.errors += count;
      if (!this.closed)
        this.log({
          level: 'error',
          msg: 'error sending alerts to alertmanager',
          alertmanager: target.url,
          count,
          error: controller.signal.aborted ? `timed out after ${target.timeoutMs} ms` : describe(err),
        });
    } finally {
      timer.cancel();
      this.controllers.delete(controller);
    }
  }

  /** Exposition text with Prometheus' notifier metrics under vigil_ names. */
  metricsText(): string {
    const lines = [
      '# HELP vigil_alertmanager_notifications_total Alerts sent to each Alertmanager.',
      '# TYPE vigil_alertmanager_notifications_total counter',
      ...this.targets.map(
        (t) => `vigil_alertmanager_notifications_total{alertmanager="${escapeLabelValue(t.url)}"} ${t.sent}`,
      ),
      '# HELP vigil_alertmanager_notification_errors_total Alerts that could not be sent to each Alertmanager.',
      '# TYPE vigil_alertmanager_notification_errors_total counter',
      ...this.targets.map(
        (t) =>
          `vigil_alertmanager_notification_errors_total{alertmanager="${escapeLabelValue(t.url)}"} ${t.errors}`,
      ),
      '# HELP vigil_alertmanager_notifications_dropped_total Alerts dropped because the queue was full.',
      '# TYPE vigil_alertmanager_notifications_dropped_total counter',
      `vigil_alertmanager_notifications_dropped_total ${this.dropped}`,
      '# TYPE vigil_alertmanager_notification_queue_length gauge',
      `vigil_alertmanager_notification_queue_length ${this.queue.length}`,
      '# TYPE vigil_alertmanager_notification_queue_capacity gauge',
      `vigil_alertmanager_notification_queue_capacity ${this.capacity}`,
      '# TYPE vigil_alertmanagers_discovered gauge',
      `vigil_alertmanagers_discovered ${this.targets.length}`,
    ];
    return `${lines.join('\n')}\n`;
  }

  /**
   * Sends what is queued for up to `graceMs` of real time, then stops and aborts what is still
   * in flight. Real time on purpose: shutdown must end even under a test's manual clock.
   */
  async close(graceMs = 5_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([this.flush(), grace]);
    clearTimeout(timer);
    this.closed = true;
    for (const c of this.controllers) c.abort();
    await this.flush();
  }
}

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string } }).cause;
  return cause?.code ?? (err as Error).message ?? String(err);
}
