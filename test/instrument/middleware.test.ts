import http from 'node:http';
import express from 'express';
import type { Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { createTelemetry } from '../../instrument/index.ts';
import { eventually, LogLines, parseSamples, sampleValue } from './helpers.ts';

describe('instrument: middleware edge cases', () => {
  it('measures a request once when the middleware is installed twice', async () => {
    const t = createTelemetry({ service: 'twice', tracing: false, logDestination: new LogLines(), env: {} });
    const app = express();
    app.use(t.middleware());
    app.use(t.middleware());
    app.get('/x', (_req, res) => {
      res.end('ok');
    });
    const { url } = await t.listen(app, { port: 0 });
    try {
      await (await fetch(`${url}/x`)).text();
      // The observation happens when the server sees the response close, just after the client has it.
      const samples = await eventually(async () => {
        const s = parseSamples(await t.registry.metrics());
        return sampleValue(s, 'http_server_request_duration_seconds_count', { http_route: '/x' }) ===
          undefined
          ? undefined
          : s;
      });
      expect(
        sampleValue(samples, 'http_server_request_duration_seconds_count', {
          http_route: '/x',
          error_type: '',
        }),
      ).toBe(1);
      expect(sampleValue(samples, 'http_server_active_requests', { http_request_method: 'GET' })).toBe(0);
    } finally {
      await t.shutdown({ graceMs: 1000 });
    }
  });

  it("leaves an app's own req.log alone, and lets a handler replace req.log", async () => {
    const logs = new LogLines();
    const t = createTelemetry({ service: 'own-log', tracing: false, logDestination: logs, env: {} });
    const mine = { info: () => 'mine' } as unknown as Logger;
    const ownApp = express();
    Object.defineProperty(ownApp.request, 'log', { value: mine, writable: true, configurable: true });
    ownApp.use(t.middleware());
    ownApp.get('/x', (req, res) => {
      res.json({ ours: req.log !== mine });
    });
    const plainApp = express();
    plainApp.use(t.middleware());
    plainApp.get('/x', (req, res) => {
      const first = req.log;
      req.log = first.child({ extra: 1 });
      req.log.info('replaced');
      res.json({ same: req.log === first });
    });
    const own = await t.listen(ownApp, { port: 0 });
    const plain = await t.listen(plainApp, { port: 0 });
    try {
      // The app's own property is shadowed per request by ours (assigned), never redefined on its prototype.
      expect(await (await fetch(`${own.url}/x`)).json()).toEqual({ ours: true });
      expect(Object.getOwnPropertyDescriptor(ownApp.request, 'log')?.value).toBe(mine);
      expect(await (await fetch(`${plain.url}/x`)).json()).toEqual({ same: false });
      expect(logs.find('replaced')[0]).toMatchObject({ extra: 1, url_path: '/x' });
    } finally {
      await t.shutdown({ graceMs: 1000 });
    }
  });

  it('patches node:http for outgoing requests only while a telemetry object runs', async () => {
    const wrapped = () => Boolean((http.request as unknown as { __wrapped?: boolean }).__wrapped);
    const t = createTelemetry({ service: 'patch', logDestination: new LogLines(), env: {} });
    expect(wrapped()).toBe(true);
    await t.shutdown({ graceMs: 100 });
    expect(wrapped()).toBe(false);
  });
});
