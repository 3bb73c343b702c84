/**
 * The backlog rule for queues whose consumer position AMQP cannot show (see rabbitmq.ts).
 * Pure: the check reads ready messages and consumers and hands them here with the previous
 * reading.
 */

export interface QueueReading {
  ready: number;
  consumers: number;
}

export type QueueVerdict = 'unreadable' | 'no-consumer' | 'empty' | 'first-reading' | 'draining' | 'stalled';

/**
 * @example
 * judgeQueue({ ready: 5, consumers: 1 }, { ready: 9, consumers: 1 }); // 'stalled'
 */
export function judgeQueue(
  previous: QueueReading | undefined,
  current: QueueReading | undefined,
): QueueVerdict {
  if (!current) return 'unreadable';
  if (current.consumers === 0) return 'no-consumer';
  if (current.ready === 0) return 'empty';
  if (!previous || previous.ready === 0) return 'first-reading';
  return current.ready < previous.ready ? 'draining' : 'stalled';
}
