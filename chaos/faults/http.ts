import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { RandomSource } from '../../core/index.ts';
import { type Clock, closable, listen, systemClock, VigilError } from '../../core/index.ts';

/**
 * HTTP faults, as a service mesh injects them: a reverse proxy in front of a service aborts a
 * percentage of matching requests with a status, and delays a percentage (fixed or random
 * delay). Delay first, then abort, as Envoy's fault filter does.
 */
export interface HttpFaultRule {
  name: string;
  /** Upper-case method to match; any method when absent. */
  method?: string;
  /** Path prefix to match (`/photos`); every path when absent. */
  pathPrefix?: string;
  abort?: { status: number; percentage: number };
  delay?: { fixedMs?: number; minMs?: number; maxMs?: number; percentage: number };
}

export interface HttpFaultDecision {
  delayMs: number;
  abortStatus?: number;
  /** The rules that acted on this request, for counters and the timeline. */
  rules: string[];
}

/**
 * Decides, purely, what happens to one request: each matching rule may delay it (delays add
 * up) and the first matching abort that fires ends it.
 *
 * @example
 * decideHttpFault([{ name: 'r', abort: { status: 503, percentage: 100 } }], 'GET', '/x', random); // { delayMs: 0, abortStatus: 503, rules: ['r'] }
 */
export function decideHttpFault(
  rules: HttpFaultRule[],
  method: string,
  path: string,
  random: RandomSource,
): HttpFaultDecision {
  const decision: HttpFaultDecision = { delayMs: 0, rules: [] };
  for (const rule of rules) {
    if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) continue;
    if (rule.pathPrefix && !path.startsWith(rule.pathPrefix)) continue;
    let acted = false;
    if (rule.delay && random() * 100 < rule.delay.percentage) {
      const d = rule.delay;
      decision.delayMs +=
        d.fixedMs ?? Math.round((d.minMs ?? 0) + random() * Math.max(0, (d.maxMs ?? 0) - (d.minMs ?? 0)));
      acted = true;
    }
    if (decision.abortStatus === undefined && rule.abort && random() * 100 < rule.abort.percentage) {
      decision.abortStatus = rule.abort.status;
      acted = true;
    }
    if (acted) decision.rules.push(rule.name);
  }
  return decision;
}

export interface HttpFaultProxyOptions {
  /** The service: `http://127.0.0.1:8080`. */
  upstream: string;
  host?: string;
  port?: number;
  random: RandomSource;
  clock?: Clock;
}

/**
 * The reverse proxy that applies HTTP fault rules. Rules change at run time; with no rules it
 * forwards every request unchanged.
 */
export class HttpFaultProxy {
  private rules: HttpFaultRule[] = [];
  private readonly upstream: URL;
  private readonly server = createServer((req, res) => void this.handle(req, res));
  private readonly closer = closable(this.server);
  readonly counters = { requests: 0, aborted: 0, delayed: 0, upstreamErrors: 0 };
  url = '';

  constructor(private readonly options: HttpFaultProxyOptions) {
    this.upstream = new URL(options.upstream);
    if (this.upstream.protocol !== 'http:')
      throw new VigilError('config', `http fault proxy: upstream ${options.upstream} must be http://`);
  }

  async start(): Promise<string> {
    const bound = await listen(this.server, {
      host: this.options.host ?? '127.0.0.1',
      port: this.options.port ?? 0,
    });
    this.url = bound.url;
    return this.url;
  }

  setRule(rule: HttpFaultRule): void {
    this.rules = [...this.rules.filter((r) => r.name !== rule.name), rule];
  }

  removeRule(name: string): void {
    this.rules = this.rules.filter((r) => r.name !== name);
  }

  clearRules(): void {
    this.rules = [];
  }

  async close(): Promise<void> {
    this.rules = [];
    await this.closer.close(2000);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.counters.requests++;
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const decision = decideHttpFault(this.rules, req.method ?? 'GET', path, this.options.random);
    if (decision.delayMs > 0) {
      this.counters.delayed++;
      await (this.options.clock ?? systemClock).sleep(decision.delayMs);
    }
    if (decision.abortStatus !== undefined) {
      this.counters.aborted++;
      req.resume();
      const body = `fault injected by vigil (${decision.rules.join(', ')})\n`;
      res.writeHead(decision.abortStatus, {
        'content-type': 'text/plain',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
      return;
    }
    const upstreamReq = httpRequest(
      {
        host: this.upstream.hostname,
        port: this.upstream.port || 80,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: this.upstream.host },
      },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    upstreamReq.on('error', () => {
      this.counters.upstreamErrors++;
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('upstream unavailable\n');
      } else res.destroy();
    });
    req.pipe(upstreamReq);
  }
}
