import { createServer, get as httpGet, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetry, type Telemetry } from '../../instrument/index.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../support/otlp-receiver.ts';
import { eventually, LogLines, parseSamples, sampleValue } from './helpers.ts';

/**
 * The instrumented Express app, for real: a free port on loopback, requests over HTTP, spans
 * exported over OTLP/HTTP (JSON) to a local receiver, /metrics scraped as Prometheus would.
 */

const SERVER = 2;
const CLIENT = 3;
const duration = 'http_server_request_duration_seconds_count';

function httpGetText(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpGet(url, { headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

function buildApp(telemetry: Telemetry, downstreamUrl: () => string) {
  const app = express();
  app.use(telemetry.middleware());
  telemetry.mount(app);
  app.use(express.json());
  app.get('/ok', (req, res) => {
    req.log.info('handling ok');
    res.json({ ok: true });
  });
  app.get('/blobs/:id', (req, res) => {
    if (req.params.id === 'deleted') telemetry.markExpected(res, 'probe for a deleted blob');
    res.status(404).json({ error: 'no such blob' });
  });
  app.get('/boom', (_req, res) => {
    res.status(500).json({ error: 'broken' });
  });
  app.get('/gateway', (_req, res) => {
    res.status(504).json({ error: 'upstream timed out' });
  });
  app.get('/hang', () => {
    // Never answers: the client gives up.
  });
  const api = express.Router();
  api.get('/items/:id', (_req, res) => {
    res.json({ item: true });
  });
  app.use('/api', api);
  app.get('/call-out', async (_req, res) => {
    const viaHttp = await httpGetText(`${downstreamUrl()}/via-http`);
    const viaFetch = await (await fetch(`${downstreamUrl()}/via-fetch`)).text();
    res.json({ viaHttp: JSON.parse(viaHttp.body), viaFetch: JSON.parse(viaFetch) });
  });
  app.post('/login', (req, res) => {
    req.log.info({ body: req.body, headers: req.headers }, 'login attempt');
    res.status(204).end();
  });
  return app;
}

describe('instrument: an Express service', () => {
  let receiver: OtlpReceiver;
  let logs: LogLines;
  let telemetry: Telemetry;
  let base: string;
  let downstream: Server;
  let downstreamUrl = '';

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    // Downstream service: answers with the headers it received.
    downstream = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(req.headers satisfies IncomingHttpHeaders));
    });
    await new Promise<void>((r) => downstream.listen(0, '127.0.0.1', r));
    downstreamUrl = `http://127.0.0.1:${(downstream.address() as AddressInfo).port}`;
    logs = new LogLines();
    telemetry = createTelemetry({
      service: 'blobs',
      version: '1.2.3',
      otlpEndpoint: receiver.url,
      logDestination: logs,
      env: {},
    });
    const app = buildApp(telemetry, () => downstreamUrl);
    ({ url: base } = await telemetry.listen(app, { port: 0 }));
  });

  afterAll(async () => {
    await telemetry?.shutdown({ graceMs: 2000 });
    await new Promise<void>((r) => downstream?.close(() => r()));
    await receiver?.close();
  });

  async function scrape() {
    const res = await httpGetText(`${base}/metrics`);
    expect(res.status).toBe(200);
    return { text: res.body, samples: parseSamples(res.body) };
  }

  it('binds loopback and serves liveness', async () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await httpGetText(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
  });

  it("a request's log lines carry the trace id of the span that reaches the receiver", async () => {
    const res = await httpGetText(`${base}/ok`);
    expect(res.status).toBe(200);
    await telemetry.flush();
    const spans = await receiver.waitFor((s) => s.some((x) => x.name === 'GET /ok'));
    const span = spans.find((x) => x.name === 'GET /ok')!;
    expect(span.kind).toBe(SERVER);
    expect(span.service).toBe('blobs');
    expect(span.attributes['http.route']).toBe('/ok');
    expect(span.attributes['http.response.status_code']).toBe(200);
    const lines = logs.find('handling ok');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      service: 'blobs',
      version: '1.2.3',
      trace_id: span.traceId,
      span_id: span.spanId,
      trace_flags: '01',
      http_request_method: 'GET',
      url_path: '/ok',
      level: 'info',
    });
  });

  it('continues the trace of an incoming traceparent', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    // fetch, not http.get: the outgoing-HTTP instrumentation of this very process would replace a
    // traceparent set on http.get with its own client span's, as it should for real callers.
    const res = await fetch(`${base}/api/items/42`, {
      headers: { traceparent: `00-${traceId}-${parentId}-01` },
    });
    expect(res.status).toBe(200);
    await telemetry.flush();
    const spans = await receiver.waitFor((s) => s.some((x) => x.traceId === traceId));
    const span = spans.find((x) => x.traceId === traceId)!;
    expect(span.parentSpanId).toBe(parentId);
    // The route of a router mounted at /api, as a template, never the raw URL.
    expect(span.name).toBe('GET /api/items/:id');
    expect(span.attributes['http.route']).toBe('/api/items/:id');
  });

  it('injects traceparent into outgoing http.get and fetch requests, with client spans', async () => {
    const res = await httpGetText(`${base}/call-out`);
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.body) as { viaHttp: IncomingHttpHeaders; viaFetch: IncomingHttpHeaders };
    await telemetry.flush();
    const spans = await receiver.waitFor((s) => s.some((x) => x.name === 'GET /call-out'));
    const server = spans.find((x) => x.name === 'GET /call-out')!;
    for (const headers of [seen.viaHttp, seen.viaFetch]) {
      const parts = String(headers.traceparent).split('-');
      expect(parts[1]).toBe(server.traceId);
      const client = await receiver.waitFor((s) => s.some((x) => x.spanId === parts[2]));
      const clientSpan = client.find((x) => x.spanId === parts[2])!;
      expect(clientSpan.kind).toBe(CLIENT);
      expect(clientSpan.parentSpanId).toBe(server.spanId);
    }
    // The exporter's own requests to the receiver are not traced (no span loop).
    expect(receiver.spans.some((x) => String(x.attributes['url.full'] ?? '').includes('/v1/traces'))).toBe(
      false,
    );
  });

  it('records RED metrics with route templates and every error class', async () => {
    await httpGetText(`${base}/ok`);
    await httpGetText(`${base}/blobs/missing`);
    await httpGetText(`${base}/blobs/deleted`);
    await httpGetText(`${base}/boom`);
    await httpGetText(`${base}/gateway`);
    await httpGetText(`${base}/no/such/path/123`);

    // A request the client abandons before any response.
    const controller = new AbortController();
    const hanging = fetch(`${base}/hang`, { signal: controller.signal }).catch(() => 'aborted');
    const during = await eventually(async () => {
      const { samples } = await scrape();
      const v = sampleValue(samples, 'http_server_active_requests', { http_request_method: 'GET' });
      // This scrape is itself a GET in flight, hence 2 with the hanging request.
      return v !== undefined && v >= 2 ? v : undefined;
    });
    expect(during).toBeGreaterThanOrEqual(2);
    controller.abort();
    expect(await hanging).toBe('aborted');

    const { samples, text } = await eventually(async () => {
      const s = await scrape();
      return sampleValue(s.samples, duration, { http_route: '/hang' }) === undefined ? undefined : s;
    });
    const count = (route: string, status: string, errorType: string) =>
      sampleValue(samples, duration, {
        http_request_method: 'GET',
        http_route: route,
        http_response_status_code: status,
        error_type: errorType,
      });
    expect(count('/ok', '200', '')).toBeGreaterThanOrEqual(2);
    expect(count('/blobs/:id', '404', 'client')).toBe(1);
    expect(count('/blobs/:id', '404', 'expected')).toBe(1);
    expect(count('/boom', '500', 'server')).toBe(1);
    expect(count('/gateway', '504', 'timeout')).toBe(1);
    expect(count('/hang', '', 'timeout')).toBe(1);
    expect(count('unmatched', '404', 'client')).toBe(1);
    // Raw URLs never become label values.
    expect(text).not.toContain('/no/such/path');
    expect(text).not.toContain('/blobs/missing');
    // OpenTelemetry's advised buckets, and process metrics.
    expect(text).toMatch(/http_server_request_duration_seconds_bucket\{le="0.005",/);
    expect(text).toMatch(/http_server_request_duration_seconds_bucket\{le="10",/);
    expect(text).toContain('process_cpu_user_seconds_total');
    // The in-flight gauge returns to the scrape alone.
    expect(sampleValue(samples, 'http_server_active_requests', { http_request_method: 'GET' })).toBe(1);

    await telemetry.flush();
    const spans = await receiver.waitFor((s) =>
      s.some((x) => x.name === 'GET /blobs/:id' && x.attributes['error.type'] === 'expected'),
    );
    const expected = spans.find(
      (x) => x.name === 'GET /blobs/:id' && x.attributes['error.type'] === 'expected',
    )!;
    expect(expected.attributes['vigil.expected_reason']).toBe('probe for a deleted blob');
    expect(expected.statusCode).toBe(0);
    const boom = spans.find((x) => x.name === 'GET /boom')!;
    expect(boom.statusCode).toBe(2);
    const hang = await receiver.waitFor((s) => s.some((x) => x.name === 'GET /hang'));
    expect(hang.find((x) => x.name === 'GET /hang')!.attributes['error.type']).toBe('timeout');
  });

  it('redacts authorization, cookies and secret fields in logs', async () => {
    const body = JSON.stringify({
      user: 'ada',
      password: 'hunter2',
      nested: { api_key: 'k-123', deeper: { token: 't-456' } },
    });
    const status = await new Promise<number>((resolve, reject) => {
      const req = (globalThis as { fetch: typeof fetch }).fetch(`${base}/login`, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          authorization: 'Bearer sekrit-bearer',
          cookie: 'session=sekrit-cookie',
        },
      });
      req.then((r) => resolve(r.status), reject);
    });
    expect(status).toBe(204);
    const line = logs.raw.find((l) => l.includes('login attempt'))!;
    expect(line).toBeDefined();
    for (const secret of ['hunter2', 'k-123', 't-456', 'sekrit-bearer', 'sekrit-cookie']) {
      expect(line).not.toContain(secret);
    }
    const record = JSON.parse(line) as { body: Record<string, unknown>; headers: Record<string, unknown> };
    expect(record.body.user).toBe('ada');
    expect(record.body.password).toBe('[Redacted]');
    expect(record.headers.authorization).toBe('[Redacted]');
    expect(record.headers.cookie).toBe('[Redacted]');
  });

  it('reports readiness from checks, naming each one, with 503 on a critical failure', async () => {
    const local = createTelemetry({
      service: 'ready',
      tracing: false,
      logDestination: new LogLines(),
      env: {},
    });
    let dbUp = true;
    local.health.addCheck('db', () => {
      if (!dbUp) throw new Error('connection refused');
    });
    local.health.addCheck('cache', async () => Promise.reject(new Error('cold')), { critical: false });
    local.health.addCheck('slow', () => new Promise<void>(() => {}), { critical: false, timeoutMs: 50 });
    expect(() => local.health.addCheck('db', () => {})).toThrow(/exists already/);
    const app = express();
    local.mount(app);
    const { url } = await local.listen(app, { port: 0 });
    try {
      const ok = await httpGetText(`${url}/readyz`);
      expect(ok.status).toBe(200);
      const okBody = JSON.parse(ok.body);
      expect(okBody.status).toBe('ok');
      expect(okBody.checks.db.status).toBe('ok');
      expect(okBody.checks.cache).toMatchObject({ status: 'fail', critical: false, error: 'cold' });
      expect(okBody.checks.slow).toMatchObject({ status: 'fail', error: 'timed out after 50 ms' });

      dbUp = false;
      const down = await httpGetText(`${url}/readyz`);
      expect(down.status).toBe(503);
      expect(JSON.parse(down.body).checks.db).toMatchObject({
        status: 'fail',
        critical: true,
        error: 'connection refused',
      });
      // Liveness does not depend on dependencies.
      expect((await httpGetText(`${url}/healthz`)).status).toBe(200);
    } finally {
      await local.shutdown({ graceMs: 1000 });
    }
  });
});
