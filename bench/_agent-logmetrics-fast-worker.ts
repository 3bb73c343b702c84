// The same job as _agent-logmetrics-worker.ts through a metricsOnly source's fast path
// (no records). Run by bench/agent-logmetrics.ts.
import { openSync, readSync } from 'node:fs';
import { AccessLogFastPath, LogMetrics } from '../agent/logmetrics/index.ts';
import { ChunkSplitter } from '../agent/sources/line-splitter.ts';

const [file] = process.argv.slice(2);
const metrics = new LogMetrics();
const fast = new AccessLogFastPath(metrics, 'nginx');
const fd = openSync(file!, 'r');
const buf = Buffer.allocUnsafe(1 << 20);
// The file source's own splitter, as a metricsOnly source uses it.
const splitter = new ChunkSplitter(0, (text) => fast.pushText(text), undefined, 'latin1');
for (;;) {
  const n = readSync(fd, buf, 0, buf.length, null);
  if (n === 0) break;
  splitter.push(buf.subarray(0, n));
  fast.flush();
}
splitter.end();
fast.flush();
const requests = metrics
  .families()
  .find((f) => f.name === 'vigil_agent_http_requests_total')!
  .samples.reduce((a, s) => a + s.value, 0);
process.stdout.write(`${JSON.stringify({ lines: fast.stats.lines, requests })}\n`);
