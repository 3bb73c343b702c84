import { createServer } from 'node:http';
import { Toxiproxy } from 'toxiproxy-node-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ProxyCollection,
  type ProxyServer,
  proxyApiHandler,
  startProxyServer,
} from '../../../chaos/proxy/index.ts';
import { ManualClock, seededRandom } from '../../../core/index.ts';
import { needBinary } from '../../support/requires.ts';
import { pingMs, RawClient, startRedis } from '../support/servers.ts';

const missing = needBinary('redis-server', 'redis-server');

describe.skipIf(missing)('Toxiproxy API, driven by the unmodified toxiproxy-node-client', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let server: ProxyServer;
  let toxiproxy: Toxiproxy;

  beforeAll(async () => {
    redis = await startRedis();
    server = await startProxyServer({ port: 0, seed: 5 });
    toxiproxy = new Toxiproxy(server.url);
  });
  afterAll(async () => {
    await server?.close();
    await redis?.stop();
  });

  it('creates, lists, shows, updates and removes proxies and toxics', async () => {
    const proxy = await toxiproxy.createProxy({
      name: 'redis',
      listen: '127.0.0.1:0',
      upstream: `127.0.0.1:${redis.port}`,
    });
    expect(proxy.name).toBe('redis');
    expect(proxy.enabled).toBe(true);
    const port = Number(proxy.listen.split(':').pop());
    expect(port).toBeGreaterThan(0);

    const all = await toxiproxy.getAll();
    expect(Object.keys(all)).toEqual(['redis']);

    const toxic = await proxy.addToxic({
      name: 'slow',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 250, jitter: 0 },
    });
    expect(toxic.toJson()).toEqual({
      name: 'slow',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 250, jitter: 0 },
    });

    const c = new RawClient(port);
    await c.connected();
    expect(await pingMs(c)).toBeGreaterThanOrEqual(240);

    const updated = await toxic.update({ ...toxic.toJson(), attributes: { latency: 0, jitter: 0 } });
    expect(updated.attributes).toEqual({ latency: 0, jitter: 0 });
    expect((await proxy.getToxic('slow')).attributes).toEqual({ latency: 0, jitter: 0 });
    expect(await pingMs(c)).toBeLessThan(240);

    await toxic.remove();
    expect((await toxiproxy.get('redis')).toJson()).toMatchObject({ name: 'redis', enabled: true });

    const disabled = await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    expect(disabled.enabled).toBe(false);
    await c.waitClosed();
    const enabled = await disabled.update({ enabled: true, listen: proxy.listen, upstream: proxy.upstream });
    expect(enabled.enabled).toBe(true);

    await proxy.remove();
    expect(await toxiproxy.getAll()).toEqual({});
  });

  it('populates and resets', async () => {
    const proxies = await toxiproxy.populate([
      { name: 'a', listen: '127.0.0.1:0', upstream: `127.0.0.1:${redis.port}` },
      { name: 'b', listen: '127.0.0.1:0', upstream: `127.0.0.1:${redis.port}` },
    ]);
    expect(Object.keys(proxies).sort()).toEqual(['a', 'b']);
    await proxies['a']!.addToxic({
      name: 't',
      type: 'timeout',
      stream: 'upstream',
      toxicity: 1,
      attributes: { timeout: 0 },
    });
    await proxies['b']!.update({
      enabled: false,
      listen: proxies['b']!.listen,
      upstream: proxies['b']!.upstream,
    });
    await toxiproxy.reset();
    const after = await toxiproxy.getAll();
    expect(after['a']!.enabled).toBe(true);
    expect(after['b']!.enabled).toBe(true);
    const raw = (await (await fetch(`${server.url}/proxies/a`)).json()) as { toxics: unknown[] };
    expect(raw.toxics).toEqual([]);
    await proxies['a']!.remove();
    await proxies['b']!.remove();
  });

  it('answers the version', async () => {
    expect(JSON.parse(await toxiproxy.getVersion())).toHaveProperty('version');
  });

  it('uses Toxiproxy status codes and error bodies', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    const created = await post('/proxies', { name: 'p', upstream: `127.0.0.1:${redis.port}` });
    expect(created.status).toBe(201);
    const again = await post('/proxies', { name: 'p', upstream: `127.0.0.1:${redis.port}` });
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ error: 'proxy already exists: p', status: 409 });
    expect((await fetch(`${server.url}/proxies/nope`)).status).toBe(404);
    expect(await (await fetch(`${server.url}/proxies/nope`)).json()).toEqual({
      error: 'proxy not found: nope',
      status: 404,
    });
    expect((await post('/proxies', '{not json')).status).toBe(400);
    const noName = await post('/proxies', { upstream: 'x:1' });
    expect(await noName.json()).toEqual({ error: 'missing required field: name', status: 400 });
    expect((await post('/proxies/p/toxics', { type: 'nope' })).status).toBe(400);
    expect((await post('/proxies/p/toxics', { type: 'latency', stream: 'sideways' })).status).toBe(400);
    const t = await post('/proxies/p/toxics', { type: 'latency', attributes: { latency: 1 } });
    expect(t.status).toBe(200);
    expect(await t.json()).toEqual({
      name: 'latency_downstream',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 1, jitter: 0 },
    });
    expect((await post('/proxies/p/toxics', { type: 'latency' })).status).toBe(409);
    expect((await fetch(`${server.url}/proxies/p/toxics/nope`)).status).toBe(404);
    expect(
      (await fetch(`${server.url}/proxies/p/toxics/latency_downstream`, { method: 'DELETE' })).status,
    ).toBe(204);
    expect((await post('/proxies', { name: 'far', upstream: '10.1.2.3:6379' })).status).toBe(400);
    expect((await fetch(`${server.url}/proxies/p`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${server.url}/proxies`, { method: 'PUT' })).status).toBe(405);
    expect((await fetch(`${server.url}/proxies`, { headers: { 'user-agent': 'Mozilla/5.0' } })).status).toBe(
      403,
    );
    const taken = Number(new URL(server.url).port);
    const failed = await post('/populate', [
      { name: 'ok1', listen: '127.0.0.1:0', upstream: `127.0.0.1:${redis.port}` },
      { name: 'clash', listen: `127.0.0.1:${taken}`, upstream: `127.0.0.1:${redis.port}` },
    ]);
    expect(failed.status).toBe(503);
    const failedBody = (await failed.json()) as { error: string; proxies: Array<{ name: string }> };
    expect(failedBody.error).toMatch(/cannot listen/);
    expect(failedBody.proxies.map((p) => p.name)).toEqual(['ok1']);
    expect((await fetch(`${server.url}/proxies/ok1`, { method: 'DELETE' })).status).toBe(204);
  });

  it('exposes its counters on /metrics', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toContain('# TYPE vigil_proxy_connections_total counter');
  });
});

describe('proxy control API safety', () => {
  it('refuses a non-loopback bind without a token', async () => {
    await expect(startProxyServer({ host: '0.0.0.0', port: 0 })).rejects.toThrow(/requires a bearer token/);
  });

  it('requires the bearer token when one is set', async () => {
    const collection = new ProxyCollection({ clock: new ManualClock(0), random: seededRandom(1) });
    const http = createServer(proxyApiHandler(collection, { token: 's3cret' }));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    const port = (http.address() as { port: number }).port;
    expect((await fetch(`http://127.0.0.1:${port}/proxies`)).status).toBe(401);
    const ok = await fetch(`http://127.0.0.1:${port}/proxies`, {
      headers: { authorization: 'Bearer s3cret' },
    });
    expect(ok.status).toBe(200);
    await new Promise<void>((r) => http.close(() => r()));
    await collection.close();
  });
});

describe.skipIf(missing)('leased toxics', () => {
  it('are removed when the lease is not renewed, and kept while it is', async () => {
    const redis = await startRedis();
    const clock = new ManualClock(0);
    const collection = new ProxyCollection({ clock, random: seededRandom(1), sweepEveryMs: 100 });
    try {
      await collection.create({
        name: 'r',
        listen: '127.0.0.1:0',
        upstream: `127.0.0.1:${redis.port}`,
        enabled: true,
      });
      collection.renewLease('run-1', 1000);
      collection.addToxic('r', { type: 'timeout', attributes: { timeout: 0 } }, 'run-1');
      collection.addToxic('r', { name: 'mine', type: 'latency', attributes: { latency: 1 } });
      await clock.advance(800);
      collection.renewLease('run-1', 1000);
      await clock.advance(800);
      expect(
        collection
          .get('r')
          .toxics()
          .map((t) => t.name),
      ).toEqual(['timeout_downstream', 'mine']);
      await clock.advance(300);
      // Only the leased toxic goes; a toxic set without a lease stays, as in Toxiproxy.
      expect(
        collection
          .get('r')
          .toxics()
          .map((t) => t.name),
      ).toEqual(['mine']);
      expect(collection.leasesExpiredTotal).toBe(1);
      expect(() => collection.addToxic('r', { type: 'latency', stream: 'upstream' }, 'gone')).toThrow(
        /lease not found/,
      );
    } finally {
      await collection.close();
      await redis.stop();
    }
  });
});
