import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A local HTTP server standing in for an outside SaaS (PagerDuty, Slack, a webhook): it records
 * every request and answers as the test tells it, including not at all (hang) and not being
 * there (stop, then start again on the same port).
 */

export interface Recorded {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
  raw: string;
  /** The status the recorder answered with; undefined when it hung or was cut. */
  status: number | undefined;
}

export type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

export class Recorder {
  readonly requests: Recorded[] = [];
  respond: (req: Recorded, index: number) => Answer | Promise<Answer> = () => ({ status: 200, body: 'ok' });
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly hung = new Set<ServerResponse>();
  port = 0;
  /** Requests being answered right now, and the most there ever were at once. */
  active = 0;
  maxActive = 0;

  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Requests answered with a 2xx. */
  accepted(): Recorded[] {
    return this.requests.filter((r) => r.status !== undefined && r.status >= 200 && r.status < 300);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const rec: Recorded = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body,
      raw,
      status: undefined,
    };
    this.requests.push(rec);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    res.once('close', () => this.active--);
    const answer = await this.respond(rec, this.requests.length - 1);
    if (answer === 'hang') {
      this.hung.add(res);
      return;
    }
    rec.status = answer.status;
    res.writeHead(answer.status, answer.headers ?? {}).end(answer.body ?? '');
  }

  /** Stops listening and cuts every connection: the receiver is down. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    this.hung.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
