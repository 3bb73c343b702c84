import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerHandle, serverConfigSchema, startServer } from '../../../alerting/index.ts';
import { guardsFileName } from '../../../alerting/kinds/index.ts';
import { ManualClock } from '../../../core/index.ts';

/**
 * The circuit breaker of a rate guard through the real server: the guard's alert trips it,
 * `GET /api/v1/guards/{name}` shows it to the job that polls it, it survives a restart, and only
 * `POST .../reset` with the token and a name closes it.
 */

const dir = mkdtempSync(join(tmpdir(), 'vigil-guards-'));
const token = 'guard-test-token';
const t0 = 1_700_000_000_000;
const minute = 60_000;
const spike = t0 + 120 * minute;
let server: ServerHandle;
let base = '';

const config = () =>
  serverConfigSchema.parse({
    apiVersion: 'vigil/v1',
    listen: '127.0.0.1:0',
    data_dir: join(dir, 'data'),
    rule_files: [join(dir, 'rules.yaml')],
  });

beforeAll(async () => {
  writeFileSync(
    join(dir, 'rules.yaml'),
    [
      'apiVersion: vigil/v1',
      'rate_guards:',
      '  - name: GcDeletes',
      '    expr: sum(rate(gc_deleted_total[5m]))',
      '    factor: 100',
      '    min_rate: 1',
      '    baseline: { window: 1h, min_points: 10 }',
      '',
    ].join('\n'),
  );
  server = await startServer(config(), { clock: new ManualClock(t0), token });
  base = server.listening.url;
  let value = 0;
  for (let t = t0; t <= spike + 10 * minute; t += minute) {
    value += t < spike ? 12 : 3000; // 0.2/s, then 50/s
    server.store.append({ __name__: 'gc_deleted_total' }, t, value);
  }
  for (let t = t0 + 5 * minute; t <= spike + 10 * minute; t += minute)
    server.rules.evaluateGroup(server.rules.evaluators[0]!, t);
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies compared as they come
type Body = any;
async function call(path: string, init: RequestInit = {}): Promise<{ status: number; body: Body }> {
  const res = await fetch(`${base}${path}`, init);
  return { status: res.status, body: await res.json() };
}

describe('rate guard circuit breakers over HTTP', () => {
  it('trip when the guard alert fires, and show why and since when', async () => {
    const one = await call('/api/v1/guards/GcDeletes');
    expect(one.status).toBe(200);
    expect(one.body.data).toMatchObject({ name: 'GcDeletes', tripped: true, trips: 1, lastReset: null });
    expect(one.body.data.why).toMatch(/^GcDeletes fired with value/);
    const since = Date.parse(one.body.data.since);
    expect(since).toBeGreaterThan(spike);
    expect(since).toBeLessThanOrEqual(spike + 5 * minute);
    const list = await call('/api/v1/guards');
    expect(list.body.data.map((b: Body) => [b.name, b.tripped])).toEqual([['GcDeletes', true]]);
    expect(existsSync(join(dir, 'data', guardsFileName))).toBe(true);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('vigil_guard_tripped{guard="GcDeletes"} 1');
  });

  it('answer 404 for an unknown guard and 400 for a wrong method', async () => {
    expect((await call('/api/v1/guards/Nope')).status).toBe(404);
    expect((await call('/api/v1/guards/GcDeletes', { method: 'DELETE' })).status).toBe(400);
  });

  it('show the detector rule in /api/v1/rules as a recording rule with its description', async () => {
    const rules = await call('/api/v1/rules');
    const group = rules.body.data.groups[0];
    expect(group.rules[0]).toMatchObject({
      type: 'recording',
      name: 'vigil:rate_guard:value',
      health: 'ok',
      detector: true,
    });
    expect(group.rules[0].query).toContain('sum(rate(gc_deleted_total[5m]))');
    expect(group.rules[1]).toMatchObject({ type: 'alerting', name: 'GcDeletes', state: 'firing' });
  });

  it('stay tripped across a restart', async () => {
    await server.close();
    server = await startServer(config(), { clock: new ManualClock(spike + 60 * minute), token });
    base = server.listening.url;
    expect((await call('/api/v1/guards/GcDeletes')).body.data.tripped).toBe(true);
  });

  it('reset only with the token and a name, and record who', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const noToken = await call('/api/v1/guards/GcDeletes/reset', {
      method: 'POST',
      headers: form,
      body: 'by=alice',
    });
    expect(noToken.status).toBe(401);
    const auth = { ...form, authorization: `Bearer ${token}` };
    const noName = await call('/api/v1/guards/GcDeletes/reset', { method: 'POST', headers: auth, body: '' });
    expect(noName.status).toBe(400);
    expect(noName.body.error).toContain('"by"');
    const ok = await call('/api/v1/guards/GcDeletes/reset', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ by: 'alice', reason: 'GC config fixed' }),
    });
    expect(ok.status).toBe(200);
    expect(ok.body.data).toMatchObject({
      tripped: false,
      since: null,
      lastReset: { by: 'alice', reason: 'GC config fixed', at: new Date(spike + 60 * minute).toISOString() },
    });
    await server.close();
    server = await startServer(config(), { clock: new ManualClock(spike + 61 * minute), token });
    base = server.listening.url;
    expect((await call('/api/v1/guards/GcDeletes')).body.data).toMatchObject({
      tripped: false,
      lastReset: { by: 'alice' },
    });
  });
});
