import { dirname } from 'node:path';
import { type DemoInfo, demoFilePath } from './demo-file.ts';

/**
 * The start-up summary in plain words: what runs, on which loopback address, where its data
 * and logs are. Pure: computed from demo.json's model, so what the user reads and what tools
 * read cannot disagree.
 *
 * @example
 * for (const line of describeDemo(info)) console.log(line);
 */
export function describeDemo(info: DemoInfo): string[] {
  const lines = [`vigil demo: the system under test is running (data in ${info.dataDir})`];
  const row = (label: string, text: string) => lines.push(`  ${label.padEnd(16)} ${text}`);
  row('photos service', `${info.service.url}  (metrics ${info.service.metricsUrl}, health /healthz /readyz)`);
  row(
    'blob store',
    `${info.s3.endpoint}  s3rver (pid ${info.s3.pid}), bucket "${info.s3.bucket}", files in ${info.s3.directory}`,
  );
  const nats = info.nats;
  if (nats.mode === 'off') {
    lines.push(`  ${nats.reason} (uploads still work; no events, no worker)`);
  } else {
    const server =
      nats.mode === 'own'
        ? `own nats-server (pid ${nats.pid}, monitoring ${nats.monitorUrl})`
        : 'existing nats-server';
    row('queue', `${nats.url}  ${server}, stream ${nats.stream}, consumer ${nats.consumer}`);
  }
  if (info.worker.enabled) {
    row(
      'worker',
      `${info.worker.metricsUrl}  (pid ${info.worker.pid}, metadata ${info.worker.metadataFile})`,
    );
  }
  row('gc', `every ${info.gc.intervalMs} ms, counts ${info.gc.metric}`);
  const t = info.traffic;
  row(
    'traffic',
    t.enabled
      ? `${t.rate} req/s, seed ${t.seed}${t.requests === undefined ? '' : `, ${t.requests} requests`}`
      : 'off (--no-traffic)',
  );
  row(
    'users',
    `${info.users.map((u) => u.name).join(', ')} (bearer tokens in ${demoFilePath(info.dataDir)})`,
  );
  const firstLog = Object.values(info.logs)[0];
  if (firstLog) row('logs', dirname(firstLog));
  return lines;
}
