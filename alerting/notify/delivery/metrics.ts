import { escapeLabelValue } from '../../../core/index.ts';
import type { AckResult } from './outbox.ts';

/**
 * The delivery layer's metrics, as exposition text that the server's /metrics appends.
 * Series are per (receiver, integration kind), like Alertmanager's
 * alertmanager_notifications_total{integration}; two PagerDuty configs in one receiver add up.
 */

/** Seconds from acceptance to delivery: a page is fine at 1s, late at 1m, lost past an hour. */
export const latencyBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

interface Series {
  results: Map<AckResult, number>;
  retries: number;
  buckets: number[];
  latencyCount: number;
  latencySum: number;
}

export interface LaneView {
  receiver: string;
  kind: string;
  depth: number;
  breaker: number;
}

export class DeliveryMetrics {
  private readonly series = new Map<string, Series>();
  /** Notifications refused before reaching the outbox (full, unknown receiver, closed). */
  readonly dropped = new Map<string, number>();

  private get(receiver: string, kind: string): Series {
    const key = `${receiver}\u0000${kind}`;
    let s = this.series.get(key);
    if (!s) {
      s = {
        results: new Map(),
        retries: 0,
        buckets: latencyBuckets.map(() => 0),
        latencyCount: 0,
        latencySum: 0,
      };
      this.series.set(key, s);
    }
    return s;
  }

  count(receiver: string, kind: string, result: AckResult): void {
    const s = this.get(receiver, kind);
    s.results.set(result, (s.results.get(result) ?? 0) + 1);
  }

  retry(receiver: string, kind: string): void {
    this.get(receiver, kind).retries++;
  }

  latency(receiver: string, kind: string, seconds: number): void {
    const s = this.get(receiver, kind);
    latencyBuckets.forEach((le, i) => {
      if (seconds <= le) s.buckets[i]!++;
    });
    s.latencyCount++;
    s.latencySum += seconds;
  }

  drop(receiver: string): void {
    this.dropped.set(receiver, (this.dropped.get(receiver) ?? 0) + 1);
  }

  /** Total of one result over every receiver (tests and the replay log). */
  total(result: AckResult): number {
    let n = 0;
    for (const s of this.series.values()) n += s.results.get(result) ?? 0;
    return n;
  }

  /** Exposition text, one family after another, ending with a newline. */
  text(lanes: readonly LaneView[]): string {
    const out: string[] = [];
    const l = (receiver: string, kind: string) =>
      `receiver="${escapeLabelValue(receiver)}",integration="${escapeLabelValue(kind)}"`;
    const entries = [...this.series.entries()].map(([key, s]) => {
      const [receiver, kind] = key.split('\u0000') as [string, string];
      return { receiver, kind, s };
    });
    out.push(
      '# HELP vigil_notifications_total Notifications by outcome: delivered, failed (given up), superseded by a newer one of the same group, dropped.',
      '# TYPE vigil_notifications_total counter',
    );
    for (const { receiver, kind, s } of entries)
      for (const [result, n] of s.results)
        out.push(`vigil_notifications_total{${l(receiver, kind)},result="${result}"} ${n}`);
    out.push(
      '# HELP vigil_notification_retries_total Failed sends that were scheduled again.',
      '# TYPE vigil_notification_retries_total counter',
    );
    for (const { receiver, kind, s } of entries)
      out.push(`vigil_notification_retries_total{${l(receiver, kind)}} ${s.retries}`);
    out.push(
      '# HELP vigil_notification_latency_seconds From acceptance into the outbox to delivery.',
      '# TYPE vigil_notification_latency_seconds histogram',
    );
    for (const { receiver, kind, s } of entries) {
      for (let i = 0; i < latencyBuckets.length; i++)
        out.push(
          `vigil_notification_latency_seconds_bucket{${l(receiver, kind)},le="${latencyBuckets[i]}"} ${s.buckets[i]}`,
        );
      out.push(`vigil_notification_latency_seconds_bucket{${l(receiver, kind)},le="+Inf"} ${s.latencyCount}`);
      out.push(`vigil_notification_latency_seconds_sum{${l(receiver, kind)}} ${s.latencySum}`);
      out.push(`vigil_notification_latency_seconds_count{${l(receiver, kind)}} ${s.latencyCount}`);
    }
    const byLane = new Map<string, { receiver: string; kind: string; depth: number; breaker: number }>();
    for (const lane of lanes) {
      const key = `${lane.receiver}\u0000${lane.kind}`;
      const agg = byLane.get(key) ?? { receiver: lane.receiver, kind: lane.kind, depth: 0, breaker: 0 };
      agg.depth += lane.depth;
      agg.breaker = Math.max(agg.breaker, lane.breaker);
      byLane.set(key, agg);
    }
    out.push(
      '# HELP vigil_notification_queue_depth Notifications waiting for delivery (in the outbox).',
      '# TYPE vigil_notification_queue_depth gauge',
    );
    for (const a of byLane.values())
      out.push(`vigil_notification_queue_depth{${l(a.receiver, a.kind)}} ${a.depth}`);
    out.push(
      '# HELP vigil_notification_breaker_state Circuit breaker: 0 closed, 1 half-open, 2 open.',
      '# TYPE vigil_notification_breaker_state gauge',
    );
    for (const a of byLane.values())
      out.push(`vigil_notification_breaker_state{${l(a.receiver, a.kind)}} ${a.breaker}`);
    out.push(
      '# HELP vigil_notifications_dropped_total Notifications refused before the outbox: full, unknown receiver, shutting down.',
      '# TYPE vigil_notifications_dropped_total counter',
    );
    for (const [receiver, n] of this.dropped)
      out.push(`vigil_notifications_dropped_total{receiver="${escapeLabelValue(receiver)}"} ${n}`);
    return `${out.join('\n')}\n`;
  }
}
