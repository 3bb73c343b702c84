import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerHandle, serverConfigSchema, startServer } from '../../../alerting/index.ts';
import { ManualClock } from '../../../core/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-api-'));
let server: ServerHandle;
let base = '';
const t0 = 1_700_000_000_000;

beforeAll(async () => {
  writeFileSync(
    join(dir, 'rules.yml'),
    'groups:\n  - name: g\n    rules:\n      - alert: High\n        expr: load > 1\n        labels: { severity: page }\n        annotations: { summary: "{{ $labels.host }} at {{ $value }}" }\n',
  );
  const config = serverConfigSchema.parse({
    apiVersion: 'vigil/v1',
    listen: '127.0.0.1:0',
    data_dir: join(dir, 'data'),
    rule_files: [join(dir, 'rules.yml')],
  });
  server = await startServer(config, { clock: new ManualClock(t0 + 600_000) });
  base = server.listening.url;
  for (let i = 0; i <= 10; i++) {
    server.store.append({ __name__: 'load', host: 'a' }, t0 + i * 60_000, i / 4);
    server.store.append({ __name__: 'load', host: 'b' }, t0 + i * 60_000, 0.5);
  }
  server.rules.evaluateGroup(server.rules.evaluators[0]!, t0 + 600_000);
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

// Loosely typed on purpose: the tests compare whole JSON bodies against Prometheus' shapes.
// biome-ignore lint/suspicious/noExplicitAny: see above
type ApiBody = any;

async function get(path: string): Promise<{ status: number; body: ApiBody }> {
  const res = await fetch(`${base}${path}`);
  const text = await res.text();
  return {
    status: res.status,
    body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
  };
}

describe('Prometheus-compatible API', () => {
  it('answers instant queries with Prometheus shapes', async () => {
    const vector = await get(
      `/api/v1/query?query=${encodeURIComponent('load{host="a"}')}&time=${(t0 + 600_000) / 1000}`,
    );
    expect(vector).toEqual({
      status: 200,
      body: {
        status: 'success',
        data: {
          resultType: 'vector',
          result: [{ metric: { __name__: 'load', host: 'a' }, value: [(t0 + 600_000) / 1000, '2.5'] }],
        },
      },
    });
    const scalar = await get(`/api/v1/query?query=1%2B1&time=100`);
    expect(scalar.body.data).toEqual({ resultType: 'scalar', result: [100, '2'] });
  });

  it('answers range queries as matrices', async () => {
    const r = await get(
      `/api/v1/query_range?query=load&start=${t0 / 1000}&end=${(t0 + 120_000) / 1000}&step=60s`,
    );
    expect(r.body.data.resultType).toBe('matrix');
    expect(r.body.data.result[0]).toEqual({
      metric: { __name__: 'load', host: 'a' },
      values: [
        [t0 / 1000, '0'],
        [t0 / 1000 + 60, '0.25'],
        [t0 / 1000 + 120, '0.5'],
      ],
    });
  });

  it('lists series, label names and values', async () => {
    expect((await get('/api/v1/series?match[]=load')).body.data).toEqual([
      { __name__: 'load', host: 'a' },
      { __name__: 'load', host: 'b' },
    ]);
    expect((await get('/api/v1/labels')).body.data).toEqual(
      expect.arrayContaining(['__name__', 'host', 'alertname']),
    );
    expect((await get('/api/v1/label/host/values')).body.data).toEqual(['a', 'b']);
  });

  it('returns errors in Prometheus shape', async () => {
    const bad = await get('/api/v1/query?query=rate(load)');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      status: 'error',
      errorType: 'bad_data',
      error: expect.stringMatching(/range vector/),
    });
    expect((await get('/api/v1/series')).body).toMatchObject({ status: 'error', errorType: 'bad_data' });
    expect((await get('/api/v1/query_range?query=load&start=10&end=5&step=1')).status).toBe(400);
    expect((await get('/api/v1/nope')).status).toBe(404);
  });

  it('shows rules, alerts and targets', async () => {
    const alerts = (await get('/api/v1/alerts')).body.data.alerts;
    expect(alerts).toEqual([
      {
        labels: { alertname: 'High', host: 'a', severity: 'page' },
        annotations: { summary: 'a at 2.5' },
        state: 'firing',
        activeAt: new Date(t0 + 600_000).toISOString(),
        value: '2.5',
      },
    ]);
    const groups = (await get('/api/v1/rules')).body.data.groups;
    expect(groups[0]).toMatchObject({
      name: 'g',
      rules: [{ type: 'alerting', name: 'High', query: 'load > 1', state: 'firing', health: 'ok' }],
    });
    expect((await get('/api/v1/targets')).body.data).toEqual({ activeTargets: [], droppedTargets: [] });
  });

  it('serves health, readiness and its own metrics', async () => {
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(200);
    expect((await get('/metrics')).body).toMatch(/^vigil_store_series \d+$/m);
  });
});
