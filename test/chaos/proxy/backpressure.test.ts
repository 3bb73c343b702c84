import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxHeldBytes, type ProxyServer, startProxyServer } from '../../../chaos/index.ts';
import { RawClient } from '../support/servers.ts';

/**
 * Toxics hold bytes (latency), but never without bound: when a direction holds more than
 * maxHeldBytes the link stops reading, and TCP backpressure reaches the sender.
 */
describe('bounded buffering', () => {
  let sink: Server;
  const accepted: Socket[] = [];
  let server: ProxyServer;

  beforeAll(async () => {
    // An upstream that never reads: everything piles up in front of it.
    sink = createServer((s) => {
      s.pause();
      accepted.push(s);
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
    server = await startProxyServer({ port: 0, seed: 2 });
  });
  afterAll(async () => {
    for (const s of accepted) s.destroy();
    await server?.close();
    await new Promise<void>((r) => sink.close(() => r()));
  });

  it('stops reading the client once toxics hold maxHeldBytes', async () => {
    const port = (sink.address() as { port: number }).port;
    const view = await server.collection.create({
      name: 'sink',
      listen: '127.0.0.1:0',
      upstream: `127.0.0.1:${port}`,
      enabled: true,
    });
    server.collection.addToxic('sink', {
      type: 'latency',
      stream: 'upstream',
      attributes: { latency: 60_000 },
    });
    const c = new RawClient(Number(view.listen.split(':').pop()));
    await c.connected();
    const chunk = Buffer.alloc(1024 * 1024, 7);
    const proxy = server.collection.get('sink');
    // Bounded: at most 32 MiB offered, at most 15 s.
    const deadline = Date.now() + 15_000;
    for (let i = 0; i < 32 && Date.now() < deadline; i++) {
      c.socket.write(chunk);
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 300));
    const held = proxy.heldBytes();
    expect(held).toBeGreaterThan(maxHeldBytes / 2);
    // One read of up to 64 KiB may land after the threshold is crossed.
    expect(held).toBeLessThanOrEqual(maxHeldBytes + 64 * 1024);
    // The rest waits in the client's own buffers: backpressure, not proxy memory.
    expect(c.socket.writableLength).toBeGreaterThan(0);
    c.close();
  });
});
