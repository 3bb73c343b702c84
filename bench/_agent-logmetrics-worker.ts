// The nginx-access-log-to-metrics job done by the agent: split lines, parse them as nginx
// combined, count requests by method/status class/route and observe the duration histogram.
// Prints the line count and the request total as JSON. Run by bench/agent-logmetrics.ts.
import { LogMetrics } from '../agent/logmetrics/index.ts';
import type { LogRecord } from '../agent/record.ts';
import { normalizeFile } from './_agent-pipeline.ts';

const [file] = process.argv.slice(2);
const metrics = new LogMetrics();
let batch: LogRecord[] = [];
const lines = normalizeFile(
  file!,
  'nginx',
  (r) => batch.push(r),
  () => {
    metrics.observe(batch, 'nginx');
    batch = [];
  },
);
metrics.observe(batch, 'nginx');
const requests = metrics
  .families()
  .find((f) => f.name === 'vigil_agent_http_requests_total')!
  .samples.reduce((a, s) => a + s.value, 0);
process.stdout.write(`${JSON.stringify({ lines, requests })}\n`);
