/**
 * Scrape targets for bench/alerting-ingest.ts, in their own process so that serving them does
 * not count against the scraper: `count` HTTP servers on loopback, each exposing `series`
 * counters whose values move on every scrape. Prints the ports as JSON on stdout.
 */
import { createServer } from 'node:http';

const [countText, seriesText] = process.argv.slice(2);
const count = Number(countText ?? '10');
const series = Number(seriesText ?? '1000');
const ports: number[] = [];
for (let i = 0; i < count; i++) {
  let scrapes = 0;
  const server = createServer((_req, res) => {
    scrapes++;
    let body = '# HELP bench_requests_total Requests.\n# TYPE bench_requests_total counter\n';
    for (let s = 0; s < series; s++)
      body += `bench_requests_total{route="/r${s % 50}",code="${200 + (s % 7)}",shard="${s}"} ${scrapes * (s + 1)}\n`;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ports.push((server.address() as { port: number }).port);
}
process.stdout.write(`${JSON.stringify(ports)}\n`);
