import { randomUUID } from 'node:crypto';
import { type JetStreamClient, jetstream } from '@nats-io/jetstream';
import { type NatsConnection, headers as natsHeaders } from '@nats-io/transport-node';
import type { Registry } from 'prom-client';
import { Counter, Gauge } from 'prom-client';
import { z } from 'zod';
import { type Clock, systemClock, VigilError } from '../../core/index.ts';
import { Outbox } from './outbox.ts';

/** The JetStream stream holding every photos event, and the subjects it captures. */
export const photosStream = { name: 'PHOTOS', subjects: ['photos.>'] } as const;

const uploaded = z.object({
  type: z.literal('photo.uploaded'),
  user: z.string(),
  id: z.string(),
  key: z.string(),
  generation: z.number().int().nonnegative(),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  contentType: z.string(),
  at: z.string(),
});
const deleted = z.object({
  type: z.literal('photo.deleted'),
  user: z.string(),
  id: z.string(),
  key: z.string(),
  generation: z.number().int().nonnegative(),
  at: z.string(),
});
const userErased = z.object({
  type: z.literal('user.erased'),
  user: z.string(),
  erasedGeneration: z.number().int().nonnegative(),
  at: z.string(),
});

export const photoEventSchema = z.discriminatedUnion('type', [uploaded, deleted, userErased]);

/** What the photos service announces: an upload, a photo deletion, a user's erasure. */
export type PhotoEvent = z.infer<typeof photoEventSchema>;

/**
 * The subject of an event: `photos.uploaded.<user>`, `photos.deleted.<user>`,
 * `photos.user_erased.<user>`. Per-user subjects let a consumer filter one user.
 *
 * @example
 * subjectFor({ type: 'photo.uploaded', user: 'alice', ... }); // 'photos.uploaded.alice'
 */
export function subjectFor(event: PhotoEvent): string {
  const verb =
    event.type === 'photo.uploaded' ? 'uploaded' : event.type === 'photo.deleted' ? 'deleted' : 'user_erased';
  return `photos.${verb}.${event.user}`;
}

/**
 * Decodes a message body; a body that is not a photos event is VigilError('parse').
 *
 * @example
 * const event = decodeEvent(msg.data); // event.type === 'photo.uploaded' | ...
 */
export function decodeEvent(bytes: Uint8Array): PhotoEvent {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new VigilError('parse', `event is not JSON: ${(err as Error).message}`);
  }
  const result = photoEventSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new VigilError(
      'parse',
      `event ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return result.data;
}

/**
 * How the publisher gets trace context into message headers: instrument's queue.producerSpan
 * (starts a PRODUCER span and injects `traceparent` into the carrier it hands `fn`).
 */
export type ProducerSpan = <T>(
  queue: string,
  fn: (headers: Record<string, string>) => Promise<T>,
) => Promise<T>;

/** Where events go. `off` when the demo runs without a queue. */
export interface EventSink {
  readonly enabled: boolean;
  publish(event: PhotoEvent): void;
  close(): Promise<void>;
}

/** The sink of a demo without NATS: events are not produced at all, by configuration. */
export const noEvents: EventSink = { enabled: false, publish() {}, close: async () => {} };

// A publish that gets no ack within this time is retried from the outbox.
const publishTimeoutMs = 2_000;
// Pause after a failed publish before the next attempt: NATS outages last seconds, not ms.
const retryDelayMs = 1_000;

/**
 * Publishes events to JetStream through a bounded outbox, in order, retrying with the same
 * message id (JetStream drops the duplicate if an earlier attempt did land). Counts what it
 * published, what failed and what it dropped, on the service's registry.
 */
export class JetStreamPublisher implements EventSink {
  readonly enabled = true;
  private readonly js: JetStreamClient;
  private readonly outbox: Outbox<PhotoEvent>;
  private draining = false;
  private closed = false;
  private retryTimer: { cancel(): void } | undefined;
  private idle: Promise<void> = Promise.resolve();
  private readonly published: Counter;
  private readonly failures: Counter;
  private readonly dropped: Counter;

  constructor(
    nc: NatsConnection,
    private readonly producerSpan: ProducerSpan,
    registry: Registry,
    private readonly clock: Clock = systemClock,
    capacity?: number,
  ) {
    this.js = jetstream(nc);
    this.outbox = new Outbox(capacity);
    const registers = [registry];
    this.published = new Counter({
      name: 'demo_events_published_total',
      help: 'Photos events stored by JetStream.',
      registers,
    });
    this.failures = new Counter({
      name: 'demo_events_publish_failures_total',
      help: 'Publish attempts that failed (retried from the outbox).',
      registers,
    });
    this.dropped = new Counter({
      name: 'demo_events_dropped_total',
      help: 'Events dropped because the outbox was full (the oldest goes first).',
      registers,
    });
    const outbox = this.outbox;
    new Gauge({
      name: 'demo_events_outbox_size',
      help: 'Events waiting to be published.',
      registers,
      collect() {
        this.set(outbox.size);
      },
    });
  }

  /** Events waiting in the outbox. */
  get pending(): number {
    return this.outbox.size;
  }

  /** Queues an event (never blocks, never throws) and wakes the drain loop. */
  publish(event: PhotoEvent): void {
    if (this.closed) return;
    const subject = subjectFor(event);
    // The producer span covers handing the event to the outbox: the part inside the request.
    // The headers it hands over carry its context, so the worker's span joins the same trace.
    void this.producerSpan(photosStream.name, async (headers) => {
      const evicted = this.outbox.push({
        id: randomUUID(),
        subject,
        payload: event,
        headers: { ...headers },
      });
      if (evicted) this.dropped.inc();
      this.kick();
    }).catch(() => {});
  }

  /** Resolves once the outbox is empty or `timeoutMs` passed; returns what is left. */
  async flush(timeoutMs: number): Promise<number> {
    const deadline = this.clock.now() + timeoutMs;
    while (this.outbox.size > 0 && this.clock.now() < deadline) {
      this.kick();
      await this.clock.sleep(50);
    }
    return this.outbox.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.retryTimer?.cancel();
    await this.idle;
  }

  private kick(): void {
    if (this.draining || this.closed || this.retryTimer) return;
    this.draining = true;
    this.idle = this.drain().finally(() => {
      this.draining = false;
    });
  }

  private async drain(): Promise<void> {
    for (;;) {
      const entry = this.outbox.peek();
      if (!entry || this.closed) return;
      const h = natsHeaders();
      for (const [k, v] of Object.entries(entry.headers)) h.set(k, v);
      try {
        await this.js.publish(entry.subject, JSON.stringify(entry.payload), {
          msgID: entry.id,
          headers: h,
          timeout: publishTimeoutMs,
        });
        this.outbox.ack(entry.id);
        this.published.inc();
      } catch {
        this.outbox.fail(entry.id);
        this.failures.inc();
        this.retryTimer = this.clock.setTimeout(() => {
          this.retryTimer = undefined;
          this.kick();
        }, retryDelayMs);
        return;
      }
    }
  }
}
