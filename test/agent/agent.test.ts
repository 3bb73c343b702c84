import { createSocket } from 'node:dgram';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAgentConfig, type RunningAgent, runAgent } from '../../agent/index.ts';
import { main } from '../../cli/main.ts';
import { systemClock } from '../../core/index.ts';
import { freePort } from '../support/ports.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-agent-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function eventually<T>(
  fn: () => Promise<T> | T,
  ok: (v: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not met: ${JSON.stringify(v).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('vigil agent: config to running agent', () => {
  let agent: RunningAgent;
  let statsdPort: number;
  let openPort: number;
  const tcp = createServer((s) => s.end());

  beforeAll(async () => {
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    openPort = (tcp.address() as { port: number }).port;
    statsdPort = await freePort();
    writeFileSync(
      join(dir, 'access.log'),
      '10.0.0.1 - - [01/Jan/2024:00:00:00 +0000] "GET /items/1 HTTP/1.1" 200 5 "-" "ua" 0.020\n',
    );
    const config = parseAgentConfig(
      'agent.yaml',
      `apiVersion: vigil/v1
kind: Agent
listen: 127.0.0.1:0
stateDir: ${join(dir, 'state')}
resource: { service.name: shop }
sources:
  - name: nginx
    type: file
    include: ['${join(dir, '*.log')}']
    format: nginx
    pollInterval: 50ms
sinks:
  - type: file
    path: ${join(dir, 'out', 'records.jsonl')}
metrics:
  - name: shop_slow_requests_total
    type: counter
    match: { field: attributes.http.server.request.duration, regex: '^[1-9]' }
adapters:
  - name: statsd
    type: statsd
    listen: 127.0.0.1:${statsdPort}
health:
  interval: 100ms
  checks:
    - { name: app-port, type: tcp, address: '127.0.0.1:${openPort}' }
    - { name: optional-port, type: tcp, address: '127.0.0.1:1', critical: false }
`,
    );
    agent = await runAgent(config, { clock: systemClock, logStream: new PassThrough() });
  });
  afterAll(async () => {
    await agent?.close();
    await new Promise<void>((r) => tcp.close(() => r()));
  });

  it('tails, normalizes, writes records and derives metrics', async () => {
    appendFileSync(
      join(dir, 'access.log'),
      '10.0.0.2 - - [01/Jan/2024:00:00:01 +0000] "POST /items HTTP/1.1" 503 0 "-" "ua" 1.500\n',
    );
    const lines = await eventually(
      () => {
        try {
          return readFileSync(join(dir, 'out', 'records.jsonl'), 'utf8')
            .trim()
            .split('\n');
        } catch {
          return [];
        }
      },
      (l) => l.length >= 2,
    );
    const second = JSON.parse(lines[1]!) as { severity_number: number; resource: Record<string, string> };
    expect(second.severity_number).toBe(17);
    expect(second.resource).toMatchObject({
      'service.name': 'shop',
      'log.file.path': join(dir, 'access.log'),
    });
    const metrics = await (await fetch(`${agent.url}/metrics`)).text();
    expect(metrics).toContain(
      'vigil_agent_http_requests_total{source="nginx",method="GET",status_class="2xx",route="/items/:id"} 1',
    );
    expect(metrics).toContain(
      'vigil_agent_http_requests_total{source="nginx",method="POST",status_class="5xx",route="/items"} 1',
    );
    expect(metrics).toContain('shop_slow_requests_total 1');
    expect(metrics).toContain(
      'vigil_agent_lines_parsed_total{source="nginx",format="access-log",result="parsed"} 2',
    );
    expect(metrics).toMatch(/vigil_agent_sink_sent_records_total\{sink="file:[^"]+"\} 2/);
    expect(metrics).toContain('vigil_agent_sink_dropped_total');
    expect(metrics).toContain('vigil_agent_file_lag_bytes{source="nginx"} 0');
  });

  it('serves StatsD metrics received over UDP', async () => {
    const client = createSocket('udp4');
    await new Promise<void>((r) => client.send('jobs.done:4|c', statsdPort, '127.0.0.1', () => r()));
    client.close();
    const text = await eventually(
      async () => (await fetch(`${agent.url}/metrics`)).text(),
      (t) => t.includes('jobs_done 4'),
    );
    expect(text).toContain('vigil_agent_adapter_up{adapter="statsd"} 1');
  });

  it('answers /healthz and /readyz from the checks (non-critical failures do not fail readiness)', async () => {
    expect((await fetch(`${agent.url}/healthz`)).status).toBe(200);
    const body = await eventually(
      async () => {
        const res = await fetch(`${agent.url}/readyz`);
        return {
          status: res.status,
          body: (await res.json()) as { checks: Record<string, { status: string }> },
        };
      },
      (r) => r.status === 200,
    );
    expect(body.body.checks['app-port']!.status).toBe('ok');
    expect(body.body.checks['optional-port']!.status).toBe('fail');
    await new Promise<void>((r) => tcp.close(() => r()));
    await eventually(
      async () => (await fetch(`${agent.url}/readyz`)).status,
      (s) => s === 503,
    );
    await new Promise<void>((r) => tcp.listen(openPort, '127.0.0.1', r));
  });
});

describe('vigil agent CLI', () => {
  const io = () => {
    const out = new PassThrough();
    const err = new PassThrough();
    let stdout = '';
    let stderr = '';
    out.on('data', (c) => (stdout += c));
    err.on('data', (c) => (stderr += c));
    return {
      io: { stdout: out, stderr: err, env: {}, signal: new AbortController().signal },
      text: () => ({ stdout, stderr }),
    };
  };

  it('agent parse writes one JSON record per line', async () => {
    const file = join(dir, 'sample.log');
    writeFileSync(file, 'E1123 09:15:02.123456 1 x.go:1] boom\nnot a log line\n');
    const t = io();
    expect(await main(['agent', 'parse', file], t.io)).toBe(0);
    const records = t
      .text()
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ severity_number: 17, body: 'boom' });
    expect(records[1]).toMatchObject({
      body: 'not a log line',
      attributes: { parse_error: 'no format matched' },
    });
  });

  it('a bad config is refused with its file, line and field (exit 2)', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'apiVersion: vigil/v1\nsources:\n  - name: x\n    type: file\n    include: [/tmp/*.log]\n    format: xml\n',
    );
    const t = io();
    expect(await main(['agent', '-c', file], t.io)).toBe(2);
    expect(t.text().stderr).toMatch(/bad\.yaml:6: sources\[0\]\.format: unknown log format/);
    expect(t.text().stderr).toMatch(/need stateDir/);
  });

  it('an unknown format in agent parse is a usage error', async () => {
    const t = io();
    expect(await main(['agent', 'parse', '--format', 'xml'], t.io)).toBe(2);
    expect(t.text().stderr).toMatch(/unknown log format "xml"/);
  });
});
