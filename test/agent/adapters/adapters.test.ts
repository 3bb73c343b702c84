import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compileJsonRules,
  infoToFamilies,
  jsonHttpAdapter,
  parseStatsdLine,
  redisInfoAdapter,
  reexportAdapter,
  StatsdStore,
  statsdAdapter,
} from '../../../agent/adapters/index.ts';
import { relabelConfigsSchema, writeExposition } from '../../../core/index.ts';
import { needService } from '../../support/requires.ts';

const signal = () => new AbortController().signal;

describe('re-export adapter', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/metrics') {
        res.setHeader('content-type', 'text/plain; version=0.0.4');
        res.end(
          '# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\nhttp_requests_total{path="/a",secret="x"} 3\n' +
            '# TYPE go_goroutines gauge\ngo_goroutines 12\n# TYPE old_name gauge\nold_name 7\n',
        );
      } else res.writeHead(500).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('drops, renames and relabels samples', async () => {
    const relabel = relabelConfigsSchema.parse([
      { source_labels: ['__name__'], regex: 'go_.*', action: 'drop' },
      { action: 'labeldrop', regex: 'secret' },
      { source_labels: ['__name__'], regex: 'old_name', target_label: '__name__', replacement: 'new_name' },
    ]);
    const families = await reexportAdapter({ name: 'app', url: `${url}/metrics`, relabel }).collect(signal());
    const text = writeExposition(families);
    expect(text).toContain('http_requests_total{path="/a"} 3');
    expect(text).toContain('new_name 7');
    expect(text).not.toContain('go_goroutines');
    expect(text).not.toContain('secret');
  });

  it('rejects when the endpoint fails', async () => {
    await expect(reexportAdapter({ name: 'app', url: `${url}/broken` }).collect(signal())).rejects.toThrow(
      /answered HTTP 500/,
    );
  });
});

describe('StatsD', () => {
  it('parses counters, gauges, timers, rates and both tag styles; refuses junk', () => {
    expect(parseStatsdLine('api.hits:3|c|@0.5|#env:prod,canary')).toEqual({
      name: 'api.hits',
      value: 3,
      type: 'c',
      relative: false,
      rate: 0.5,
      tags: { env: 'prod', canary: '' },
    });
    expect(parseStatsdLine('q.depth:-2|g')).toMatchObject({ relative: true, value: -2 });
    expect(parseStatsdLine('db.query,table=users:12.5|ms')).toMatchObject({
      name: 'db.query',
      tags: { table: 'users' },
      value: 12.5,
      type: 'ms',
    });
    for (const bad of ['nocolon', 'a:1', 'a:x|c', 'a:1|z', 'a:1|c|@2', ':1|c'])
      expect(parseStatsdLine(bad)).toBeUndefined();
  });

  it('never throws on any packet (fuzzed)', () => {
    const store = new StatsdStore([{ match: 'a.*.b', name: 'ab_total', labels: { x: '$1' } }], 100);
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (packet) => {
        store.ingest(packet);
        writeExposition(store.families());
      }),
      { seed: 11, numRuns: 500 },
    );
  });

  it('maps names to metrics with labels over real UDP, and bounds the series', async () => {
    const adapter = await statsdAdapter({
      name: 'statsd',
      port: 0,
      maxSeries: 3,
      mappings: [
        { match: 'myapp.*.requests', name: 'myapp_requests_total', labels: { service: '$1' } },
        {
          match: 'myapp.*.latency',
          name: 'myapp_latency_seconds',
          labels: { service: '$1' },
          buckets: [0.1, 1],
        },
      ],
    });
    const client = createSocket('udp4');
    const send = (msg: string) =>
      new Promise<void>((r) => client.send(msg, adapter.port, '127.0.0.1', () => r()));
    await send(
      'myapp.api.requests:1|c\nmyapp.api.requests:2|c|@0.5\nmyapp.api.latency:50|ms\nmyapp.api.latency:500|ms',
    );
    await send('queue.depth:10|g\nqueue.depth:+5|g\nbad line\nother.one:1|c');
    const deadline = Date.now() + 10_000;
    while (adapter.store.stats.lines < 8 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const text = writeExposition(await adapter.collect(signal()));
    expect(text).toContain('myapp_requests_total{service="api"} 5');
    expect(text).toContain('myapp_latency_seconds_bucket{service="api",le="0.1"} 1');
    expect(text).toContain('myapp_latency_seconds_count{service="api"} 2');
    expect(text).toContain('queue_depth 15');
    expect(adapter.store.stats.bad).toBe(1);
    expect(adapter.store.stats.droppedSeries).toBe(1);
    client.close();
    await adapter.close?.();
  });
});

describe('Redis INFO adapter', () => {
  it('maps INFO fields to redis_exporter names', () => {
    const text = writeExposition(
      infoToFamilies(
        '# Server\r\nredis_version:7.2.4\r\nrole:master\r\nuptime_in_seconds:100\r\n# Clients\r\nconnected_clients:3\r\n# Memory\r\nused_memory:1024\r\n' +
          '# Stats\r\ntotal_commands_processed:42\r\nkeyspace_hits:5\r\n# Commandstats\r\ncmdstat_get:calls=7,usec=350,usec_per_call=50.00\r\n# Keyspace\r\ndb0:keys=10,expires=2,avg_ttl=0\r\n',
      ),
    );
    for (const line of [
      'redis_up 1',
      'redis_connected_clients 3',
      'redis_memory_used_bytes 1024',
      'redis_commands_processed_total 42',
      'redis_keyspace_hits_total 5',
      'redis_db_keys{db="db0"} 10',
      'redis_db_keys_expiring{db="db0"} 2',
      'redis_commands_total{cmd="get"} 7',
      'redis_commands_duration_seconds_total{cmd="get"} 0.00035',
    ]) {
      expect(text).toContain(line);
    }
    expect(text).toMatch(/redis_instance_info\{role="master",redis_version="7\.2\.4"/);
  });

  it('reads the real Redis', async () => {
    if (await needService('redis', 6379)) return;
    const adapter = redisInfoAdapter({ name: 'redis', url: 'redis://127.0.0.1:6379' });
    const text = writeExposition(await adapter.collect(signal()));
    expect(text).toMatch(/^redis_connected_clients \d+$/m);
    expect(text).toMatch(/^redis_commands_processed_total \d+$/m);
    await adapter.close?.();
  });
});

describe('JSON adapter', () => {
  it('maps paths, arrays and object entries to metrics', () => {
    const map = compileJsonRules([
      { name: 'app_up', value: 'status.up' },
      { name: 'queue_depth', each: 'queues', value: 'depth', labels: { queue: 'name' } },
      { name: 'worker_busy', each: 'workers', value: 'busy', labels: { worker: '$key' } },
      { name: 'first_depth', value: 'queues[0].depth' },
    ]);
    const text = writeExposition(
      map({
        status: { up: true },
        queues: [
          { name: 'mail', depth: 3 },
          { name: 'sms', depth: '4' },
          { name: 'x', depth: 'n/a' },
        ],
        workers: { w1: { busy: false } },
      }),
    );
    expect(text).toContain('app_up 1');
    expect(text).toContain('queue_depth{queue="mail"} 3');
    expect(text).toContain('queue_depth{queue="sms"} 4');
    expect(text).not.toContain('queue="x"');
    expect(text).toContain('worker_busy{worker="w1"} 0');
    expect(text).toContain('first_depth 3');
  });

  it('fetches over HTTP and refuses non-JSON', async () => {
    let body = '{"depth": 9}';
    const server = createServer((_req, res) => res.end(body));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const adapter = jsonHttpAdapter({ name: 'j', url, metrics: [{ name: 'depth', value: 'depth' }] });
    expect(writeExposition(await adapter.collect(signal()))).toContain('depth 9');
    body = '<html>';
    await expect(adapter.collect(signal())).rejects.toThrow(/did not return JSON/);
    await new Promise<void>((r) => server.close(() => r()));
  });
});
