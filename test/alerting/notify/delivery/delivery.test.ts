import { afterEach, describe, expect, it } from 'vitest';
import { type DeliveryOptions, DeliveryService } from '../../../../alerting/notify/delivery/index.ts';
import type { Notification } from '../../../../alerting/notify/index.ts';
import { buildReceivers, makeReceiverSchema } from '../../../../alerting/notify/receivers/index.ts';
import { isVigilError, ManualClock, parseConfig, seededRandom } from '../../../../core/index.ts';
import { notification, resolvedNotification, t0 } from '../receivers/fixtures.ts';
import { Recorder } from '../receivers/recorder.ts';
import { stepUntil, tempDir, waitFor } from './helpers.ts';

/**
 * Faults between vigil and a receiver, on a manual clock: errors, rate limits, hangs and an
 * outage of minutes. Every page must arrive, none twice per dedup key, in order per group.
 */

const servers: Recorder[] = [];
const services: DeliveryService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.close();
  for (const r of servers.splice(0)) await r.stop();
});

async function recorder(): Promise<Recorder> {
  const r = await new Recorder().start();
  servers.push(r);
  return r;
}

function pagerduty(url: string) {
  return buildReceivers(
    parseConfig(
      makeReceiverSchema('.'),
      'test.yml',
      `name: ops\npagerduty_configs: [{ routing_key: K, url: '${url}' }]\n`,
    ),
  );
}

function service(url: string, clock: ManualClock, options: Partial<DeliveryOptions> = {}) {
  const logs: Record<string, unknown>[] = [];
  const s = DeliveryService.open({
    dataDir: options.dataDir ?? tempDir(),
    receivers: new Map([['ops', pagerduty(url)]]),
    clock,
    random: seededRandom(7),
    log: (e) => logs.push(e),
    ...options,
  });
  services.push(s);
  s.start();
  return { s, logs };
}

/** Page number i: its own alert group, so its own dedup key. */
function page(i: number, overrides: Partial<Notification> = {}): Notification {
  return notification({ id: `page-${i}`, groupKey: `{}:{alertname="Disk${i}"}`, ...overrides });
}

type Event = { dedup_key: string; event_action: string };
const acceptedKeys = (r: Recorder) => r.accepted().map((q) => (q.body as Event).dedup_key);
const distinct = (xs: string[]) => new Set(xs).size;

describe('delivery under faults', () => {
  it('retries 500s with backoff until the receiver accepts; one page', async () => {
    const r = await recorder();
    const clock = new ManualClock(t0);
    const at: number[] = [];
    r.respond = (_, i) => {
      at.push(clock.now());
      return i < 3 ? { status: 500, body: 'oops' } : { status: 202 };
    };
    const { s } = service(r.url, clock);
    s.deliver(page(1));
    await stepUntil(clock, () => r.accepted().length === 1, { stepMs: 250 });
    await clock.advance(60_000);
    expect(r.requests).toHaveLength(4);
    expect(r.accepted()).toHaveLength(1);
    // Full jitter: each wait is within its doubling window (500ms, 1s, 2s; plus a step of slack).
    for (let i = 1; i < at.length; i++)
      expect(at[i]! - at[i - 1]!).toBeLessThanOrEqual(500 * 2 ** (i - 1) + 250);
    expect(s.metrics.total('delivered')).toBe(1);
    expect(s.metricsText()).toMatch(
      /vigil_notification_retries_total\{receiver="ops",integration="pagerduty"\} 3/,
    );
    expect(s.metricsText()).toMatch(
      /vigil_notifications_total\{receiver="ops",integration="pagerduty",result="delivered"\} 1/,
    );
    expect(s.queueDepth()).toBe(0);
  });

  it('honours Retry-After of a 429 and does not count it against the breaker', async () => {
    const r = await recorder();
    const clock = new ManualClock(t0);
    const at: number[] = [];
    r.respond = (_, i) => {
      at.push(clock.now());
      return i < 6 ? { status: 429, headers: { 'retry-after': '120' } } : { status: 202 };
    };
    const { s } = service(r.url, clock);
    s.deliver(page(1));
    await stepUntil(clock, () => r.accepted().length === 1, { stepMs: 5000 });
    expect(r.requests).toHaveLength(7);
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(120_000);
    expect(s.lanesView()[0]!.breakerState).toBe('closed');
  });

  it('a hanging receiver is cut at the send timeout and retried; the page arrives once', async () => {
    const r = await recorder();
    const clock = new ManualClock(t0);
    r.respond = (_, i) => (i === 0 ? 'hang' : { status: 202 });
    const { s, logs } = service(r.url, clock, { sendTimeoutMs: 10_000 });
    s.deliver(page(1));
    await waitFor(() => r.requests.length === 1);
    await clock.advance(9_000);
    expect(r.requests).toHaveLength(1);
    await stepUntil(clock, () => r.accepted().length === 1, { stepMs: 500 });
    expect(logs.some((l) => String(l.error).includes('timed out after 10000 ms'))).toBe(true);
    expect(acceptedKeys(r)).toHaveLength(1);
  });

  it('a receiver down for minutes: the breaker opens, half-opens, and every page arrives once', async () => {
    const r = await recorder();
    const port = r.port;
    const url = r.url;
    await r.stop();
    const clock = new ManualClock(t0);
    const { s } = service(url, clock, { breaker: { failureThreshold: 5, cooldownMs: 30_000 } });
    for (let i = 0; i < 20; i++) s.deliver(page(i));
    await stepUntil(clock, () => s.lanesView()[0]!.breakerState === 'open', { stepMs: 200 });
    // Ten simulated minutes of outage.
    const retriesAtOpen = Number(/retries_total\{[^}]*\} (\d+)/.exec(s.metricsText())![1]);
    for (let i = 0; i < 60; i++) {
      await clock.advance(10_000);
      await new Promise((res) => setTimeout(res, 2));
    }
    const retriesAfter = Number(/retries_total\{[^}]*\} (\d+)/.exec(s.metricsText())![1]);
    // Open: one probe per 30s cooldown, not 20 pages hammering a dead receiver.
    expect(retriesAfter - retriesAtOpen).toBeLessThanOrEqual(600_000 / 30_000 + 1);
    expect(s.queueDepth()).toBe(20);
    expect(s.metricsText()).toMatch(
      /vigil_notification_breaker_state\{receiver="ops",integration="pagerduty"\} [12]/,
    );
    const back = new Recorder();
    back.respond = () => ({ status: 202 });
    await back.start(port);
    servers.push(back);
    await stepUntil(clock, () => back.accepted().length === 20, { stepMs: 1000 });
    expect(distinct(acceptedKeys(back))).toBe(20);
    expect(acceptedKeys(back)).toHaveLength(20);
    expect(s.lanesView()[0]!.breakerState).toBe('closed');
    expect(back.maxActive).toBeLessThanOrEqual(4);
  });

  it('a resolve never overtakes its trigger; a queued one is superseded by the newer state', async () => {
    const r = await recorder();
    const clock = new ManualClock(t0);
    let release: () => void = () => {};
    const gate = new Promise<void>((res) => {
      release = res;
    });
    r.respond = async (_, i) => {
      if (i === 0) await gate;
      return { status: 202 };
    };
    const { s } = service(r.url, clock);
    s.deliver(notification({ id: 'trigger' }));
    await waitFor(() => r.requests.length === 1);
    s.deliver(resolvedNotification({ id: 'resolve' }));
    await new Promise((res) => setTimeout(res, 100));
    await clock.advance(1000);
    expect(r.requests).toHaveLength(1);
    release();
    await waitFor(() => r.requests.length === 2);
    expect(r.requests.map((q) => (q.body as Event).event_action)).toEqual(['trigger', 'resolve']);

    // While the receiver fails, trigger then resolve of a new group: only the newest state goes.
    r.respond = (_, i) => (i < 4 ? { status: 500 } : { status: 202 });
    s.deliver(page(9, { id: 'p9-trigger' }));
    await waitFor(() => r.requests.length === 3);
    // The 500 has been handled (a retry is scheduled): the trigger waits, no longer in flight.
    await waitFor(() => /vigil_notification_retries_total\{[^}]*\} 1/.test(s.metricsText()));
    s.deliver(page(9, { id: 'p9-resolve', status: 'resolved', alerts: resolvedNotification().alerts }));
    await stepUntil(clock, () => s.queueDepth() === 0, { stepMs: 250 });
    const last = r
      .accepted()
      .slice(2)
      .map((q) => (q.body as Event).event_action);
    expect(last).toEqual(['resolve']);
    expect(s.metrics.total('superseded')).toBe(1);
  });

  it('gives up after the max age, counted as failed; a 4xx is not retried', async () => {
    const r = await recorder();
    const clock = new ManualClock(t0);
    r.respond = (q) =>
      (q.body as Event).dedup_key === acceptedKeyOf(page(2)) ? { status: 400 } : { status: 503 };
    const { s, logs } = service(r.url, clock, { maxAgeMs: 3_600_000 });
    s.deliver(page(1));
    s.deliver(page(2));
    await stepUntil(clock, () => s.queueDepth() === 0, { stepMs: 60_000, maxSteps: 100 });
    expect(clock.now() - t0).toBeGreaterThanOrEqual(3_600_000);
    expect(s.metrics.total('failed')).toBe(2);
    expect(r.requests.filter((q) => (q.body as Event).dedup_key === acceptedKeyOf(page(2)))).toHaveLength(1);
    expect(logs.some((l) => l.msg === 'notification given up after max age')).toBe(true);
    expect(logs.some((l) => l.msg === 'notification refused by receiver, not retried')).toBe(true);
  });

  it('many groups at once: bounded concurrency toward the receiver', async () => {
    const r = await recorder();
    const clock = new ManualClock(t0);
    r.respond = async () => {
      await new Promise((res) => setTimeout(res, 5));
      return { status: 202 };
    };
    const { s } = service(r.url, clock, { concurrency: 4 });
    for (let i = 0; i < 200; i++) s.deliver(page(i));
    await waitFor(() => r.accepted().length === 200, 20_000);
    expect(r.maxActive).toBeLessThanOrEqual(4);
    expect(distinct(acceptedKeys(r))).toBe(200);
  });

  it('close() aborts a send in flight and keeps it pending for the next start', async () => {
    const r = await recorder();
    const clock = new ManualClock(t0);
    r.respond = () => 'hang';
    const dataDir = tempDir();
    const { s } = service(r.url, clock, { dataDir });
    s.deliver(page(1));
    await waitFor(() => r.requests.length === 1);
    await s.close();
    r.respond = () => ({ status: 202 });
    const { s: again } = service(r.url, clock, { dataDir });
    expect(again.replay.pendingNotifications).toBe(1);
    await waitFor(() => r.accepted().length === 1);
  });

  it('a receiver that throws is a counted failure; an integration removed by reload drops its queue', async () => {
    const clock = new ManualClock(t0);
    const { s, logs } = service('http://127.0.0.1:9', clock);
    s.setReceivers(
      new Map([
        [
          'ops',
          [
            {
              name: 'ops',
              kind: 'webhook',
              send: () => {
                throw new TypeError('bug in a receiver');
              },
            },
          ],
        ],
      ]),
    );
    s.deliver(page(1));
    await waitFor(() => s.metrics.total('failed') === 1);
    expect(logs.some((l) => String(l.error).includes('bug in a receiver'))).toBe(true);
    s.setReceivers(new Map([['ops', pagerduty('http://127.0.0.1:9')]]));
    s.deliver(page(2));
    expect(s.queueDepth()).toBe(1);
    s.setReceivers(new Map([['ops', []]]));
    // What was in flight finishes; nothing is sent to the removed integration afterwards.
    await waitFor(() => s.queueDepth() === 0);
    expect(s.metrics.total('dropped')).toBe(1);
    expect(s.lanesView()).toEqual([]);
  });

  it('refuses what it cannot accept: thrown (so the dispatcher retries), logged and counted', async () => {
    const clock = new ManualClock(t0);
    const { s, logs } = service('http://127.0.0.1:9', clock, { maxPending: 1 });
    expect(() => s.deliver(notification({ receiver: 'nobody' }))).toThrow(/unknown receiver "nobody"/);
    expect(s.metricsText()).toMatch(/vigil_notifications_dropped_total\{receiver="nobody"\} 1/);
    expect(logs[0]!.msg).toBe('notification refused');
    s.deliver(page(1));
    let err: unknown;
    try {
      s.deliver(page(2));
    } catch (e) {
      err = e;
    }
    expect(isVigilError(err, 'limit')).toBe(true);
    expect(s.metricsText()).toMatch(/vigil_notifications_dropped_total\{receiver="ops"\} 1/);
    await s.close();
    expect(() => s.deliver(page(3))).toThrow(/closed/);
  });
});

import { createHash } from 'node:crypto';

function acceptedKeyOf(n: Notification): string {
  return createHash('sha256').update(n.groupKey).digest('hex');
}
