import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  type Clock,
  closable,
  hasBearerToken,
  httpStatusFor,
  listen,
  type RandomSource,
  readJsonBody,
  requireTokenOffLoopback,
  seededRandom,
  systemClock,
  toVigilError,
  VigilError,
} from '../../core/index.ts';
import { ProxyCollection } from './collection.ts';
import { apiError } from './errors.ts';
import { parseProxyInput, parseProxyUpdate } from './spec.ts';

/** Toxiproxy's default API port: existing clients and Testcontainers setups look here. */
export const toxiproxyDefaultPort = 8474;
/** The Toxiproxy API version this API follows. */
export const toxiproxyApiVersion = '2.12.0';
/** Control bodies are small JSON documents; populate with hundreds of proxies fits easily. */
const bodyLimitBytes = 256 * 1024;

/**
 * Sends a Toxiproxy-shaped error: `{"error": "...", "status": N}` with that status.
 */
function sendApiError(res: ServerResponse, err: unknown): void {
  const e = toVigilError(err);
  const status = httpStatusFor(e);
  const message = e.code === 'internal' ? 'internal error' : e.message;
  const proxies = e.details['proxies'];
  send(res, status, proxies === undefined ? { error: message, status } : { error: message, status, proxies });
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function body(req: IncomingMessage): Promise<unknown> {
  try {
    return await readJsonBody(req, bodyLimitBytes);
  } catch (err) {
    if (err instanceof VigilError && err.code === 'parse') throw apiError('badRequestBody', err.message);
    throw err;
  }
}

type Handler = (req: IncomingMessage, res: ServerResponse, params: string[]) => Promise<void>;

/**
 * The HTTP handler of the Toxiproxy-compatible API over a collection, plus vigil's lease
 * endpoints (`/leases/{holder}`) and `/metrics`. Routing is a fixed table, as Toxiproxy's.
 *
 * @example
 * const handler = proxyApiHandler(collection, { token: undefined });
 * http.createServer(handler).listen(8474, '127.0.0.1');
 */
export function proxyApiHandler(
  collection: ProxyCollection,
  options: { token?: string | undefined },
): (req: IncomingMessage, res: ServerResponse) => void {
  const routes: Array<[string, RegExp, Handler]> = [
    ['GET', /^\/version$/, async (_q, res) => send(res, 200, { version: toxiproxyApiVersion })],
    ['GET', /^\/healthz$/, async (_q, res) => send(res, 200, { status: 'ok' })],
    [
      'GET',
      /^\/readyz$/,
      async (_q, res) => send(res, 200, { status: 'ok', proxies: collection.list().length }),
    ],
    [
      'POST',
      /^\/reset$/,
      async (_q, res) => {
        await collection.reset();
        send(res, 204);
      },
    ],
    [
      'GET',
      /^\/proxies$/,
      async (_q, res) => {
        send(res, 200, Object.fromEntries(collection.list().map((p) => [p.name, p])));
      },
    ],
    [
      'POST',
      /^\/proxies$/,
      async (req, res) => {
        const view = await collection.create(parseProxyInput(await body(req)));
        send(res, 201, view);
      },
    ],
    [
      'POST',
      /^\/populate$/,
      async (req, res) => {
        const input = await body(req);
        const list = Array.isArray(input) ? input : (input as { proxies?: unknown } | undefined)?.proxies;
        if (!Array.isArray(list)) throw apiError('badRequestBody', 'expected an array of proxies');
        const proxies = await collection.populate(list.map(parseProxyInput));
        send(res, 201, { proxies });
      },
    ],
    ['GET', /^\/proxies\/([^/]+)$/, async (_q, res, [name]) => send(res, 200, collection.get(name!).view())],
    [
      'POST',
      /^\/proxies\/([^/]+)$/,
      async (req, res, [name]) => {
        const current = collection.get(name!).view();
        send(res, 200, await collection.update(name!, parseProxyUpdate(await body(req), current)));
      },
    ],
    [
      'PATCH',
      /^\/proxies\/([^/]+)$/,
      async (req, res, [name]) => {
        const current = collection.get(name!).view();
        send(res, 200, await collection.update(name!, parseProxyUpdate(await body(req), current)));
      },
    ],
    [
      'DELETE',
      /^\/proxies\/([^/]+)$/,
      async (_q, res, [name]) => {
        await collection.remove(name!);
        send(res, 204);
      },
    ],
    [
      'GET',
      /^\/proxies\/([^/]+)\/toxics$/,
      async (_q, res, [name]) => send(res, 200, collection.get(name!).toxics()),
    ],
    [
      'POST',
      /^\/proxies\/([^/]+)\/toxics$/,
      async (req, res, [name]) => {
        collection.get(name!);
        const input = await body(req);
        const lease = (input as { lease?: unknown } | undefined)?.lease;
        if (lease !== undefined && typeof lease !== 'string')
          throw apiError('badRequestBody', 'lease: expected a string');
        send(res, 200, collection.addToxic(name!, input, lease));
      },
    ],
    [
      'GET',
      /^\/proxies\/([^/]+)\/toxics\/([^/]+)$/,
      async (_q, res, [name, toxic]) => {
        const t = collection.get(name!).toxic(toxic!);
        if (!t) throw apiError('toxicNotFound', toxic);
        send(res, 200, t);
      },
    ],
    [
      'POST',
      /^\/proxies\/([^/]+)\/toxics\/([^/]+)$/,
      async (req, res, [name, toxic]) => {
        collection.get(name!);
        send(res, 200, collection.updateToxic(name!, toxic!, await body(req)));
      },
    ],
    [
      'PATCH',
      /^\/proxies\/([^/]+)\/toxics\/([^/]+)$/,
      async (req, res, [name, toxic]) => {
        collection.get(name!);
        send(res, 200, collection.updateToxic(name!, toxic!, await body(req)));
      },
    ],
    [
      'DELETE',
      /^\/proxies\/([^/]+)\/toxics\/([^/]+)$/,
      async (_q, res, [name, toxic]) => {
        collection.removeToxic(name!, toxic!);
        send(res, 204);
      },
    ],
    [
      'GET',
      /^\/leases\/([^/]+)$/,
      async (_q, res, [holder]) => {
        const lease = collection.lease(holder!);
        if (!lease) throw apiError('leaseNotFound', holder);
        send(res, 200, lease);
      },
    ],
    [
      'POST',
      /^\/leases\/([^/]+)$/,
      async (req, res, [holder]) => {
        const input = (await body(req)) as { ttl_ms?: unknown } | undefined;
        const ttl = input?.ttl_ms;
        if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 100 || ttl > 3_600_000) {
          throw apiError('badRequestBody', 'ttl_ms: expected a whole number of ms from 100 to 3600000');
        }
        send(res, 200, collection.renewLease(holder!, ttl));
      },
    ],
    [
      'DELETE',
      /^\/leases\/([^/]+)$/,
      async (_q, res, [holder]) => {
        collection.releaseLease(holder!);
        send(res, 204);
      },
    ],
    [
      'GET',
      /^\/metrics$/,
      async (_q, res) => {
        const text = metricsText(collection);
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(text);
      },
    ],
  ];

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    // As Toxiproxy does: a browser must not be turned into a client of the control API by a
    // web page (cross-site requests, DNS rebinding); real clients are not browsers.
    if ((req.headers['user-agent'] ?? '').startsWith('Mozilla/')) {
      send(res, 403, { error: 'User agent not allowed', status: 403 });
      return;
    }
    if (!hasBearerToken(req, options.token)) {
      send(res, 401, { error: 'missing or wrong bearer token', status: 401 });
      return;
    }
    let pathMatched = false;
    for (const [method, pattern, handler] of routes) {
      const m = pattern.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (method !== req.method) continue;
      const params = m.slice(1).map((p) => decodeURIComponent(p));
      handler(req, res, params).catch((err) => sendApiError(res, err));
      return;
    }
    if (pathMatched) send(res, 405, { error: 'method not allowed', status: 405 });
    else send(res, 404, { error: 'not found', status: 404 });
  };
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Prometheus text for the proxy's own counters. */
function metricsText(collection: ProxyCollection): string {
  const lines: string[] = [
    '# HELP vigil_proxy_connections_total Client connections accepted by the proxy.',
    '# TYPE vigil_proxy_connections_total counter',
  ];
  const proxies = collection.all();
  for (const p of proxies)
    lines.push(`vigil_proxy_connections_total{proxy="${escapeLabel(p.name)}"} ${p.connectionsTotal}`);
  lines.push(
    '# HELP vigil_proxy_active_connections Connections open through the proxy.',
    '# TYPE vigil_proxy_active_connections gauge',
  );
  for (const p of proxies)
    lines.push(`vigil_proxy_active_connections{proxy="${escapeLabel(p.name)}"} ${p.activeConnections}`);
  lines.push(
    '# HELP vigil_proxy_bytes_total Bytes read by the proxy, by direction.',
    '# TYPE vigil_proxy_bytes_total counter',
  );
  for (const p of proxies) {
    for (const d of ['upstream', 'downstream'] as const) {
      lines.push(
        `vigil_proxy_bytes_total{proxy="${escapeLabel(p.name)}",direction="${d}"} ${p.counters.bytes[d]}`,
      );
    }
  }
  lines.push(
    '# HELP vigil_proxy_dropped_bytes_total Bytes discarded on purpose by toxics (timeout, reset_peer, limit_data).',
    '# TYPE vigil_proxy_dropped_bytes_total counter',
  );
  for (const p of proxies)
    lines.push(`vigil_proxy_dropped_bytes_total{proxy="${escapeLabel(p.name)}"} ${p.counters.droppedBytes}`);
  lines.push(
    '# HELP vigil_proxy_held_bytes Bytes held by toxics (latency, bandwidth) right now.',
    '# TYPE vigil_proxy_held_bytes gauge',
  );
  for (const p of proxies)
    lines.push(`vigil_proxy_held_bytes{proxy="${escapeLabel(p.name)}"} ${p.heldBytes()}`);
  lines.push('# HELP vigil_proxy_toxics Toxics currently set.', '# TYPE vigil_proxy_toxics gauge');
  for (const p of proxies)
    lines.push(`vigil_proxy_toxics{proxy="${escapeLabel(p.name)}"} ${p.toxics().length}`);
  lines.push(
    '# HELP vigil_proxy_leases_expired_total Leases that ran out, their toxics removed.',
    '# TYPE vigil_proxy_leases_expired_total counter',
    `vigil_proxy_leases_expired_total ${collection.leasesExpiredTotal}`,
  );
  return `${lines.join('\n')}\n`;
}

export interface ProxyServerOptions {
  host?: string;
  port?: number;
  /** Required when host is not loopback. */
  token?: string | undefined;
  allowUpstreams?: string[];
  clock?: Clock;
  random?: RandomSource;
  seed?: number;
  /** Notable changes (a lease expired and its toxics were removed), for the process log. */
  onEvent?: (event: { msg: string; [key: string]: unknown }) => void;
}

export interface ProxyServer {
  url: string;
  host: string;
  port: number;
  collection: ProxyCollection;
  close(): Promise<void>;
}

/**
 * Starts the fault proxy: the Toxiproxy-compatible API on host:port (127.0.0.1:8474 by
 * default) and the proxies it creates.
 *
 * @example
 * const server = await startProxyServer({ port: 0 });
 * await fetch(`${server.url}/proxies`, { method: 'POST', body: JSON.stringify({ name: 'redis', upstream: '127.0.0.1:6379' }) });
 */
export async function startProxyServer(options: ProxyServerOptions = {}): Promise<ProxyServer> {
  const host = options.host ?? '127.0.0.1';
  requireTokenOffLoopback('proxy control API', host, options.token);
  const collection = new ProxyCollection({
    clock: options.clock ?? systemClock,
    random: options.random ?? seededRandom(options.seed ?? Date.now()),
    allowUpstreams: options.allowUpstreams ?? [],
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  const server = createServer(proxyApiHandler(collection, { token: options.token }));
  const closer = closable(server);
  let bound: Awaited<ReturnType<typeof listen>>;
  try {
    bound = await listen(server, { host, port: options.port ?? toxiproxyDefaultPort });
  } catch (err) {
    await collection.close();
    throw err;
  }
  return {
    url: bound.url,
    host: bound.host,
    port: bound.port,
    collection,
    async close() {
      await collection.close();
      await closer.close(2000);
    },
  };
}
