import { describe, expect, it } from 'vitest';
import { createTelemetry, redactPaths } from '../../instrument/index.ts';
import { LogLines } from './helpers.ts';

describe('instrument: logger', () => {
  it('puts service on every record and the active span ids inside a span, even with no exporter', async () => {
    const logs = new LogLines();
    const t = createTelemetry({ service: 'svc', logDestination: logs, env: {} });
    t.logger.info('outside');
    let ids: { traceId: string; spanId: string } | undefined;
    await t.tracer.startActiveSpan('work', async (span) => {
      await new Promise((r) => setTimeout(r, 5));
      t.logger.child({ part: 'x' }).info('inside');
      ids = span.spanContext();
      span.end();
    });
    await t.shutdown();
    const [outside] = logs.find('outside');
    const [inside] = logs.find('inside');
    expect(outside).toMatchObject({ service: 'svc', level: 'info' });
    expect(outside).not.toHaveProperty('trace_id');
    expect(inside).toMatchObject({ service: 'svc', part: 'x', trace_id: ids!.traceId, span_id: ids!.spanId });
    expect(String(inside!.time)).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('takes the level from LOG_LEVEL', async () => {
    const logs = new LogLines();
    const t = createTelemetry({
      service: 'svc',
      tracing: false,
      logDestination: logs,
      env: { LOG_LEVEL: 'warn' },
    });
    t.logger.info('quiet');
    t.logger.warn('loud');
    await t.shutdown();
    expect(logs.records.map((r) => r.msg)).toEqual(['loud']);
  });

  it('censors secret keys at every depth up to four levels, in any logger', async () => {
    const logs = new LogLines();
    const t = createTelemetry({ service: 'svc', tracing: false, logDestination: logs, env: {} });
    t.logger.child({ component: 'auth' }).info(
      {
        password: 'p1',
        user: { name: 'ada', token: 'p2', api_key: 'p3' },
        req: { headers: { authorization: 'Basic p4', cookie: 'p5', 'x-api-key': 'p6' } },
        res: { headers: { 'set-cookie': ['p7'] } },
        config: { db: { primary: { secret: 'p8', clientSecret: 'p9' } } },
      },
      'secrets',
    );
    await t.shutdown();
    const line = logs.raw.find((l) => l.includes('"secrets"'))!;
    for (let i = 1; i <= 9; i++) expect(line).not.toContain(`p${i}`);
    const record = JSON.parse(line);
    expect(record.user).toEqual({ name: 'ada', token: '[Redacted]', api_key: '[Redacted]' });
    expect(record.req.headers.authorization).toBe('[Redacted]');
    expect(record.res.headers['set-cookie']).toBe('[Redacted]');
    expect(record.config.db.primary.secret).toBe('[Redacted]');
  });

  it('builds wildcard paths for each depth, bracketing keys that are not identifiers', () => {
    expect(redactPaths(['password', 'x-api-key'], 3)).toEqual([
      'password',
      '*.password',
      '*.*.password',
      '["x-api-key"]',
      '*["x-api-key"]',
      '*.*["x-api-key"]',
    ]);
  });
});

describe('instrument: tracing off', () => {
  it('still continues an incoming trace, so log lines carry the caller ids', async () => {
    const { default: express } = await import('express');
    const logs = new LogLines();
    const t = createTelemetry({ service: 'quiet', tracing: false, logDestination: logs, env: {} });
    const app = express();
    app.use(t.middleware());
    app.get('/x', (req, res) => {
      req.log.info('handled');
      res.end('ok');
    });
    const { url } = await t.listen(app, { port: 0 });
    try {
      const traceId = '0af7651916cd43dd8448eb211c80319c';
      const parentId = 'b7ad6b7169203331';
      const res = await fetch(`${url}/x`, { headers: { traceparent: `00-${traceId}-${parentId}-01` } });
      expect(res.status).toBe(200);
      await res.text();
    } finally {
      await t.shutdown({ graceMs: 1000 });
    }
    expect(logs.find('handled')[0]).toMatchObject({
      trace_id: '0af7651916cd43dd8448eb211c80319c',
      span_id: 'b7ad6b7169203331',
    });
  });
});
