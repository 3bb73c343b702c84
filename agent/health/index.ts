import { httpCheck } from './http.ts';
import { jetstreamConsumerCheck } from './jetstream.ts';
import { postgresCheck } from './postgres.ts';
import { rabbitmqQueueCheck } from './rabbitmq.ts';
import { redisCheck } from './redis.ts';
import { tcpCheck } from './tcp.ts';

export { type Check, type CheckResult, fail, pass } from './check.ts';
export {
  type ConsumerPosition,
  isUnhealthy,
  judgeProgress,
  type ProgressVerdict,
} from './consumer-progress.ts';
export { type CheckStatus, HealthMonitor, type MonitoredCheck } from './monitor.ts';
export { judgeQueue, type QueueReading, type QueueVerdict } from './queue-backlog.ts';

/** Every check kind, listed explicitly (the `type` of a check in config). */
export const checks = {
  tcp: tcpCheck,
  http: httpCheck,
  redis: redisCheck,
  postgres: postgresCheck,
  jetstream: jetstreamConsumerCheck,
  rabbitmq: rabbitmqQueueCheck,
};
export { httpCheck, jetstreamConsumerCheck, postgresCheck, rabbitmqQueueCheck, redisCheck, tcpCheck };
