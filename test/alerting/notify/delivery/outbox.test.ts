import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryService, Outbox } from '../../../../alerting/notify/delivery/index.ts';
import { buildReceivers, makeReceiverSchema } from '../../../../alerting/notify/receivers/index.ts';
import { isVigilError, parseConfig } from '../../../../core/index.ts';
import { notification } from '../receivers/fixtures.ts';
import { Recorder } from '../receivers/recorder.ts';
import { tempDir, waitFor } from './helpers.ts';

const n = (i: number) => notification({ id: `n-${i}`, groupKey: `{}:{alertname="Disk${i}"}` });

describe('outbox', () => {
  it('keeps what is not acknowledged across reopen, per integration', () => {
    const dir = tempDir();
    const { outbox } = Outbox.open(dir);
    outbox.enqueue(n(1), ['pagerduty[0]', 'webhook[0]'], 1);
    outbox.enqueue(n(2), ['pagerduty[0]'], 2);
    outbox.ack('n-1', 'pagerduty[0]', 'delivered');
    outbox.ack('n-2', 'pagerduty[0]', 'failed');
    outbox.close();
    const { outbox: again, report } = Outbox.open(dir);
    expect(report).toEqual({
      pendingNotifications: 1,
      pendingDeliveries: 1,
      discardedBytes: 0,
      corruptRecords: 0,
    });
    expect(again.pending().map((e) => [e.notification.id, [...e.to], e.acceptedAt])).toEqual([
      ['n-1', ['webhook[0]'], 1],
    ]);
    again.close();
  });

  it('discards a torn last record and reports its size; skips and counts a corrupt one', () => {
    const dir = tempDir();
    const { outbox } = Outbox.open(dir);
    outbox.enqueue(n(1), ['pagerduty[0]'], 1);
    outbox.close();
    const log = join(dir, 'outbox.log');
    appendFileSync(log, 'garbage that is not json\n{"op":"enq","n":{"id":"n-9"');
    const { outbox: again, report } = Outbox.open(dir);
    expect(report.discardedBytes).toBe(Buffer.byteLength('{"op":"enq","n":{"id":"n-9"'));
    expect(report.corruptRecords).toBe(1);
    expect(again.pending().map((e) => e.notification.id)).toEqual(['n-1']);
    // Open compacted the log: the torn record is gone, appends start on a clean line.
    expect(readFileSync(log, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
    again.close();
  });

  it('compacts once enough records are acknowledged', () => {
    const dir = tempDir();
    const { outbox } = Outbox.open(dir, { compactAfter: 100 });
    for (let i = 0; i < 200; i++) outbox.enqueue(n(i), ['webhook[0]'], i);
    const before = statSync(join(dir, 'outbox.log')).size;
    for (let i = 0; i < 150; i++) outbox.ack(`n-${i}`, 'webhook[0]', 'delivered');
    const after = statSync(join(dir, 'outbox.log')).size;
    expect(after).toBeLessThan(before);
    outbox.close();
    expect(Outbox.open(dir).outbox.size).toBe(50);
  });

  it('is bounded: past maxPending it refuses with a limit error', () => {
    const { outbox } = Outbox.open(tempDir(), { maxPending: 2 });
    outbox.enqueue(n(1), ['webhook[0]'], 1);
    outbox.enqueue(n(2), ['webhook[0]'], 1);
    let err: unknown;
    try {
      outbox.enqueue(n(3), ['webhook[0]'], 1);
    } catch (e) {
      err = e;
    }
    expect(isVigilError(err, 'limit')).toBe(true);
    outbox.close();
  });
});

describe('outbox replay of a log cut anywhere (fuzzed)', () => {
  it('never throws, and keeps exactly what the complete records say is pending', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('enq' as const),
        id: fc.integer({ min: 0, max: 9 }),
        to: fc.subarray(['a[0]', 'b[0]'], { minLength: 1 }),
      }),
      fc.record({
        kind: fc.constant('ack' as const),
        id: fc.integer({ min: 0, max: 9 }),
        to: fc.constantFrom('a[0]', 'b[0]'),
      }),
    );
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 30 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (ops, cutAt) => {
          const dir = tempDir('vigil-outbox-fuzz-');
          const { outbox } = Outbox.open(dir, { compactAfter: 1_000_000 });
          const log = join(dir, 'outbox.log');
          // The model: pending integrations per id after each complete record, by log size.
          const model = new Map<string, Set<string>>();
          const snapshots: { size: number; pending: Map<string, Set<string>> }[] = [
            { size: statSync(log).size, pending: new Map() },
          ];
          for (const o of ops) {
            const id = `n-${o.id}`;
            if (o.kind === 'enq') {
              if (model.has(id)) continue;
              outbox.enqueue(n(o.id), o.to, 1);
              model.set(id, new Set(o.to));
            } else {
              if (!model.get(id)?.has(o.to)) continue;
              outbox.ack(id, o.to, 'delivered');
              model.get(id)!.delete(o.to);
              if (model.get(id)!.size === 0) model.delete(id);
            }
            snapshots.push({
              size: statSync(log).size,
              pending: new Map([...model].map(([k, v]) => [k, new Set(v)])),
            });
          }
          outbox.close();
          const full = readFileSync(log);
          const cut = Math.floor(cutAt * full.length);
          writeFileSync(log, full.subarray(0, cut));
          const { outbox: again, report } = Outbox.open(dir);
          const expected = [...snapshots].reverse().find((snap) => snap.size <= cut)!;
          const got = new Map(again.pending().map((e) => [e.notification.id, e.to]));
          expect(got).toEqual(expected.pending);
          expect(report.discardedBytes).toBe(cut - expected.size);
          expect(report.corruptRecords).toBe(0);
          again.close();
          rmSync(dir, { recursive: true, force: true });
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('kill -9 between accepting and delivering', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('a new process delivers every accepted page after restart, with the same dedup keys', async () => {
    const dir = tempDir();
    const receiver = await new Recorder().start();
    cleanup.push(() => receiver.stop());
    // Down: the first process can accept but never deliver.
    receiver.respond = () => ({ status: 503 });
    const count = 25;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, 'fixtures', 'accept-child.ts'),
        dir,
        receiver.url,
        String(count),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    cleanup.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.stderr.on('data', (c) => {
      err += c;
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_, signal) => resolve(signal)),
    );
    await waitFor(() => out.includes('accepted') || child.exitCode !== null, 20_000).catch(() => {});
    expect(err).toBe('');
    expect(out).toContain('accepted');
    // Let it fail a few sends so the dedup keys it used are on record.
    await waitFor(() => receiver.requests.length >= 5);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const keysBefore = new Set(receiver.requests.map((q) => (q.body as { dedup_key: string }).dedup_key));

    receiver.respond = () => ({ status: 202 });
    const receivers = buildReceivers(
      parseConfig(
        makeReceiverSchema('.'),
        'test.yml',
        `name: ops\npagerduty_configs: [{ routing_key: K, url: '${receiver.url}' }]\n`,
      ),
    );
    const service = DeliveryService.open({
      dataDir: dir,
      receivers: new Map([['ops', receivers]]),
      log: () => {},
    });
    cleanup.push(() => service.close());
    expect(service.replay.pendingNotifications).toBe(count);
    service.start();
    await waitFor(() => receiver.accepted().length >= count);
    const delivered = receiver.accepted().map((q) => (q.body as { dedup_key: string }).dedup_key);
    expect(delivered).toHaveLength(count);
    expect(new Set(delivered).size).toBe(count);
    const expected = Array.from({ length: count }, (_, i) =>
      createHash('sha256').update(`{}:{alertname="Disk${i}"}`).digest('hex'),
    );
    expect(new Set(delivered)).toEqual(new Set(expected));
    for (const k of keysBefore) expect(expected).toContain(k);
    await waitFor(() => service.queueDepth() === 0);
    await service.close();
    // Acknowledged: a third start has nothing left to send.
    const third = DeliveryService.open({
      dataDir: dir,
      receivers: new Map([['ops', receivers]]),
      log: () => {},
    });
    expect(third.replay.pendingNotifications).toBe(0);
    await third.close();
  });
});
