// biome-ignore-all lint/suspicious/noTemplateCurlyInString: label templates of log-metric rules are written ${group}, like the config files.
import { describe, expect, it } from 'vitest';
import { compileMapping, LogMetrics, routeOf, statusClass } from '../../../agent/logmetrics/index.ts';
import { Normalizer } from '../../../agent/normalize.ts';
import type { LogRecord } from '../../../agent/record.ts';

function normalize(lines: string[], format = 'auto'): LogRecord[] {
  const out: LogRecord[] = [];
  const n = new Normalizer({ format }, (r) => out.push(r));
  for (const [i, l] of lines.entries()) n.push(l, Date.UTC(2026, 0, 1), i);
  n.end();
  return out;
}

function samples(m: LogMetrics): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of m.families()) {
    for (const s of f.samples) {
      const labels = Object.entries(s.labels)
        .sort(([a], [b]) => (a === 'le' ? 1 : b === 'le' ? -1 : 0))
        .map(([k, x]) => `${k}="${x}"`)
        .join(',');
      out.set(`${s.name}{${labels}}`, s.value);
    }
  }
  return out;
}

describe('routes and status classes', () => {
  it('turns ids into :id and drops the query', () => {
    expect(routeOf('/api/v1/users/42/orders/9f86d081884c7d65?x=1')).toBe('/api/v1/users/:id/orders/:id');
    expect(routeOf('/u/0b5e3c1e-1111-2222-3333-444455556666')).toBe('/u/:id');
    expect(routeOf('/static/app.js')).toBe('/static/app.js');
    expect(routeOf('http://example.com/x/1')).toBe('/x/:id');
    expect(routeOf('*')).toBe('other');
    expect(statusClass(404)).toBe('4xx');
    expect(statusClass(undefined)).toBe('unknown');
  });
});

describe('LogMetrics', () => {
  it('counts records by severity, requests by method/status class/route, and durations', async () => {
    const m = new LogMetrics();
    const access = (method: string, path: string, status: number, rt: string) =>
      `10.0.0.1 - - [01/Jan/2024:00:00:00 +0000] "${method} ${path} HTTP/1.1" ${status} 10 "-" "ua" ${rt}`;
    m.observe(
      normalize([
        access('GET', '/users/1', 200, '0.010'),
        access('GET', '/users/2?full=1', 200, '0.300'),
        access('POST', '/users', 503, '2.000'),
        '{"level":"error","msg":"x"}',
        'garbage',
      ]),
      'web',
    );
    const s = samples(m);
    expect(
      s.get(
        'vigil_agent_http_requests_total{source="web",method="GET",status_class="2xx",route="/users/:id"}',
      ),
    ).toBe(2);
    expect(
      s.get('vigil_agent_http_requests_total{source="web",method="POST",status_class="5xx",route="/users"}'),
    ).toBe(1);
    expect(
      s.get(
        'vigil_agent_http_request_duration_seconds_bucket{source="web",method="GET",status_class="2xx",le="0.25"}',
      ),
    ).toBe(1);
    expect(
      s.get('vigil_agent_http_request_duration_seconds_count{source="web",method="GET",status_class="2xx"}'),
    ).toBe(2);
    expect(s.get('vigil_agent_log_records_total{source="web",severity="error"}')).toBe(2);
    expect(s.get('vigil_agent_log_records_total{source="web",severity="info"}')).toBe(2);
    expect(s.get('vigil_agent_log_records_total{source="web",severity="unspecified"}')).toBe(1);
  });

  it('caps distinct routes and counts the rest as route="other"', async () => {
    const m = new LogMetrics({ maxRoutes: 2 });
    const lines = ['a', 'b', 'c', 'd'].map(
      (p) => `1.1.1.1 - - [01/Jan/2024:00:00:00 +0000] "GET /${p} HTTP/1.1" 200 1`,
    );
    m.observe(normalize(lines), 'web');
    const s = samples(m);
    expect(
      s.get('vigil_agent_http_requests_total{source="web",method="GET",status_class="2xx",route="other"}'),
    ).toBe(2);
  });

  it('applies user mappings: regex groups and fields to counters, gauges and histograms', async () => {
    const m = new LogMetrics({
      mappings: [
        {
          name: 'app_logins_total',
          type: 'counter',
          match: { regex: 'login (?<result>ok|failed) user=(\\S+)' },
          labels: { result: '${result}' },
        },
        {
          name: 'app_queue_depth',
          type: 'gauge',
          match: { field: 'attributes.queue' },
          labels: { queue: '${attributes.queue}' },
          value: 'attributes.depth',
        },
        {
          name: 'app_job_seconds',
          type: 'histogram',
          match: { regex: 'job done in (\\d+\\.\\d+)s' },
          value: '${1}',
          buckets: [1, 5],
        },
        {
          name: 'app_db_errors_total',
          type: 'counter',
          source: 'db',
          match: { field: 'severity_text', equals: 'ERROR' },
        },
      ],
    });
    m.observe(
      normalize([
        'level=info msg="login ok user=ann" a=1',
        'level=info msg="login failed user=bob" a=1',
        'level=info msg="login failed user=eve" a=1',
        '{"msg":"tick","queue":"mail","depth":7}',
        '{"msg":"tick","queue":"mail","depth":3}',
        'level=info msg="job done in 2.5s" a=1',
        'ERROR:root:not from the db source',
      ]),
      'app',
    );
    m.observe(normalize(['ERROR:db:deadlock']), 'db');
    const s = samples(m);
    expect(s.get('app_logins_total{result="ok"}')).toBe(1);
    expect(s.get('app_logins_total{result="failed"}')).toBe(2);
    expect(s.get('app_queue_depth{queue="mail"}')).toBe(3);
    expect(s.get('app_job_seconds_bucket{le="5"}')).toBe(1);
    expect(s.get('app_job_seconds_bucket{le="1"}')).toBe(0);
    expect(s.get('app_db_errors_total{}')).toBe(1);
  });

  it('refuses bad rules with the rule named', () => {
    expect(() => compileMapping({ name: 'x', type: 'counter', match: { regex: '(' } })).toThrow(
      /metric x: invalid regex/,
    );
    expect(() => compileMapping({ name: 'bad-name', type: 'counter' })).toThrow(
      /not a valid Prometheus metric name/,
    );
    expect(() => compileMapping({ name: 'g', type: 'gauge' })).toThrow(/needs "value"/);
    expect(() => compileMapping({ name: 'c', type: 'counter', labels: { l: '${nope.x}' } })).toThrow(
      /unknown record field/,
    );
  });
});
