import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetry } from '../../instrument/index.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../support/otlp-receiver.ts';
import { LogLines } from './helpers.ts';

/**
 * Graceful shutdown: stop accepting, let in-flight requests finish, then flush spans and logs.
 * Spans are asserted on right after shutdown resolves, without any other flush: what shutdown
 * does not deliver is lost in a real pod.
 */
describe('instrument: graceful shutdown', () => {
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });

  afterAll(async () => {
    await receiver?.close();
  });

  function service(name: string) {
    const logs = new LogLines();
    const telemetry = createTelemetry({
      service: name,
      otlpEndpoint: receiver.url,
      logDestination: logs,
      env: {},
    });
    const app = express();
    app.use(telemetry.middleware());
    let arrived: () => void = () => {};
    const arrival = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    app.get('/slow/:ms', async (req, res) => {
      arrived();
      await new Promise((r) => setTimeout(r, Number(req.params.ms)));
      req.log.info('slow done');
      res.json({ done: true });
    });
    app.get('/ok', (_req, res) => {
      res.json({ ok: true });
    });
    return { telemetry, app, logs, arrival };
  }

  it('lets a slow in-flight request complete, refuses new connections, and delivers its span', async () => {
    const { telemetry, app, logs, arrival } = service('drain-ok');
    const { url } = await telemetry.listen(app, { port: 0 });
    const slow = fetch(`${url}/slow/400`).then(async (r) => ({ status: r.status, body: await r.json() }));
    await arrival;
    const stopped = telemetry.shutdown({ graceMs: 20_000 });
    // The listener is closed as soon as shutdown starts.
    await expect(fetch(`${url}/ok`)).rejects.toThrow();
    expect(await slow).toEqual({ status: 200, body: { done: true } });
    await stopped;
    const span = receiver.spans.find((s) => s.service === 'drain-ok' && s.name === 'GET /slow/:ms');
    expect(span).toBeDefined();
    expect(span!.attributes['http.response.status_code']).toBe(200);
    expect(span!.attributes['error.type']).toBeUndefined();
    // Logs were written in order and flushed: the request's line, then the end of shutdown.
    const messages = logs.records.map((r) => r.msg);
    expect(messages.indexOf('slow done')).toBeGreaterThan(-1);
    expect(messages.indexOf('shutdown complete')).toBeGreaterThan(messages.indexOf('slow done'));
    expect(logs.find('slow done')[0]!.trace_id).toBe(span!.traceId);
    // Idempotent.
    await telemetry.shutdown();
  });

  it('cuts a request still running after the grace period, and still delivers its span as a timeout', async () => {
    const { telemetry, app, arrival } = service('drain-cut');
    const { url } = await telemetry.listen(app, { port: 0 });
    const slow = fetch(`${url}/slow/30000`).then(
      (r) => r.status,
      () => 'cut',
    );
    await arrival;
    await telemetry.shutdown({ graceMs: 200 });
    expect(await slow).toBe('cut');
    const span = receiver.spans.find((s) => s.service === 'drain-cut' && s.name === 'GET /slow/:ms');
    expect(span).toBeDefined();
    expect(span!.attributes['error.type']).toBe('timeout');
    expect(span!.statusCode).toBe(2);
  });
});
