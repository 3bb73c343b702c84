import { describe, expect, it } from 'vitest';
import { AccessLogFastPath, LogMetrics } from '../../../agent/logmetrics/index.ts';
import { Normalizer } from '../../../agent/normalize.ts';
import type { LogRecord } from '../../../agent/record.ts';
import { nginxLine, seeded } from '../../../bench/_agent-corpus.ts';
import { writeExposition } from '../../../core/index.ts';

describe('access-log metrics fast path', () => {
  it('produces exactly the metrics of the record path on the same lines', () => {
    const r = seeded(3);
    const lines = Array.from({ length: 5000 }, (_, i) => nginxLine(r, i));
    lines.push('10.0.0.1 - - [01/Jan/2024:00:00:00 +0000] "GET /x HTTP/1.1" 200 5 "-" "ua"'); // no request time
    const viaRecords = new LogMetrics();
    const records: LogRecord[] = [];
    const n = new Normalizer({ format: 'nginx' }, (rec) => records.push(rec));
    for (const [i, l] of lines.entries()) n.push(l, 0, i);
    n.end();
    viaRecords.observe(records, 'web');
    const viaFast = new LogMetrics();
    const fast = new AccessLogFastPath(viaFast, 'web');
    // In two chunks, with a flush between: totals must add up.
    fast.pushText(lines.slice(0, 2500).join('\n'));
    fast.flush();
    fast.pushText(lines.slice(2500).join('\n'));
    fast.flush();
    // Sums differ only in the last bits (floating-point addition order): compare them rounded.
    const round = (line: string) =>
      line.replace(/^(\S+_sum\{.*\}) (\S+)$/, (_, k: string, v: string) => `${k} ${Number(v).toFixed(6)}`);
    const sorted = (m: LogMetrics) => writeExposition(m.families()).split('\n').map(round).sort().join('\n');
    expect(sorted(viaFast)).toBe(sorted(viaRecords));
    expect(fast.stats).toEqual({ lines: lines.length, unparsed: 0 });
  });

  it('reads CRLF line endings', () => {
    const metrics = new LogMetrics();
    const fast = new AccessLogFastPath(metrics, 'web');
    fast.pushText(
      '1.1.1.1 - - [01/Jan/2024:00:00:00 +0000] "GET /a HTTP/1.1" 200 5 "-" "ua" 0.5\r\n1.1.1.1 - - [01/Jan/2024:00:00:00 +0000] "GET /a HTTP/1.1" 200 5 "-" "ua" 0.5\r',
    );
    fast.flush();
    const text = writeExposition(metrics.families());
    expect(text).toContain(
      'vigil_agent_http_request_duration_seconds_count{source="web",method="GET",status_class="2xx"} 2',
    );
  });

  it('counts lines that are not access-log lines as unparsed', () => {
    const fast = new AccessLogFastPath(new LogMetrics(), 'web');
    fast.pushText('garbage\n{"msg":"x"}');
    expect(fast.stats).toEqual({ lines: 2, unparsed: 2 });
  });
});

describe('routeHash', () => {
  it('agrees with routeOf: same route, same hash; different routes, different hashes (fuzzed)', async () => {
    const fc = (await import('fast-check')).default;
    const { routeHash } = await import('../../../agent/logmetrics/route-hash.ts');
    const { routeOf } = await import('../../../agent/logmetrics/index.ts');
    const segment = fc.oneof(
      fc.constantFrom('users', 'orders', 'v1', 'api', 'deadbeef', 'a-b', 'x_y', 'static', 'app.js', ''),
      fc.nat().map(String),
      fc.uuid(),
      fc.string({ unit: fc.constantFrom(...'abcdef0123456789-'), minLength: 1, maxLength: 20 }),
      fc.string({ maxLength: 6 }),
    );
    const path = fc
      .tuple(fc.array(segment, { minLength: 1, maxLength: 5 }), fc.option(fc.string({ maxLength: 5 })))
      .map(([segs, q]) => `/${segs.join('/')}${q === null ? '' : `?${q}`}`)
      .filter((p) => !p.includes(' ') && !p.includes('\n'));
    fc.assert(
      fc.property(path, path, (a, b) => {
        const sameRoute = routeOf(a) === routeOf(b);
        const sameHash = routeHash(a, 0, a.length) === routeHash(b, 0, b.length);
        expect(sameHash).toBe(sameRoute);
      }),
      { seed: 5, numRuns: 2000 },
    );
  });
});
