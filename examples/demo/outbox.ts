/**
 * Events waiting to be published. The photos service answers an upload once the blob is
 * stored, and the event goes out from here, so a slow or absent NATS never blocks uploads.
 * The outbox is bounded: when full, the oldest event is dropped and counted (STYLE.md 7),
 * which the queue ledger later reports as a gap rather than a silent loss.
 */
export interface OutboxEntry<T> {
  /** Unique id, also the JetStream Nats-Msg-Id so a retried publish is stored once. */
  id: string;
  subject: string;
  payload: T;
  /** Propagation headers (traceparent) captured when the event was produced. */
  headers: Record<string, string>;
  /** How many publish attempts failed so far. */
  attempts: number;
}

/** Default capacity: minutes of demo traffic at 20 req/s during a NATS outage. */
export const defaultOutboxCapacity = 10_000;

export class Outbox<T> {
  private readonly items: OutboxEntry<T>[] = [];
  /** Events dropped because the outbox was full. */
  dropped = 0;

  constructor(readonly capacity = defaultOutboxCapacity) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('Outbox: capacity must be >= 1');
  }

  get size(): number {
    return this.items.length;
  }

  /** Adds an entry; returns the entry dropped to make room, if any (oldest first). */
  push(entry: Omit<OutboxEntry<T>, 'attempts'>): OutboxEntry<T> | undefined {
    let evicted: OutboxEntry<T> | undefined;
    if (this.items.length >= this.capacity) {
      evicted = this.items.shift();
      this.dropped++;
    }
    this.items.push({ ...entry, attempts: 0 });
    return evicted;
  }

  /** The oldest entry, left in place until `ack` (publish order is kept). */
  peek(): OutboxEntry<T> | undefined {
    return this.items[0];
  }

  /** Removes the oldest entry once it is published. */
  ack(id: string): void {
    if (this.items[0]?.id === id) this.items.shift();
  }

  /** Notes a failed attempt on the oldest entry. */
  fail(id: string): void {
    const head = this.items[0];
    if (head?.id === id) head.attempts++;
  }
}
