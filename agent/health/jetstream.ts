import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type Check, fail, pass, reasonOf } from './check.ts';
import { type ConsumerPosition, isUnhealthy, judgeProgress } from './consumer-progress.ts';

/**
 * A NATS JetStream consumer's health: its ack floor (the committed position) must move
 * when the stream's last sequence (the head) moves. Unhealthy when the consumer cannot be
 * read (deleted, no quorum, server down) or when it stalled between two runs.
 * The head is the stream's last sequence, so a consumer filtered to some subjects may be
 * reported behind while it only skips others' messages: use one stream per consumer
 * group for this check, or the JetStream advisory metrics.
 *
 * @example
 * jetstreamConsumerCheck({ name: 'orders-worker', servers: 'nats://127.0.0.1:4222', stream: 'ORDERS', consumer: 'worker' });
 */
export function jetstreamConsumerCheck(options: {
  name: string;
  servers: string;
  stream: string;
  consumer: string;
}): Check & {
  close(): Promise<void>;
} {
  let nc: NatsConnection | undefined;
  let previous: ConsumerPosition | undefined;
  return {
    name: options.name,
    async run(signal) {
      let current: ConsumerPosition | undefined;
      let why = '';
      try {
        nc ??= await connect({ servers: options.servers, timeout: 5000, maxReconnectAttempts: -1 });
        const jsm = await jetstreamManager(nc, { timeout: 5000 });
        const [si, ci] = await Promise.all([
          jsm.streams.info(options.stream),
          jsm.consumers.info(options.stream, options.consumer),
        ]);
        if (signal.aborted) throw new Error('timed out');
        current = { head: si.state.last_seq, acked: ci.ack_floor.stream_seq };
      } catch (err) {
        why = reasonOf(err);
        if (nc?.isClosed()) nc = undefined;
      }
      const verdict = judgeProgress(previous, current);
      const detail = current
        ? `${verdict}: head ${current.head}, ack floor ${current.acked}`
        : `unreadable: ${why}`;
      previous = current ?? previous;
      return isUnhealthy(verdict) ? fail(detail) : pass(detail);
    },
    async close() {
      await nc?.close().catch(() => undefined);
      nc = undefined;
    },
  };
}
