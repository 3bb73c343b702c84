import { createServer } from 'node:http';
import type { VerifyMetrics } from '../chaos/index.ts';
import { closable, listen, parseListenAddress, VigilError } from '../core/index.ts';

/**
 * Serves verification metrics on /metrics (and /healthz) while a long command runs, so that
 * Prometheus, or vigil server with rules/durability.yaml, can page on a violation as it
 * happens. Used by `vigil verify` and `vigil chaos run`; loopback unless HOST says otherwise.
 */
export async function serveVerifyMetrics(
  command: string,
  metrics: VerifyMetrics,
  address: string | { host: string; port: number },
): Promise<ReturnType<typeof closable>> {
  const where = typeof address === 'string' ? parseListenAddress(address) : address;
  if (!where)
    throw new VigilError(
      'usage',
      `${command}: --metrics: expected HOST:PORT or :PORT, got "${String(address)}"`,
    );
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
      return;
    }
    res.writeHead(req.url === '/healthz' ? 200 : 404, { 'content-type': 'text/plain' });
    res.end(req.url === '/healthz' ? 'ok\n' : 'not found\n');
  });
  const handle = closable(server);
  await listen(server, where);
  return handle;
}
