import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Express } from 'express';
import { type Clock, listen } from '../core/index.ts';

/** Default time in-flight requests get to finish at shutdown; well inside Kubernetes' 30 s grace period. */
export const defaultGraceMs = 10_000;

/** After sockets are closed, how long responses get to report `close` before shutdown moves on. */
const closeReportMs = 1000;

interface Tracked {
  server: Server;
  inflight: Set<ServerResponse>;
}

/**
 * The HTTP servers a telemetry object started, with their in-flight responses, so shutdown can
 * stop accepting, let running requests finish, and only then close connections.
 *
 * @example
 * const servers = new Servers(systemClock);
 * const { url } = await servers.listen(app, { port: 8080 });
 * await servers.drain(5000);
 */
export class Servers {
  private readonly tracked: Tracked[] = [];
  private draining = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly clock: Clock) {}

  /** Serves `app` on host:port (host 127.0.0.1 unless told otherwise). */
  async listen(
    app: Express,
    options: { port: number; host?: string },
  ): Promise<{ server: Server; url: string }> {
    const server = createServer(app);
    const entry: Tracked = { server, inflight: new Set() };
    server.on('request', (_req: IncomingMessage, res: ServerResponse) => this.onRequest(entry, res));
    this.tracked.push(entry);
    try {
      const bound = await listen(server, { host: options.host ?? '127.0.0.1', port: options.port });
      return { server, url: bound.url };
    } catch (err) {
      this.tracked.splice(this.tracked.indexOf(entry), 1);
      throw err;
    }
  }

  private onRequest(entry: Tracked, res: ServerResponse): void {
    entry.inflight.add(res);
    if (this.draining) res.shouldKeepAlive = false;
    // Registered after the app's own listeners (the middleware's), so when it runs the request's
    // span has ended and its metrics are recorded.
    res.once('close', () => {
      entry.inflight.delete(res);
      if (this.idleWaiters.length > 0 && this.inflight() === 0) {
        for (const wake of this.idleWaiters.splice(0)) wake();
      }
      // A keep-alive connection that just went idle is closed now rather than at the deadline.
      if (this.draining) setImmediate(() => entry.server.closeIdleConnections());
    });
  }

  /** Number of requests being served right now, over all servers. */
  inflight(): number {
    return this.tracked.reduce((n, t) => n + t.inflight.size, 0);
  }

  /**
   * Stops accepting connections, waits up to `graceMs` for in-flight requests to complete
   * (answering them with `Connection: close`), then closes whatever connections remain.
   * Resolves when every server is closed.
   */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    const closed = this.tracked.map(
      (t) =>
        new Promise<void>((resolve) => {
          if (!t.server.listening) {
            resolve();
            return;
          }
          t.server.close(() => resolve());
          for (const res of t.inflight) if (!res.headersSent) res.shouldKeepAlive = false;
          t.server.closeIdleConnections();
        }),
    );
    let timer: { cancel(): void } | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = this.clock.setTimeout(() => resolve('deadline'), graceMs);
    });
    const outcome = await Promise.race([Promise.all(closed).then(() => 'closed' as const), deadline]);
    timer?.cancel();
    if (outcome === 'deadline') {
      // Requests still running past the grace period are cut; their spans end as timeouts.
      for (const t of this.tracked) t.server.closeAllConnections();
      await Promise.all(closed);
    }
    // A server closes when its sockets do, which can be before the responses on them emit
    // `close`; the spans end there, so wait for them.
    // Bounded: a response that never reports must not hold shutdown forever.
    if (this.inflight() > 0) {
      let cap: { cancel(): void } | undefined;
      await new Promise<void>((resolve) => {
        this.idleWaiters.push(resolve);
        cap = this.clock.setTimeout(resolve, closeReportMs);
      });
      cap?.cancel();
    }
    this.tracked.length = 0;
  }
}
