import { VigilError } from '../../core/index.ts';
import type { ProxyView } from './proxy.ts';
import type { ToxicSpec } from './spec.ts';

export interface ProxyClientOptions {
  /** Base URL of the API, `http://127.0.0.1:8474` by default. */
  url?: string;
  token?: string | undefined;
  /** Per-request deadline. */
  timeoutMs?: number;
}

/**
 * A small client of the Toxiproxy-compatible API, with vigil's lease endpoints: what the
 * experiment runner and `vigil proxy` subcommands use. Errors carry the API's message.
 *
 * @example
 * const client = new ProxyClient({ url: 'http://127.0.0.1:8474' });
 * await client.addToxic('redis', { type: 'latency', attributes: { latency: 100 } });
 */
export class ProxyClient {
  readonly url: string;

  constructor(private readonly options: ProxyClientOptions = {}) {
    this.url = (options.url ?? 'http://127.0.0.1:8474').replace(/\/+$/, '');
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.token) headers['authorization'] = `Bearer ${this.options.token}`;
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (err) {
      const why = (err as Error).name === 'TimeoutError' ? 'timed out' : (err as Error).message;
      throw new VigilError('unavailable', `proxy API ${this.url}: ${method} ${path}: ${why}`, { cause: err });
    }
    const text = await res.text();
    if (!res.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        // not JSON: keep the text
      }
      const code =
        res.status === 404
          ? 'not_found'
          : res.status === 409
            ? 'conflict'
            : res.status === 401
              ? 'unauthorized'
              : res.status < 500
                ? 'usage'
                : 'unavailable';
      throw new VigilError(code, `proxy API ${method} ${path}: ${res.status} ${message}`);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  list(): Promise<Record<string, ProxyView>> {
    return this.request('GET', '/proxies');
  }

  get(name: string): Promise<ProxyView> {
    return this.request('GET', `/proxies/${encodeURIComponent(name)}`);
  }

  create(spec: { name: string; listen?: string; upstream: string; enabled?: boolean }): Promise<ProxyView> {
    return this.request('POST', '/proxies', spec);
  }

  update(name: string, patch: { listen?: string; upstream?: string; enabled?: boolean }): Promise<ProxyView> {
    return this.request('POST', `/proxies/${encodeURIComponent(name)}`, patch);
  }

  remove(name: string): Promise<void> {
    return this.request('DELETE', `/proxies/${encodeURIComponent(name)}`);
  }

  addToxic(proxy: string, toxic: Partial<ToxicSpec> & { type: string; lease?: string }): Promise<ToxicSpec> {
    return this.request('POST', `/proxies/${encodeURIComponent(proxy)}/toxics`, toxic);
  }

  removeToxic(proxy: string, name: string): Promise<void> {
    return this.request('DELETE', `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(name)}`);
  }

  reset(): Promise<void> {
    return this.request('POST', '/reset');
  }

  renewLease(holder: string, ttlMs: number): Promise<unknown> {
    return this.request('POST', `/leases/${encodeURIComponent(holder)}`, { ttl_ms: ttlMs });
  }

  releaseLease(holder: string): Promise<void> {
    return this.request('DELETE', `/leases/${encodeURIComponent(holder)}`);
  }
}
