// Shared by the agent benchmarks: a deterministic (seeded) log corpus of a given size.
import { closeSync, openSync, statSync, writeSync } from 'node:fs';

/** mulberry32: a small seeded generator, so every run measures the same bytes. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const methods = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const paths = [
  '/api/v1/users/',
  '/api/v1/orders/',
  '/static/app.js',
  '/healthz',
  '/api/v1/search?q=',
  '/login',
];
const statuses = [200, 200, 200, 200, 201, 204, 301, 304, 400, 404, 404, 500, 503];
const agents = [
  'curl/8.5.0',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
  'kube-probe/1.29',
];

export function nginxLine(r: () => number, i: number): string {
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)]!;
  const path = pick(paths);
  const p = path.endsWith('/') || path.endsWith('=') ? `${path}${Math.floor(r() * 100000)}` : path;
  const sec = String(i % 60).padStart(2, '0');
  return `10.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}.${Math.floor(r() * 255)} - - [23/Nov/2026:10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${sec} +0000] "${pick(methods)} ${p} HTTP/1.1" ${pick(statuses)} ${Math.floor(r() * 50000)} "-" "${pick(agents)}" ${(r() * 2).toFixed(3)}`;
}

function jsonLine(r: () => number, i: number): string {
  const levels = [30, 30, 30, 40, 50, 20];
  return `{"level":${levels[Math.floor(r() * levels.length)]},"time":${1795000000000 + i},"pid":42,"hostname":"web-7","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","req":{"id":${i},"method":"GET"},"msg":"request completed in ${Math.floor(r() * 900)} ms"}`;
}

function syslogLine(r: () => number, i: number): string {
  return `<${Math.floor(r() * 191)}>Nov 23 10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} db-1 postgres[${1000 + Math.floor(r() * 9000)}]: checkpoint complete: wrote ${Math.floor(r() * 1000)} buffers`;
}

function javaLines(r: () => number, i: number): string[] {
  const head = `2026-11-23 10:00:${String(i % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')} [http-nio-8080-exec-${i % 10}] ${r() < 0.2 ? 'ERROR' : 'INFO '} com.example.orders.OrderService - order ${i} processed`;
  if (r() >= 0.1) return [head];
  return [
    head,
    'java.lang.IllegalStateException: inventory mismatch',
    '\tat com.example.orders.OrderService.reserve(OrderService.java:118)',
    '\tat com.example.orders.OrderController.create(OrderController.java:52)',
    'Caused by: java.sql.SQLException: deadlock detected',
    '\t... 42 more',
  ];
}

/**
 * Writes a mixed corpus (nginx combined, pino JSON, syslog, Java with stack traces) of about
 * `bytes` bytes to `path`; returns the number of lines and of records it holds.
 */
export function writeMixedCorpus(path: string, bytes: number, seed = 42): { lines: number; records: number } {
  const r = seeded(seed);
  const fd = openSync(path, 'w');
  let written = 0;
  let lines = 0;
  let records = 0;
  let chunk: string[] = [];
  for (let i = 0; written < bytes; i++) {
    const kind = i % 4;
    const out =
      kind === 0
        ? [nginxLine(r, i)]
        : kind === 1
          ? [jsonLine(r, i)]
          : kind === 2
            ? [syslogLine(r, i)]
            : javaLines(r, i);
    records++;
    lines += out.length;
    for (const l of out) chunk.push(l);
    if (chunk.length >= 10_000) {
      const text = `${chunk.join('\n')}\n`;
      written += writeSync(fd, text);
      chunk = [];
    }
  }
  if (chunk.length > 0) writeSync(fd, `${chunk.join('\n')}\n`);
  closeSync(fd);
  return { lines, records };
}

/** Writes `count` nginx combined lines (with $request_time last). */
export function writeNginxCorpus(path: string, count: number, seed = 7): number {
  const r = seeded(seed);
  const fd = openSync(path, 'w');
  let chunk: string[] = [];
  for (let i = 0; i < count; i++) {
    chunk.push(nginxLine(r, i));
    if (chunk.length >= 10_000) {
      writeSync(fd, `${chunk.join('\n')}\n`);
      chunk = [];
    }
  }
  if (chunk.length > 0) writeSync(fd, `${chunk.join('\n')}\n`);
  closeSync(fd);
  return statSync(path).size;
}

/** Runs a shell command under bash's `time`; returns wall, user and system seconds. */
export async function timed(
  command: string,
  env: Record<string, string> = {},
): Promise<{ wall: number; user: number; sys: number; stdout: string }> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `TIMEFORMAT='__TIME__ %R %U %S'; time ( ${command} )`], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('exit', (code) => {
      const m = /__TIME__ ([\d.]+) ([\d.]+) ([\d.]+)/.exec(err);
      if (code !== 0 || !m) reject(new Error(`${command} failed (${code}): ${err.slice(-500)}`));
      else resolve({ wall: Number(m[1]), user: Number(m[2]), sys: Number(m[3]), stdout: out });
    });
  });
}
