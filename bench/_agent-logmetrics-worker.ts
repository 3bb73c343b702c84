// The nginx-access-log-to-metrics job done by the agent: split lines, parse them as nginx
// combined, count requests by method/status class/route and observe the duration histogram.
// Prints the line count and the request total as JSON. Run by bench/agent-logmetrics.ts.
import { openSync, readSync } from 'node:fs';
import { LogMetrics } from '../agent/logmetrics/index.ts';
import { Normalizer } from '../agent/normalize.ts';
import type { LogRecord } from '../agent/record.ts';
import { LineSplitter } from '../agent/sources/line-splitter.ts';

const [file] = process.argv.slice(2);
const metrics = new LogMetrics();
let batch: LogRecord[] = [];
const normalizer = new Normalizer({ format: 'nginx' }, (r) => batch.push(r));
const now = Date.now();
let lines = 0;
const splitter = new LineSplitter(0, (line, end) => {
  lines++;
  normalizer.push(line, now, end);
});
const fd = openSync(file!, 'r');
const buf = Buffer.allocUnsafe(1 << 20);
for (;;) {
  const n = readSync(fd, buf, 0, buf.length, null);
  if (n === 0) break;
  splitter.push(Buffer.from(buf.subarray(0, n)));
  metrics.observe(batch, 'nginx');
  batch = [];
}
splitter.end();
normalizer.end();
metrics.observe(batch, 'nginx');
const requests = metrics
  .families()
  .find((f) => f.name === 'vigil_agent_http_requests_total')!
  .samples.reduce((a, s) => a + s.value, 0);
process.stdout.write(`${JSON.stringify({ lines, requests })}\n`);
