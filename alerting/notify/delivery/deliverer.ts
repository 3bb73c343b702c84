import { join } from 'node:path';
import {
  type Clock,
  type RandomSource,
  seededRandom,
  systemClock,
  type TimerHandle,
  toVigilError,
  VigilError,
} from '../../../core/index.ts';
import { DeliveryError, type Notification, type Receiver } from '../types.ts';
import { Breaker, type BreakerPolicy, breakerStateValue, defaultBreakerPolicy } from './breaker.ts';
import { DeliveryMetrics, type LaneView } from './metrics.ts';
import { type AckResult, Outbox, type OutboxReplayReport, type PendingEntry } from './outbox.ts';
import {
  type BackoffPolicy,
  countsAgainstBreaker,
  defaultBackoff,
  isRetryable,
  retryDelay,
} from './retry.ts';

/**
 * The delivery loop: a notification is accepted into the durable outbox, then each of its
 * receiver's integrations gets it through its own lane: bounded concurrency, a timeout per
 * send, retries with backoff and jitter, a circuit breaker, and strict order per alert group
 * (a group's next notification waits until the previous one is delivered or given up, so a
 * resolve never overtakes its trigger). A queued notification that a newer one of the same
 * group reaches before it was sent is superseded: the newer one carries the group's whole
 * current state, as Alertmanager sends a group's state, not its history. Past `maxAgeMs` a
 * notification is given up and counted as failed.
 */

export interface DeliveryOptions {
  /** vigil's data directory; the outbox lives in DATA_DIR/notify/outbox. */
  dataDir: string;
  /** Integrations by receiver name (receivers' buildReceivers for each `receivers:` entry). */
  receivers: ReadonlyMap<string, readonly Receiver[]>;
  clock?: Clock;
  random?: RandomSource;
  /** Per-send deadline (ms) unless the receiver's config sets its own. */
  sendTimeoutMs?: number;
  timeoutOf?: (receiver: Receiver) => number | undefined;
  /** A notification not delivered this long after acceptance is given up (counted as failed). */
  maxAgeMs?: number;
  /** Sends in flight per integration at most. */
  concurrency?: number;
  backoff?: BackoffPolicy;
  breaker?: BreakerPolicy;
  /** Pending notifications the outbox keeps at most. */
  maxPending?: number;
  /** Structured log lines; JSON on stderr by default. Never given secrets or payloads. */
  log?: (entry: Record<string, unknown>) => void;
}

/** Alertmanager's receivers answer in well under a second; 10s is its webhook default too. */
export const defaultSendTimeoutMs = 10_000;
/**
 * Alertmanager's default repeat_interval: by then the dispatcher sends the group's state
 * again if it still fires, so an older copy is no longer worth a page.
 */
export const defaultMaxAgeMs = 4 * 3_600_000;
/** A handful in parallel per integration: a backlog drains fast without a thundering herd. */
export const defaultConcurrency = 4;

interface Item {
  entry: PendingEntry;
  integration: string;
  attempts: number;
  nextAt: number;
  inFlight: boolean;
}

interface Lane {
  key: string;
  receiver: Receiver;
  integration: string;
  breaker: Breaker;
  items: Item[];
  inFlight: number;
  timer: TimerHandle | undefined;
  timerAt: number;
  controllers: Set<AbortController>;
  /** The integration left the config; it finishes what is in flight and sends nothing more. */
  removed: boolean;
}

/** `pagerduty[0]`, `webhook[1]`: the integration ids of a receiver's list, as Alertmanager names them. */
export function integrationIds(receivers: readonly Receiver[]): string[] {
  const seen = new Map<string, number>();
  return receivers.map((r) => {
    const i = seen.get(r.kind) ?? 0;
    seen.set(r.kind, i + 1);
    return `${r.kind}[${i}]`;
  });
}

export class DeliveryService {
  readonly replay: OutboxReplayReport;
  readonly metrics = new DeliveryMetrics();
  private readonly outbox: Outbox;
  private readonly lanes = new Map<string, Lane>();
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly log: (entry: Record<string, unknown>) => void;
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;
  private closed = false;

  private constructor(private options: DeliveryOptions) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? seededRandom(Date.now());
    this.log = options.log ?? ((entry) => process.stderr.write(`${JSON.stringify(entry)}\n`));
    const { outbox, report } = Outbox.open(join(options.dataDir, 'notify', 'outbox'), {
      maxPending: options.maxPending,
    });
    this.outbox = outbox;
    this.replay = report;
    if (report.pendingNotifications > 0 || report.discardedBytes > 0 || report.corruptRecords > 0)
      this.log({ level: 'info', msg: 'notification outbox replayed', ...report });
    this.setReceivers(options.receivers);
    for (const entry of outbox.pending()) for (const id of entry.to) this.addItem(entry, id);
  }

  /**
   * Opens the outbox (replaying what was pending) without sending anything until `start`.
   *
   * @example
   * const delivery = DeliveryService.open({ dataDir, receivers: new Map([['ops', buildReceivers(entry)]]) });
   * delivery.start();
   * delivery.deliver(notification);
   */
  static open(options: DeliveryOptions): DeliveryService {
    return new DeliveryService(options);
  }

  /** Swaps the receivers (config reload); lanes of unchanged integration ids keep their queues. */
  setReceivers(receivers: ReadonlyMap<string, readonly Receiver[]>): void {
    const keep = new Set<string>();
    for (const [name, list] of receivers) {
      const ids = integrationIds(list);
      list.forEach((receiver, i) => {
        const key = `${name}/${ids[i]}`;
        keep.add(key);
        const lane = this.lanes.get(key);
        if (lane) lane.receiver = receiver;
        else
          this.lanes.set(key, {
            key,
            receiver,
            integration: ids[i]!,
            breaker: new Breaker(this.options.breaker ?? defaultBreakerPolicy),
            items: [],
            inFlight: 0,
            timer: undefined,
            timerAt: Number.POSITIVE_INFINITY,
            controllers: new Set(),
            removed: false,
          });
      });
    }
    for (const [key, lane] of this.lanes) {
      if (keep.has(key)) continue;
      // The integration left the config: what it still had is reported, not silently kept forever.
      lane.removed = true;
      lane.timer?.cancel();
      this.dropRemoved(lane);
    }
    this.options = { ...this.options, receivers };
    if (this.running) this.pumpAll();
  }

  /** Starts sending: what the outbox replayed first, then whatever `deliver` accepts. */
  start(): void {
    if (this.closed) return;
    this.running = true;
    this.pumpAll();
  }

  /**
   * Accepts a notification: durable in the outbox when this returns. One that cannot be
   * accepted (unknown receiver, outbox full, disk error, shutting down) is logged, counted in
   * vigil_notifications_dropped_total and thrown as a VigilError, so the dispatcher keeps the
   * group's state and tries again at its next group_interval: refused, never silently lost.
   */
  deliver(n: Notification): void {
    const list = this.options.receivers.get(n.receiver);
    let error: VigilError | undefined;
    if (this.closed) error = new VigilError('unavailable', 'notification refused: delivery is closed');
    else if (!list)
      error = new VigilError('not_found', `notification for unknown receiver "${n.receiver}" refused`, {
        details: { receiver: n.receiver },
      });
    let entry: PendingEntry | undefined;
    if (!error && list) {
      try {
        entry = this.outbox.enqueue(n, integrationIds(list), this.clock.now());
      } catch (err) {
        error = toVigilError(err);
      }
    }
    if (error || !entry) {
      this.metrics.drop(n.receiver);
      this.log({
        level: 'error',
        msg: 'notification refused',
        receiver: n.receiver,
        groupKey: n.groupKey,
        error: error?.message,
      });
      throw error ?? new VigilError('internal', 'notification refused');
    }
    for (const id of entry.to) this.addItem(entry, id);
  }

  /** Notifications waiting (in flight or queued) over every integration. */
  queueDepth(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.items.length;
    return n;
  }

  /** State of every integration, for metrics, the API and tests. */
  lanesView(): (LaneView & { integration: string; breakerState: string })[] {
    const now = this.clock.now();
    return [...this.lanes.values()].map((lane) => ({
      receiver: lane.receiver.name,
      kind: lane.receiver.kind,
      integration: lane.integration,
      depth: lane.items.length,
      breaker: breakerStateValue[lane.breaker.state(now)],
      breakerState: lane.breaker.state(now),
    }));
  }

  /** Exposition text for /metrics. */
  metricsText(): string {
    return this.metrics.text(this.lanesView());
  }

  /**
   * Stops sending: timers cancelled, sends in flight aborted (they stay pending in the outbox
   * and go out after the next start), the outbox closed.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.running = false;
    for (const lane of this.lanes.values()) {
      lane.timer?.cancel();
      for (const c of lane.controllers) c.abort();
    }
    await Promise.allSettled([...this.inFlight]);
    this.outbox.close();
  }

  private addItem(entry: PendingEntry, integration: string): void {
    const key = `${entry.notification.receiver}/${integration}`;
    const lane = this.lanes.get(key);
    if (!lane) {
      // Replayed for an integration the config no longer has.
      this.outbox.ack(entry.notification.id, integration, 'dropped');
      this.metrics.count(entry.notification.receiver, integration.replace(/\[\d+\]$/, ''), 'dropped');
      this.log({
        level: 'warn',
        msg: 'pending notification dropped: its integration is no longer configured',
        receiver: entry.notification.receiver,
        integration,
        groupKey: entry.notification.groupKey,
      });
      return;
    }
    const group = entry.notification.groupKey;
    for (const older of lane.items.filter((i) => !i.inFlight && i.entry.notification.groupKey === group))
      this.finish(lane, older, 'superseded');
    lane.items.push({ entry, integration, attempts: 0, nextAt: 0, inFlight: false });
    if (this.running) this.pump(lane);
  }

  private pumpAll(): void {
    for (const lane of this.lanes.values()) this.pump(lane);
  }

  private dropRemoved(lane: Lane): void {
    for (const item of [...lane.items]) if (!item.inFlight) this.finish(lane, item, 'dropped');
    if (lane.items.length === 0) this.lanes.delete(lane.key);
  }

  private pump(lane: Lane): void {
    if (lane.removed) {
      this.dropRemoved(lane);
      return;
    }
    if (!this.running) return;
    const now = this.clock.now();
    const maxAge = this.options.maxAgeMs ?? defaultMaxAgeMs;
    const concurrency = this.options.concurrency ?? defaultConcurrency;
    for (const item of [...lane.items]) {
      if (!item.inFlight && now - item.entry.acceptedAt >= maxAge) {
        this.log({
          level: 'error',
          msg: 'notification given up after max age',
          receiver: lane.receiver.name,
          integration: lane.integration,
          groupKey: item.entry.notification.groupKey,
          attempts: item.attempts,
        });
        this.finish(lane, item, 'failed');
      }
    }
    let wakeAt = Number.POSITIVE_INFINITY;
    const groups = new Set<string>();
    for (const item of lane.items) {
      const group = item.entry.notification.groupKey;
      // Only the oldest notification of a group may be on its way: order per group.
      if (groups.has(group)) continue;
      groups.add(group);
      if (item.inFlight) continue;
      wakeAt = Math.min(wakeAt, item.entry.acceptedAt + maxAge);
      if (lane.inFlight >= concurrency) continue;
      if (item.nextAt > now) {
        wakeAt = Math.min(wakeAt, item.nextAt);
        continue;
      }
      if (!lane.breaker.allows(now)) {
        wakeAt = Math.min(wakeAt, lane.breaker.reopensAt() ?? Number.POSITIVE_INFINITY);
        continue;
      }
      this.send(lane, item);
    }
    if (wakeAt < lane.timerAt) {
      lane.timer?.cancel();
      lane.timerAt = wakeAt;
      lane.timer = this.clock.setTimeout(
        () => {
          lane.timer = undefined;
          lane.timerAt = Number.POSITIVE_INFINITY;
          this.pump(lane);
        },
        Math.max(0, wakeAt - now),
      );
    }
  }

  private send(lane: Lane, item: Item): void {
    const now = this.clock.now();
    item.inFlight = true;
    lane.inFlight++;
    lane.breaker.onSend(now);
    const controller = new AbortController();
    lane.controllers.add(controller);
    const timeoutMs =
      this.options.timeoutOf?.(lane.receiver) ?? this.options.sendTimeoutMs ?? defaultSendTimeoutMs;
    // The race frees the lane at the deadline even if a receiver ignores its AbortSignal.
    let expire: () => void = () => {};
    const expired = new Promise<never>((_, reject) => {
      expire = () => reject(new TimeoutAbort(timeoutMs));
    });
    const timer = this.clock.setTimeout(() => {
      controller.abort();
      expire();
    }, timeoutMs);
    const n = item.entry.notification;
    // Promise.resolve().then: a receiver that throws synchronously fails this send, not the loop.
    const sending = Promise.resolve().then(() => lane.receiver.send(n, controller.signal));
    const done = Promise.race([sending, expired])
      .then(
        () => this.onDelivered(lane, item),
        (err: unknown) =>
          this.onFailed(lane, item, err instanceof TimeoutAbort ? err.asDeliveryError(lane) : err),
      )
      .finally(() => {
        timer.cancel();
        lane.controllers.delete(controller);
        item.inFlight = false;
        lane.inFlight--;
        this.inFlight.delete(done);
        this.pump(lane);
      });
    this.inFlight.add(done);
  }

  private onDelivered(lane: Lane, item: Item): void {
    lane.breaker.onSuccess();
    // Even while closing: the receiver has it, and close() waits for this before closing the outbox.
    this.metrics.latency(
      lane.receiver.name,
      lane.receiver.kind,
      (this.clock.now() - item.entry.acceptedAt) / 1000,
    );
    this.finish(lane, item, 'delivered');
  }

  private onFailed(lane: Lane, item: Item, err: unknown): void {
    // Aborted by close: the notification stays pending in the outbox for the next start.
    if (this.closed) return;
    const now = this.clock.now();
    const message = err instanceof Error ? err.message : String(err);
    if (!isRetryable(err)) {
      lane.breaker.onNeutral();
      this.log({
        level: 'error',
        msg: 'notification refused by receiver, not retried',
        receiver: lane.receiver.name,
        integration: lane.integration,
        groupKey: item.entry.notification.groupKey,
        error: message,
      });
      this.finish(lane, item, 'failed');
      return;
    }
    if (countsAgainstBreaker(err)) lane.breaker.onFailure(now);
    else lane.breaker.onNeutral();
    const delay = retryDelay(item.attempts, err, this.random, this.options.backoff ?? defaultBackoff);
    item.attempts++;
    item.nextAt = now + delay;
    this.metrics.retry(lane.receiver.name, lane.receiver.kind);
    this.log({
      level: 'warn',
      msg: 'notification send failed, will retry',
      receiver: lane.receiver.name,
      integration: lane.integration,
      groupKey: item.entry.notification.groupKey,
      attempt: item.attempts,
      retryInMs: delay,
      breaker: lane.breaker.state(now),
      error: message,
    });
  }

  private finish(lane: Lane, item: Item, result: AckResult): void {
    const i = lane.items.indexOf(item);
    if (i >= 0) lane.items.splice(i, 1);
    this.outbox.ack(item.entry.notification.id, item.integration, result);
    this.metrics.count(lane.receiver.name, lane.receiver.kind, result);
  }
}

class TimeoutAbort extends Error {
  constructor(readonly ms: number) {
    super(`timed out after ${ms} ms`);
  }

  asDeliveryError(lane: Lane): DeliveryError {
    return new DeliveryError(
      `${lane.receiver.kind} receiver "${lane.receiver.name}": timed out after ${this.ms} ms`,
      true,
    );
  }
}
