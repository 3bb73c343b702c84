import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyServer, startProxyServer } from '../../../chaos/proxy/index.ts';
import { needBinary } from '../../support/requires.ts';
import { pingMs, RawClient, startRedis } from '../support/servers.ts';

const missing = needBinary('redis-server', 'redis-server');

/** Each toxic, through the proxy, against a real Redis on a free port. */
describe.skipIf(missing)('toxics through the proxy against a real Redis', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let server: ProxyServer;
  let listenPort = 0;
  let n = 0;

  beforeAll(async () => {
    redis = await startRedis();
    server = await startProxyServer({ port: 0, seed: 1 });
  });
  afterAll(async () => {
    await server?.close();
    await redis?.stop();
  });

  async function proxy(): Promise<string> {
    const name = `redis${n++}`;
    const view = await server.collection.create({
      name,
      listen: '127.0.0.1:0',
      upstream: `127.0.0.1:${redis.port}`,
      enabled: true,
    });
    listenPort = Number(view.listen.split(':').pop());
    return name;
  }

  async function client(): Promise<RawClient> {
    const c = new RawClient(listenPort);
    await c.connected();
    return c;
  }

  it('passes bytes untouched without toxics', async () => {
    await proxy();
    const c = await client();
    const value = 'x'.repeat(100_000);
    c.send(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${value.length}\r\n${value}\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`);
    const expected = `+OK\r\n$${value.length}\r\n${value}\r\n`;
    await c.waitFor((b) => b.length >= expected.length);
    expect(c.received.toString()).toBe(expected);
    c.close();
  });

  it('latency adds what it says, also on a connection opened before the toxic', async () => {
    const name = await proxy();
    const c = await client();
    const before = await pingMs(c);
    server.collection.addToxic(name, { type: 'latency', attributes: { latency: 300 } });
    const after = await pingMs(c);
    expect(after).toBeGreaterThanOrEqual(290);
    // Generous: two shared cores; the point is "about 300 ms more", not a timing benchmark.
    expect(after).toBeLessThan(300 + before + 1500);
    server.collection.removeToxic(name, 'latency_downstream');
    expect(await pingMs(c)).toBeLessThan(290);
    c.close();
  });

  it('bandwidth caps throughput', async () => {
    const name = await proxy();
    const c = await client();
    const value = 'y'.repeat(60_000);
    c.send(`*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$${value.length}\r\n${value}\r\n`);
    await c.waitFor((b) => b.toString().includes('+OK'));
    server.collection.addToxic(name, { type: 'bandwidth', attributes: { rate: 50 } });
    const start = performance.now();
    c.send('*2\r\n$3\r\nGET\r\n$1\r\nb\r\n');
    await c.waitFor((b) => b.length >= 5 + 8 + value.length + 2, 20_000);
    // 60 kB at 50 KB/s is 1.2 s.
    expect(performance.now() - start).toBeGreaterThanOrEqual(1000);
    c.close();
  });

  it('timeout stalls (0: forever, until removed) and closes after its timeout', async () => {
    const name = await proxy();
    const c = await client();
    server.collection.addToxic(name, { type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } });
    c.send('PING\r\n');
    await new Promise((r) => setTimeout(r, 400));
    expect(c.received.length).toBe(0);
    server.collection.removeToxic(name, 'timeout_upstream');
    expect(await pingMs(c)).toBeLessThan(5000);
    server.collection.addToxic(name, { type: 'timeout', attributes: { timeout: 300 } });
    const start = performance.now();
    c.send('PING\r\n');
    await c.waitClosed();
    expect(performance.now() - start).toBeGreaterThanOrEqual(250);
    expect(c.error).toBeUndefined();
  });

  it('reset_peer resets the connection', async () => {
    const name = await proxy();
    server.collection.addToxic(name, { type: 'reset_peer', stream: 'upstream', attributes: { timeout: 0 } });
    const c = await client();
    c.send('PING\r\n');
    await c.waitClosed();
    expect(c.error?.code).toBe('ECONNRESET');
  });

  it('slicer slices a response into many small reads', async () => {
    const name = await proxy();
    const c = await client();
    const value = 'z'.repeat(2000);
    c.send(`*3\r\n$3\r\nSET\r\n$1\r\ns\r\n$${value.length}\r\n${value}\r\n`);
    await c.waitFor((b) => b.toString().includes('+OK'));
    server.collection.addToxic(name, {
      type: 'slicer',
      attributes: { average_size: 100, size_variation: 20, delay: 2000 },
    });
    const chunksBefore = c.chunks.length;
    c.send('*2\r\n$3\r\nGET\r\n$1\r\ns\r\n');
    const expected = `+OK\r\n$2000\r\n${value}\r\n`;
    await c.waitFor((b) => b.length >= expected.length);
    expect(c.received.toString()).toBe(expected);
    expect(c.chunks.length - chunksBefore).toBeGreaterThan(5);
    c.close();
  });

  it('limit_data closes after N bytes', async () => {
    const name = await proxy();
    server.collection.addToxic(name, { type: 'limit_data', attributes: { bytes: 10 } });
    const c = await client();
    c.send('PING\r\nPING\r\nPING\r\n');
    await c.waitClosed();
    expect(c.received.toString()).toBe('+PONG\r\n+PO');
  });

  it('slow_close delays the close', async () => {
    const name = await proxy();
    server.collection.addToxic(name, { type: 'slow_close', attributes: { delay: 500 } });
    const c = await client();
    const start = performance.now();
    c.send('QUIT\r\n');
    await c.waitClosed();
    expect(c.received.toString()).toBe('+OK\r\n');
    expect(performance.now() - start).toBeGreaterThanOrEqual(450);
  });

  it('toxicity 0 leaves connections untouched', async () => {
    const name = await proxy();
    server.collection.addToxic(name, { type: 'latency', toxicity: 0, attributes: { latency: 2000 } });
    const c = await client();
    expect(await pingMs(c)).toBeLessThan(1500);
    c.close();
  });
});
