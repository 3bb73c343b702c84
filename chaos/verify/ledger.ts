import { randomUUID } from 'node:crypto';
import { type Clock, VigilError } from '../../core/index.ts';
import type { Queue } from '../targets/index.ts';
import { checkLedger, type LedgerCheck, type LedgerEvent, type PublishOutcome } from './ledger-check.ts';

/**
 * The queue ledger's recorder: publishes numbered messages through any chaos queue target
 * (NATS JetStream, RabbitMQ with publisher confirms, Redis Streams), records whether each
 * publish was confirmed, consumes and records every delivery, and hands the history to the pure
 * checker. One recorder per stream; after a broker restart, `attach` a freshly opened queue.
 */

export interface LedgerRecorderOptions {
  queue: Queue;
  /** The stream's name in the report. */
  stream: string;
  clock: Clock;
  /** Tells this run's messages from leftovers of earlier runs. */
  runId?: string | undefined;
  /** A publish not confirmed within this long is recorded as unconfirmed (indeterminate). */
  publishTimeoutMs?: number | undefined;
  /** Padding to make messages this large (at least the header). */
  messageBytes?: number | undefined;
  /** Refuses to record more events than this instead of growing without bound. */
  maxEvents?: number | undefined;
}

export interface DrainOptions {
  /** Stop after this long without a delivery. */
  idleMs?: number | undefined;
  /** Stop after this long in any case. */
  maxMs?: number | undefined;
  batch?: number | undefined;
  /** Acknowledge deliveries (default). Without acks, the broker must deliver them again later. */
  ack?: boolean | undefined;
  /** Stop after this many deliveries (to consume only part of a stream). */
  limit?: number | undefined;
}

const headerPrefix = 'vigil-ledger/';
/** Ten million events is a long soak; past it, a run should be split rather than hold gigabytes. */
const defaultMaxEvents = 10_000_000;

/**
 * Reads the ledger id from a message body: `vigil-ledger/<run>/<n>` then padding. A body of
 * another run or not from the ledger yields a `foreign:` id, which the checker reports as
 * unexpected.
 *
 * @example
 * ledgerIdOf(Buffer.from('vigil-ledger/r1/7 ....'), 'r1', 'q:12'); // '7'
 */
export function ledgerIdOf(body: Uint8Array, runId: string, brokerId: string): string {
  const head = Buffer.from(body.subarray(0, 128)).toString('latin1');
  const m = /^vigil-ledger\/([^/\s]+)\/(\d+)(?:\s|$)/.exec(head);
  if (m && m[1] === runId) return m[2]!;
  return `foreign:${brokerId}`;
}

export class LedgerRecorder {
  readonly runId: string;
  private queue: Queue;
  private readonly events: LedgerEvent[] = [];
  private next = 0;
  private outstanding = new Set<string>();

  constructor(private readonly options: LedgerRecorderOptions) {
    this.queue = options.queue;
    this.runId = options.runId ?? randomUUID().slice(0, 8);
    if (!/^[^/\s]+$/.test(this.runId))
      throw new VigilError('usage', `ledger: runId "${this.runId}" must not contain / or spaces`);
  }

  /** Uses a newly opened queue (after a broker restart) from now on. */
  attach(queue: Queue): void {
    this.queue = queue;
  }

  get published(): number {
    return this.next;
  }

  private record(e: LedgerEvent): void {
    if (this.events.length >= (this.options.maxEvents ?? defaultMaxEvents)) {
      throw new VigilError(
        'limit',
        `ledger ${this.options.stream}: more than ${this.events.length} events; split the run`,
      );
    }
    this.events.push(e);
  }

  /**
   * Publishes the next numbered message and records `acked` when the broker confirmed it, or
   * `unconfirmed` when it failed or timed out (the message may still arrive).
   *
   * @example
   * const outcome = await recorder.publish(); // 'acked'
   */
  async publish(): Promise<PublishOutcome> {
    const id = String(this.next++);
    const header = `${headerPrefix}${this.runId}/${id} `;
    const size = Math.max(header.length, this.options.messageBytes ?? 0);
    const body = Buffer.alloc(size, 0x2e);
    body.write(header, 'latin1');
    const { clock } = this.options;
    let timer: { cancel(): void } | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = clock.setTimeout(
        () => reject(new Error('publish timeout')),
        this.options.publishTimeoutMs ?? 5000,
      );
    });
    let outcome: PublishOutcome;
    try {
      await Promise.race([this.queue.publish(body), timeout]);
      outcome = 'acked';
    } catch {
      outcome = 'unconfirmed';
    } finally {
      timer?.cancel();
    }
    this.record({ type: 'publish', stream: this.options.stream, id, outcome });
    this.outstanding.add(id);
    return outcome;
  }

  /** Publishes `count` messages one after another; returns how many were confirmed. */
  async publishMany(count: number): Promise<number> {
    let acked = 0;
    for (let i = 0; i < count; i++) if ((await this.publish()) === 'acked') acked++;
    return acked;
  }

  /**
   * Consumes and records deliveries until nothing has arrived for `idleMs`, `limit` deliveries
   * were seen, or `maxMs` passed. Returns the number of deliveries seen.
   */
  async drain(options: DrainOptions = {}): Promise<number> {
    const { clock } = this.options;
    const idleMs = options.idleMs ?? 2000;
    const started = clock.now();
    const deadline = started + (options.maxMs ?? 60_000);
    let lastDelivery = started;
    let seen = 0;
    while (clock.now() < deadline && clock.now() - lastDelivery < idleMs) {
      if (options.limit !== undefined && seen >= options.limit) break;
      const want = Math.min(
        options.batch ?? 100,
        options.limit !== undefined ? options.limit - seen : Number.POSITIVE_INFINITY,
      );
      let messages: Awaited<ReturnType<Queue['consume']>>;
      try {
        messages = await this.queue.consume(want, Math.min(500, idleMs));
      } catch {
        // The broker is away (restarting, paused): wait a little and ask again until idle or deadline.
        await clock.sleep(100);
        continue;
      }
      for (const m of messages) {
        const id = ledgerIdOf(m.body, this.runId, m.id);
        this.record({ type: 'deliver', stream: this.options.stream, id });
        this.outstanding.delete(id);
        seen++;
        if (options.ack ?? true) {
          // A failed ack means a later redelivery, which the checker counts as a duplicate.
          await m.ack().catch(() => undefined);
        }
      }
      if (messages.length > 0) lastDelivery = clock.now();
    }
    return seen;
  }

  /** The history so far, for the pure checker or a report. */
  history(): readonly LedgerEvent[] {
    return this.events;
  }

  check(): LedgerCheck {
    return checkLedger(this.events);
  }
}
