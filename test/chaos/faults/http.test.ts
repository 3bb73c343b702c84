import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideHttpFault, HttpFaultProxy } from '../../../chaos/faults/index.ts';
import { seededRandom } from '../../../core/index.ts';

describe('HTTP fault decisions', () => {
  it('aborts about the percentage asked, only on matching method and path', () => {
    const random = seededRandom(3);
    const rules = [
      { name: 'r', method: 'GET', pathPrefix: '/photos', abort: { status: 503, percentage: 30 } },
    ];
    let aborted = 0;
    for (let i = 0; i < 2000; i++)
      if (decideHttpFault(rules, 'GET', '/photos/1', random).abortStatus === 503) aborted++;
    expect(aborted / 2000).toBeGreaterThan(0.25);
    expect(aborted / 2000).toBeLessThan(0.35);
    expect(decideHttpFault(rules, 'POST', '/photos/1', random).abortStatus).toBeUndefined();
    expect(decideHttpFault(rules, 'GET', '/health', random).abortStatus).toBeUndefined();
  });

  it('delays by a fixed or random amount', () => {
    const random = seededRandom(4);
    expect(
      decideHttpFault([{ name: 'd', delay: { fixedMs: 250, percentage: 100 } }], 'GET', '/', random).delayMs,
    ).toBe(250);
    const d = decideHttpFault(
      [{ name: 'd', delay: { minMs: 100, maxMs: 200, percentage: 100 } }],
      'GET',
      '/',
      random,
    ).delayMs;
    expect(d).toBeGreaterThanOrEqual(100);
    expect(d).toBeLessThanOrEqual(200);
  });
});

describe('HTTP fault proxy', () => {
  let service: Server;
  let proxy: HttpFaultProxy;

  beforeAll(async () => {
    service = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`ok ${req.method} ${req.url}`);
    });
    await new Promise<void>((r) => service.listen(0, '127.0.0.1', () => r()));
    const port = (service.address() as { port: number }).port;
    proxy = new HttpFaultProxy({ upstream: `http://127.0.0.1:${port}`, random: seededRandom(1) });
    await proxy.start();
  });
  afterAll(async () => {
    await proxy.close();
    await new Promise<void>((r) => service.close(() => r()));
  });

  it('forwards unchanged without rules, aborts and delays with them', async () => {
    const ok = await fetch(`${proxy.url}/photos/1`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('ok GET /photos/1');
    proxy.setRule({ name: 'boom', pathPrefix: '/photos', abort: { status: 503, percentage: 100 } });
    expect((await fetch(`${proxy.url}/photos/1`)).status).toBe(503);
    expect((await fetch(`${proxy.url}/other`)).status).toBe(200);
    proxy.clearRules();
    proxy.setRule({ name: 'slow', delay: { fixedMs: 300, percentage: 100 } });
    const start = performance.now();
    expect((await fetch(`${proxy.url}/x`)).status).toBe(200);
    expect(performance.now() - start).toBeGreaterThanOrEqual(290);
    proxy.removeRule('slow');
    expect(proxy.counters).toMatchObject({ aborted: 1, delayed: 1 });
  });
});
