import { type Clock, isVigilError } from '../../core/index.ts';
import type { Queue } from '../targets/index.ts';
import { sleepUnlessAborted } from './abortable-sleep.ts';
import type { Watcher } from './watcher.ts';
import { parseWriteEvent } from './write-event.ts';

/**
 * Feeds the watcher from a queue of write events (one JSON object per message, as for
 * `parseWriteEvent`). A batch is acknowledged to the queue only after the watcher has made its
 * read-backs durable, so a crash in between redelivers the events instead of losing them. A
 * message that is not a valid event is acknowledged too (redelivering it would loop forever)
 * but never silently: it is counted and handed to `onRejected`.
 */
export interface QueueFeedOptions {
  watcher: Watcher;
  queue: Queue;
  clock: Clock;
  signal: AbortSignal;
  batch?: number | undefined;
  /** How long one consume call may wait for messages. */
  waitMs?: number | undefined;
  onRejected?: ((messageId: string, reason: string) => void) | undefined;
}

export interface QueueFeedStats {
  learned: number;
  rejected: number;
}

/**
 * Consumes until the signal aborts.
 *
 * @example
 * await feedFromQueue({ watcher, queue: await RedisStreamQueue.open(...), clock: systemClock, signal });
 */
export async function feedFromQueue(options: QueueFeedOptions): Promise<QueueFeedStats> {
  const stats: QueueFeedStats = { learned: 0, rejected: 0 };
  const { queue, watcher, clock, signal } = options;
  let n = 0;
  while (!signal.aborted) {
    let messages: Awaited<ReturnType<Queue['consume']>>;
    try {
      messages = await queue.consume(options.batch ?? 100, options.waitMs ?? 1000);
    } catch {
      // The queue is away; ask again shortly (bounded by the signal).
      await sleepUnlessAborted(clock, 1000, signal);
      continue;
    }
    const events = [];
    for (const m of messages) {
      try {
        const event = parseWriteEvent(m.body.toString('utf8'), queue.kind, ++n);
        if (event) events.push(event);
      } catch (err) {
        if (!isVigilError(err)) throw err;
        stats.rejected++;
        options.onRejected?.(m.id, err.message);
      }
    }
    await watcher.learnAll(events);
    stats.learned += events.length;
    for (const m of messages) await m.ack();
  }
  return stats;
}
