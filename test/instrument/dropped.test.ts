import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetry } from '../../instrument/index.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../support/otlp-receiver.ts';
import { LogLines, parseSamples, sampleValue } from './helpers.ts';

/** Spans that never reach the collector are counted, not lost silently. */
describe('instrument: dropped spans are counted', () => {
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });

  afterAll(async () => {
    await receiver?.close();
  });

  it('counts spans past the batch queue bound as queue_full, and delivers the rest', async () => {
    const t = createTelemetry({
      service: 'flood',
      otlpEndpoint: receiver.url,
      logDestination: new LogLines(),
      env: {},
    });
    // Ended synchronously, faster than any export can start: the queue holds 2048.
    for (let i = 0; i < 3000; i++) t.tracer.startSpan(`s${i}`).end();
    await t.shutdown();
    const samples = parseSamples(await t.registry.metrics());
    const dropped =
      sampleValue(samples, 'vigil_instrument_spans_dropped_total', { reason: 'queue_full' }) ?? 0;
    const delivered = receiver.spans.filter((s) => s.service === 'flood').length;
    // Full batches leave the queue as soon as they form, so how many fit depends on timing;
    // what must hold is that none is lost without being counted.
    expect(dropped).toBeGreaterThan(0);
    expect(delivered).toBeGreaterThanOrEqual(2048);
    expect(delivered + dropped).toBe(3000);
  });

  it('counts spans of a refused export as export_failed', async () => {
    // A collector that refuses every export with a non-retryable status.
    const refusing = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(400).end());
    });
    await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`;
    try {
      const logs = new LogLines();
      const t = createTelemetry({ service: 'refused', otlpEndpoint: url, logDestination: logs, env: {} });
      for (let i = 0; i < 5; i++) t.tracer.startSpan(`s${i}`).end();
      await t.shutdown();
      const samples = parseSamples(await t.registry.metrics());
      expect(sampleValue(samples, 'vigil_instrument_spans_dropped_total', { reason: 'export_failed' })).toBe(
        5,
      );
      // Shutdown resolved despite the collector, and said why spans are missing.
      expect(logs.find('span export failed')).not.toHaveLength(0);
    } finally {
      refusing.closeAllConnections();
      await new Promise<void>((r) => refusing.close(() => r()));
    }
  });
});
