/**
 * Proxy overhead with no toxics, against a real Redis, measured with redis-benchmark:
 * throughput and p50/p99 latency direct, through vigil's fault proxy, and through HAProxy in
 * TCP mode (the peer), in the same run, rounds interleaved so drift hits all three alike.
 *
 * On 2 cores the load generator, Redis and the proxy share the CPUs, so no proxy comes near
 * direct. HAProxy runs with one thread, as vigil's proxy runs on one event loop.
 *
 * usage: npm run bench -- chaos-proxy [--requests N] [--clients N] [--rounds N]
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '50000' },
    clients: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
  },
});
const requests = Number(values.requests);
const clients = Number(values.clients);
const rounds = Math.min(10, Number(values.rounds));
const run = promisify(execFile);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitPort(port: number): Promise<void> {
  const { connect } = await import('node:net');
  for (let i = 0; i < 300; i++) {
    const ok = await new Promise<boolean>((r) => {
      const c = connect({ port, host: '127.0.0.1' });
      c.once('connect', () => {
        c.destroy();
        r(true);
      });
      c.once('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} did not open`);
}

const children: ChildProcess[] = [];
function start(cmd: string, args: string[]): ChildProcess {
  const c = spawn(cmd, args, { stdio: 'ignore' });
  children.push(c);
  return c;
}

interface Figures {
  rps: number;
  p50: number;
  p99: number;
}

/** One redis-benchmark run of GET and SET; figures averaged over the two tests. */
async function bench(port: number): Promise<Figures> {
  const { stdout } = await run(
    'redis-benchmark',
    [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-t',
      'set,get',
      '-n',
      String(requests),
      '-c',
      String(clients),
      '--csv',
    ],
    {
      timeout: 300_000,
    },
  );
  const rows = stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',').map((f) => Number(f.replace(/"/g, ''))));
  const avg = (i: number) => rows.reduce((s, r) => s + r[i]!, 0) / rows.length;
  // Columns: test, rps, avg, min, p50, p95, p99, max.
  return { rps: avg(1), p50: avg(4), p99: avg(6) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-proxy-'));
try {
  const redisPort = await freePort();
  start('redis-server', [
    '--port',
    String(redisPort),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
  ]);
  await waitPort(redisPort);

  const apiPort = await freePort();
  start(process.execPath, [
    new URL('../bin/vigil.js', import.meta.url).pathname,
    'proxy',
    '--port',
    String(apiPort),
    '--seed',
    '1',
  ]);
  await waitPort(apiPort);
  const vigilPort = await freePort();
  const created = await fetch(`http://127.0.0.1:${apiPort}/proxies`, {
    method: 'POST',
    body: JSON.stringify({
      name: 'redis',
      listen: `127.0.0.1:${vigilPort}`,
      upstream: `127.0.0.1:${redisPort}`,
    }),
  });
  if (created.status !== 201) throw new Error(`proxy create: ${created.status} ${await created.text()}`);

  const haproxyPort = await freePort();
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    [
      'global',
      '  nbthread 1',
      '  maxconn 4096',
      'defaults',
      '  mode tcp',
      '  timeout connect 5s',
      '  timeout client 60s',
      '  timeout server 60s',
      'listen redis',
      `  bind 127.0.0.1:${haproxyPort}`,
      `  server r 127.0.0.1:${redisPort}`,
      '',
    ].join('\n'),
  );
  start('haproxy', ['-f', cfg, '-db']);
  await waitPort(haproxyPort);

  const targets = { direct: redisPort, vigil: vigilPort, haproxy: haproxyPort } as const;
  const results: Record<keyof typeof targets, Figures[]> = { direct: [], vigil: [], haproxy: [] };
  // Warm-up: JIT, connection pools, CPU frequency.
  for (const port of Object.values(targets)) await bench(port);
  for (let r = 0; r < rounds; r++) {
    for (const [name, port] of Object.entries(targets) as Array<[keyof typeof targets, number]>)
      results[name].push(await bench(port));
  }
  const fig = (name: keyof typeof targets) => ({
    rps: median(results[name].map((f) => f.rps)),
    p50: median(results[name].map((f) => f.p50)),
    p99: median(results[name].map((f) => f.p99)),
  });
  const d = fig('direct');
  const v = fig('vigil');
  const h = fig('haproxy');
  const row = (name: string, f: Figures) =>
    `${name.padEnd(8)} ${Math.round(f.rps).toString().padStart(9)} req/s   p50 ${f.p50.toFixed(3)} ms   p99 ${f.p99.toFixed(3)} ms`;
  process.stdout.write(
    [
      `chaos-proxy: redis-benchmark GET+SET, ${requests} requests x ${clients} clients, median of ${rounds} rounds`,
      row('direct', d),
      row('vigil', v),
      row('haproxy', h),
      '',
      `vigil / haproxy: throughput ${(v.rps / h.rps).toFixed(2)}x (goal >= 0.9), p50 ${(v.p50 / h.p50).toFixed(2)}x (goal <= 1.2), p99 ${(v.p99 / h.p99).toFixed(2)}x`,
      `vigil / direct:  throughput ${(v.rps / d.rps).toFixed(2)}x, p50 ${(v.p50 / d.p50).toFixed(2)}x, p99 ${(v.p99 / d.p99).toFixed(2)}x`,
      `haproxy / direct: throughput ${(h.rps / d.rps).toFixed(2)}x, p50 ${(h.p50 / d.p50).toFixed(2)}x`,
      '',
    ].join('\n'),
  );
} finally {
  for (const c of children) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
