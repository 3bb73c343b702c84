import { createServer, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closable,
  hasBearerToken,
  isLoopback,
  isVigilError,
  listen,
  readJsonBody,
  requireTokenOffLoopback,
  sendError,
  sendJson,
  VigilError,
} from '../../core/index.ts';

type Reply = { status: number; body: string };

function send(
  url: string,
  opts: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function serve(limit = 64, token?: string) {
  const server = createServer(async (req, res) => {
    try {
      if (!hasBearerToken(req, token)) throw new VigilError('unauthorized', 'missing or wrong bearer token');
      const body = await readJsonBody(req, limit);
      sendJson(res, 200, { got: body });
    } catch (err) {
      sendError(res, err);
    }
  });
  const control = closable(server);
  const where = await listen(server);
  cleanups.push(() => control.close(100));
  return where;
}

describe('http helpers', () => {
  it('binds loopback by default', async () => {
    const where = await serve();
    expect(where.host).toBe('127.0.0.1');
    expect(where.url).toBe(`http://127.0.0.1:${where.port}`);
  });

  it('echoes a JSON body within the limit', async () => {
    const { url } = await serve();
    expect(await send(url, { method: 'POST', body: '{"a":1}' })).toEqual({
      status: 200,
      body: '{"got":{"a":1}}',
    });
  });

  it('refuses bodies over the limit with 413 in the shared error shape', async () => {
    const { url } = await serve(16);
    const reply = await send(url, { method: 'POST', body: JSON.stringify({ text: 'x'.repeat(100) }) });
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body)).toMatchObject({ status: 'error', errorType: 'too_large' });
  });

  it('refuses malformed JSON with 400 naming the problem', async () => {
    const { url } = await serve();
    const reply = await send(url, { method: 'POST', body: '{nope' });
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body).error).toMatch(/not valid JSON/);
  });

  it('checks the bearer token and never echoes it', async () => {
    const { url } = await serve(64, 's3cret-token');
    const denied = await send(url, { headers: { authorization: 'Bearer wrong' } });
    expect(denied.status).toBe(401);
    expect(denied.body).not.toContain('s3cret');
    expect((await send(url, { headers: { authorization: 'Bearer s3cret-token' } })).status).toBe(200);
  });

  it('reports a busy port as unavailable', async () => {
    const { port } = await serve();
    const other = createServer();
    await expect(listen(other, { port })).rejects.toSatisfy(
      (err) => isVigilError(err, 'unavailable') && /address already in use/.test((err as Error).message),
    );
  });

  it('lets an in-flight request finish when closing', async () => {
    let release: () => void = () => {};
    const server = createServer((_req, res) => {
      release = () => sendJson(res, 200, { done: true });
    });
    const control = closable(server);
    const { url } = await listen(server);
    const reply = send(url);
    await new Promise((r) => setTimeout(r, 50));
    const closed = control.close(5_000);
    release();
    expect(await reply).toEqual({ status: 200, body: '{"done":true}' });
    await closed;
    expect(server.listening).toBe(false);
  });
});

describe('loopback policy', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1'])(
    '%s is loopback',
    (host) => {
      expect(isLoopback(host)).toBe(true);
    },
  );
  it.each(['0.0.0.0', '::', '10.0.0.1', '192.168.1.1', 'example.com'])('%s is not loopback', (host) => {
    expect(isLoopback(host)).toBe(false);
  });
  it('requires a token off loopback only', () => {
    expect(() => requireTokenOffLoopback('chaos API', '127.0.0.1', undefined)).not.toThrow();
    expect(() => requireTokenOffLoopback('chaos API', '0.0.0.0', 't')).not.toThrow();
    expect(() => requireTokenOffLoopback('chaos API', '0.0.0.0', undefined)).toThrow(
      /chaos API: binding 0.0.0.0/,
    );
  });
});
