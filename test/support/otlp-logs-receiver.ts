import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for an OpenTelemetry Collector's OTLP/HTTP logs endpoint that records
 * what it receives. `down()` makes it answer 503 (a collector that is up but failing) and
 * `stop()` closes the port (a collector that is gone); `up()` and `start()` undo them.
 */
export class OtlpReceiver {
  /** Bodies (log record bodies) in the order received. */
  readonly bodies: string[] = [];
  readonly requests: unknown[] = [];
  status = 200;
  private server: Server | undefined;
  port = 0;

  async start(port = 0): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url !== '/v1/logs' || req.method !== 'POST') {
          res.writeHead(404).end();
          return;
        }
        if (this.status !== 200) {
          res.writeHead(this.status).end();
          return;
        }
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceLogs: Array<{ scopeLogs: Array<{ logRecords: Array<{ body: { stringValue: string } }> }> }>;
        };
        this.requests.push(body);
        for (const rl of body.resourceLogs)
          for (const sl of rl.scopeLogs)
            for (const lr of sl.logRecords) this.bodies.push(lr.body.stringValue);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return `http://127.0.0.1:${this.port}`;
  }

  down(status = 503): void {
    this.status = status;
  }

  up(): void {
    this.status = 200;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
