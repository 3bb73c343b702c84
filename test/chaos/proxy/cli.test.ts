import { type ChildProcess, spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { freePort, waitForPort } from '../../support/ports.ts';
import { needBinary } from '../../support/requires.ts';
import { pingMs, RawClient, startRedis, stopChild } from '../support/servers.ts';

const missing = needBinary('redis-server', 'redis-server');
const repo = new URL('../../../', import.meta.url).pathname;

function io() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  stdout.on('data', (d) => {
    out += d;
  });
  stderr.on('data', (d) => {
    out += d;
  });
  return { io: { stdout, stderr, env: {}, signal: new AbortController().signal }, out: () => out };
}

/** `vigil proxy` runs the API; `vigil proxy ...` subcommands manage it from a shell. */
describe.skipIf(missing)('vigil proxy', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let server: ChildProcess;
  let api: string;

  beforeAll(async () => {
    redis = await startRedis();
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    server = spawn(process.execPath, ['bin/vigil.js', 'proxy', '--port', String(port), '--seed', '3'], {
      cwd: repo,
      stdio: 'ignore',
    });
    await waitForPort(port, '127.0.0.1', 90_000);
  }, 120_000);
  afterAll(async () => {
    if (server) await stopChild(server);
    await redis?.stop();
  });

  it('creates a proxy, adds and removes a toxic, lists, resets', async () => {
    const create = io();
    expect(
      await main(['proxy', 'create', 'r', '--upstream', `127.0.0.1:${redis.port}`, '--api', api], create.io),
    ).toBe(0);
    const port = Number((JSON.parse(create.out()) as { listen: string }).listen.split(':').pop());
    const add = io();
    expect(
      await main(
        ['proxy', 'toxic', 'add', 'r', '--type', 'latency', '-a', 'latency=200', '--api', api],
        add.io,
      ),
    ).toBe(0);
    expect(JSON.parse(add.out())).toMatchObject({
      name: 'latency_downstream',
      attributes: { latency: 200, jitter: 0 },
    });
    const c = new RawClient(port);
    await c.connected();
    expect(await pingMs(c)).toBeGreaterThanOrEqual(190);
    expect(await main(['proxy', 'toxic', 'remove', 'r', 'latency_downstream', '--api', api], io().io)).toBe(
      0,
    );
    expect(await pingMs(c)).toBeLessThan(190);
    c.close();
    const list = io();
    expect(await main(['proxy', 'list', '--api', api], list.io)).toBe(0);
    expect(Object.keys(JSON.parse(list.out()))).toEqual(['r']);
    expect(await main(['proxy', 'reset', '--api', api], io().io)).toBe(0);
    expect(await main(['proxy', 'delete', 'r', '--api', api], io().io)).toBe(0);
  });

  it('--config creates the proxies of a Toxiproxy config file at start; a bad file exits 2', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const d = mkdtempSync(join(tmpdir(), 'vigil-proxy-config-'));
    const good = join(d, 'proxies.json');
    const port = await freePort();
    writeFileSync(
      good,
      JSON.stringify([{ name: 'cache', listen: '127.0.0.1:0', upstream: `127.0.0.1:${redis.port}` }]),
    );
    const child = spawn(
      process.execPath,
      ['bin/vigil.js', 'proxy', '--port', String(port), '--config', good],
      { cwd: repo, stdio: 'ignore' },
    );
    try {
      await waitForPort(port, '127.0.0.1', 90_000);
      const list = (await (await fetch(`http://127.0.0.1:${port}/proxies`)).json()) as Record<
        string,
        unknown
      >;
      expect(Object.keys(list)).toEqual(['cache']);
    } finally {
      await stopChild(child);
    }
    const bad = join(d, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ name: 'x' }]));
    const c = io();
    expect(await main(['proxy', '--port', '0', '--config', bad], c.io)).toBe(2);
    expect(c.out()).toMatch(/bad\.json: \[0\]: missing required field: upstream/);
    rmSync(d, { recursive: true, force: true });
  }, 120_000);

  it('reports API and usage errors in one line with the right exit code', async () => {
    const missingProxy = io();
    expect(await main(['proxy', 'delete', 'nope', '--api', api], missingProxy.io)).toBe(3);
    expect(missingProxy.out()).toBe('proxy API DELETE /proxies/nope: 404 proxy not found: nope\n');
    const badType = io();
    expect(await main(['proxy', 'toxic', 'add', 'r', '--type', 'melt', '--api', api], badType.io)).toBe(2);
    const badAttr = io();
    expect(
      await main(
        ['proxy', 'toxic', 'add', 'r', '--type', 'latency', '-a', 'latency', '--api', api],
        badAttr.io,
      ),
    ).toBe(2);
    expect(badAttr.out()).toMatch(/expected KEY=NUMBER/);
    // A flag of another mode is refused, not silently ignored.
    const wrongMode = io();
    expect(await main(['proxy', 'list', '--upstream', '127.0.0.1:1', '--api', api], wrongMode.io)).toBe(2);
    expect(wrongMode.out()).toBe(
      'vigil proxy: --upstream does not apply with "vigil proxy list" (see vigil proxy --help)\n',
    );
    const serveWithApi = io();
    expect(await main(['proxy', '--api', api], serveWithApi.io)).toBe(2);
    expect(serveWithApi.out()).toMatch(/--api does not apply when running the proxy/);
    const toxics = io();
    expect(await main(['proxy', 'toxics'], toxics.io)).toBe(0);
    expect(toxics.out()).toMatch(/^latency\s+delays every chunk/m);
  });
});
