/**
 * Queue-consumer health in Cloudflare's manner ("unhealthy if the consumer's position
 * cannot be read, or if the committed/acked position has not moved since the last check
 * while the stream head has"). Pure: the checks of NATS JetStream and RabbitMQ read the two
 * positions and hand them here with the previous reading.
 */

export interface ConsumerPosition {
  /** Last message in the stream/queue (JetStream last_seq; messages published). */
  head: number;
  /** What the consumer has committed (JetStream ack floor; messages acked). */
  acked: number;
}

export type ProgressVerdict =
  | 'unreadable'
  | 'first-reading'
  | 'caught-up'
  | 'progressing'
  | 'idle'
  | 'stalled';

/** Verdicts that make the check fail. */
export function isUnhealthy(v: ProgressVerdict): boolean {
  return v === 'unreadable' || v === 'stalled';
}

/**
 * @example
 * judgeProgress({ head: 10, acked: 5 }, { head: 12, acked: 5 }); // 'stalled'
 */
export function judgeProgress(
  previous: ConsumerPosition | undefined,
  current: ConsumerPosition | undefined,
): ProgressVerdict {
  if (!current) return 'unreadable';
  if (current.acked >= current.head) return 'caught-up';
  if (!previous) return 'first-reading';
  if (current.acked > previous.acked) return 'progressing';
  if (current.head > previous.head) return 'stalled';
  // Behind, but nothing new arrived: no evidence either way until the head moves.
  return 'idle';
}
