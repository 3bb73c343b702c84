/**
 * The queue ledger's checker, pure: what Jepsen checks for queues. Given every publish (with
 * whether the broker confirmed it) and every delivery, per stream, it reports
 * - lost: confirmed, never delivered;
 * - duplicated: delivered more than once;
 * - unexpected: delivered, never published;
 * - reordered: delivered after a message that was published later (first deliveries only).
 * A publish the broker never confirmed (timeout, connection lost, nack) is indeterminate: its
 * delivery is fine and its absence is not a loss; both are counted, neither is a violation.
 */

export type PublishOutcome = 'acked' | 'unconfirmed';

export type LedgerEvent =
  | { type: 'publish'; stream: string; id: string; outcome: PublishOutcome }
  | { type: 'deliver'; stream: string; id: string };

export interface StreamCheck {
  stream: string;
  acked: number;
  unconfirmed: number;
  deliveries: number;
  /** Distinct messages delivered at least once. */
  delivered: number;
  lost: string[];
  duplicated: { id: string; deliveries: number }[];
  unexpected: string[];
  reordered: string[];
  /** Indeterminate publishes that arrived anyway. */
  unconfirmedDelivered: number;
  /** Indeterminate publishes that never arrived: not a loss, the broker never promised them. */
  unconfirmedMissing: number;
}

export interface LedgerCheck {
  streams: StreamCheck[];
  /** True when no stream lost, duplicated, invented or reordered a message. */
  valid: boolean;
}

interface StreamState {
  order: Map<string, number>;
  outcome: Map<string, PublishOutcome>;
  deliveries: Map<string, number>;
  firstDeliveries: string[];
  unexpected: Set<string>;
  deliveriesTotal: number;
}

/**
 * Checks a history of publishes and deliveries. Publish order within a stream is the order of
 * the publish events; a publish recorded twice keeps its first position and its best outcome.
 *
 * @example
 * checkLedger([
 *   { type: 'publish', stream: 's', id: '1', outcome: 'acked' },
 *   { type: 'publish', stream: 's', id: '2', outcome: 'acked' },
 *   { type: 'deliver', stream: 's', id: '2' },
 * ]).streams[0].lost; // ['1']
 */
export function checkLedger(events: Iterable<LedgerEvent>): LedgerCheck {
  const streams = new Map<string, StreamState>();
  const stateOf = (name: string): StreamState => {
    let s = streams.get(name);
    if (!s) {
      s = {
        order: new Map(),
        outcome: new Map(),
        deliveries: new Map(),
        firstDeliveries: [],
        unexpected: new Set(),
        deliveriesTotal: 0,
      };
      streams.set(name, s);
    }
    return s;
  };
  for (const e of events) {
    const s = stateOf(e.stream);
    if (e.type === 'publish') {
      if (!s.order.has(e.id)) s.order.set(e.id, s.order.size);
      if (s.outcome.get(e.id) !== 'acked') s.outcome.set(e.id, e.outcome);
    } else {
      s.deliveriesTotal++;
      const n = (s.deliveries.get(e.id) ?? 0) + 1;
      s.deliveries.set(e.id, n);
      if (n === 1) s.firstDeliveries.push(e.id);
    }
  }
  const out: StreamCheck[] = [];
  for (const [stream, s] of [...streams].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    out.push(checkStream(stream, s));
  }
  return { streams: out, valid: out.every(isCleanStream) };
}

function checkStream(stream: string, s: StreamState): StreamCheck {
  let acked = 0;
  let unconfirmed = 0;
  let unconfirmedDelivered = 0;
  let unconfirmedMissing = 0;
  const lost: string[] = [];
  for (const [id, outcome] of s.outcome) {
    const delivered = s.deliveries.has(id);
    if (outcome === 'acked') {
      acked++;
      if (!delivered) lost.push(id);
    } else {
      unconfirmed++;
      if (delivered) unconfirmedDelivered++;
      else unconfirmedMissing++;
    }
  }
  const duplicated: { id: string; deliveries: number }[] = [];
  const unexpected: string[] = [];
  const reordered: string[] = [];
  let highest = -1;
  for (const id of s.firstDeliveries) {
    const position = s.order.get(id);
    if (position === undefined) {
      unexpected.push(id);
      continue;
    }
    if (position < highest) reordered.push(id);
    else highest = position;
  }
  for (const [id, n] of s.deliveries) if (n > 1) duplicated.push({ id, deliveries: n });
  return {
    stream,
    acked,
    unconfirmed,
    deliveries: s.deliveriesTotal,
    delivered: s.deliveries.size,
    lost,
    duplicated,
    unexpected,
    reordered,
    unconfirmedDelivered,
    unconfirmedMissing,
  };
}

/** True when a stream shows none of the four anomalies. */
export function isCleanStream(s: StreamCheck): boolean {
  return (
    s.lost.length === 0 && s.duplicated.length === 0 && s.unexpected.length === 0 && s.reordered.length === 0
  );
}
