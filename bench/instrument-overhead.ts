/**
 * Cost of instrument/'s middleware on every request: requests per second of the same Express
 * app bare and instrumented (RED metrics, server span exported over OTLP/HTTP to a local
 * receiver, request logger), measured in the same run, interleaved, with the same client.
 *
 *   npm run bench -- instrument-overhead [requests-per-round] [rounds]
 *
 * The client is an undici Pool (keep-alive, 16 connections); each round is bounded in count and
 * in time (20 s), so a slow machine ends early instead of running on.
 */

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import express, { type Express } from 'express';
import { Pool } from 'undici';
import { createTelemetry } from '../instrument/index.ts';

const requests = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 3);
const connections = 16;
const roundLimitMs = 20_000;

function routes(app: Express): Express {
  app.get('/blobs/:id', (req, res) => {
    res.json({ id: req.params.id, size: 1024 });
  });
  return app;
}

async function serve(app: Express): Promise<{ url: string; close(): Promise<void> }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** The load client lives in this process too: its own requests must not be traced as client spans. */
function load(url: string, count: number): Promise<number> {
  return context.with(suppressTracing(context.active()), () => loadUntraced(url, count));
}

async function loadUntraced(url: string, count: number): Promise<number> {
  const pool = new Pool(url, { connections, pipelining: 1 });
  let sent = 0;
  let done = 0;
  const started = performance.now();
  const deadline = started + roundLimitMs;
  async function worker(): Promise<void> {
    while (sent < count && performance.now() < deadline) {
      const id = sent++;
      const res = await pool.request({ path: `/blobs/${id % 1000}`, method: 'GET' });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`unexpected status ${res.statusCode}`);
      done++;
    }
  }
  await Promise.all(Array.from({ length: connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  return done / seconds;
}

/**
 * The collector stand-in runs in its own process, as a collector would: it reads and discards
 * each export and counts bytes, so parsing spans is not charged to the instrumented app.
 */
const sinkSource = `
  let bytes = 0, posts = 0;
  const s = require('node:http').createServer((req, res) => {
    req.on('data', (c) => { bytes += c.length; });
    req.on('end', () => { posts++; res.writeHead(200, { 'content-type': 'application/json' }).end('{}'); });
  });
  s.listen(0, '127.0.0.1', () => process.stdout.write(s.address().port + '\\n'));
  process.on('message', () => { process.send({ bytes, posts }); });
`;
const sink = spawn(process.execPath, ['-e', sinkSource], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
const [portLine] = (await once(sink.stdout!, 'data')) as [Buffer];
const receiver = { url: `http://127.0.0.1:${portLine.toString().trim()}` };
const telemetry = createTelemetry({
  service: 'bench',
  otlpEndpoint: receiver.url,
  // Logs go nowhere: the bench measures the middleware, not the terminal.
  logDestination: { write: () => {} },
  env: {},
});
const metricsOnly = createTelemetry({
  service: 'bench-metrics',
  tracing: false,
  logDestination: { write: () => {} },
  env: {},
});
const bareApp = routes(express());
const instrumentedApp = express();
instrumentedApp.use(telemetry.middleware());
routes(instrumentedApp);
const metricsApp = express();
metricsApp.use(metricsOnly.middleware());
routes(metricsApp);
const servers = {
  bare: await serve(bareApp),
  full: await serve(instrumentedApp),
  metrics: await serve(metricsApp),
};

for (const s of Object.values(servers)) await load(s.url, 2000); // warm-up, every path
const results: Array<{ bare: number; full: number; metrics: number }> = [];
for (let i = 0; i < rounds; i++) {
  const round = {
    bare: await load(servers.bare.url, requests),
    full: await load(servers.full.url, requests),
    metrics: await load(servers.metrics.url, requests),
  };
  results.push(round);
  process.stdout.write(
    `round ${i + 1}: bare ${round.bare.toFixed(0)} req/s, metrics+logger ${round.metrics.toFixed(0)} req/s, ` +
      `metrics+logger+tracing ${round.full.toFixed(0)} req/s\n`,
  );
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const b = median(results.map((r) => r.bare));
// Ratios are taken within each round (neighbouring measurements share the machine's mood), then the median.
const ratio = (name: string, pick: (r: (typeof results)[number]) => number) => {
  const r = median(results.map((x) => pick(x) / x.bare));
  return `${name} ${median(results.map(pick)).toFixed(0)} req/s, ratio to bare ${r.toFixed(2)} (${((1 - r) * 100).toFixed(1)}% overhead)`;
};
process.stdout.write(
  `\nmedian of ${rounds} rounds of ${requests} requests, ${connections} connections:\n` +
    `  bare express ${b.toFixed(0)} req/s\n` +
    `  ${ratio('metrics+logger', (r) => r.metrics)}\n` +
    `  ${ratio('metrics+logger+tracing (OTLP export)', (r) => r.full)}\n`,
);
for (const s of Object.values(servers)) await s.close();
await telemetry.shutdown({ graceMs: 1000 });
await metricsOnly.shutdown({ graceMs: 1000 });
sink.send('report');
const [report] = (await once(sink, 'message')) as [{ bytes: number; posts: number }];
process.stdout.write(
  `  OTLP exports received: ${report.posts} requests, ${(report.bytes / 1e6).toFixed(1)} MB\n`,
);
sink.kill();
