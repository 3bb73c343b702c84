import { describe, expect, it } from 'vitest';
import { Normalizer } from '../../../agent/normalize.ts';
import { java } from '../../../agent/parsers/java.ts';
import type { LogRecord } from '../../../agent/record.ts';
import { observedMs, parserConformance } from './parser.case.ts';

parserConformance(java, [
  {
    name: 'logback default (time only)',
    line: '10:00:00.123 [main] INFO  com.example.App - Started in 1.2s',
    expect: {
      timeUnixMs: Date.UTC(2026, 10, 23, 10, 0, 0, 123),
      severityNumber: 9,
      body: 'Started in 1.2s',
      attributes: { 'thread.name': 'main', 'logger.name': 'com.example.App' },
    },
  },
  {
    name: 'log4j level first with thread',
    line: '2024-01-02 10:00:00,123 ERROR [pool-1-thread-3] org.acme.Db - connection refused',
    expect: {
      timeUnixMs: Date.UTC(2024, 0, 2, 10, 0, 0, 123),
      severityNumber: 17,
      attributes: { 'thread.name': 'pool-1-thread-3', 'logger.name': 'org.acme.Db' },
    },
  },
  {
    name: 'log4j %c:%L',
    line: '2024-01-02 10:00:00,123 WARN  org.acme.Db:42 - slow query',
    expect: { severityNumber: 13, body: 'slow query', attributes: { 'code.lineno': 42 } },
  },
  {
    name: 'Spring Boot with offset and padded thread',
    line: '2024-01-02T10:00:00.123+01:00  INFO 4242 --- [           main] c.e.demo.DemoApplication                 : Started DemoApplication',
    expect: {
      timeUnixMs: Date.UTC(2024, 0, 2, 9, 0, 0, 123),
      severityNumber: 9,
      body: 'Started DemoApplication',
      attributes: { 'process.pid': 4242, 'thread.name': 'main', 'logger.name': 'c.e.demo.DemoApplication' },
    },
  },
  {
    name: 'a stack frame alone is not a record',
    line: '\tat com.example.App.main(App.java:10)',
    expect: undefined,
  },
]);

describe('java: stack traces', () => {
  it('joins frames, Caused by and "... N more" into the record', () => {
    const out: LogRecord[] = [];
    const n = new Normalizer({ format: 'logback' }, (r) => out.push(r));
    const lines = [
      '2024-01-02 10:00:00.000 [main] ERROR com.x.Svc - request failed',
      'java.lang.RuntimeException: wrapper',
      '\tat com.x.Svc.handle(Svc.java:20)',
      'Caused by: java.io.IOException: reset',
      '\t... 12 more',
      'not a continuation',
    ];
    for (const [i, l] of lines.entries()) n.push(l, observedMs, i);
    n.end();
    expect(out).toHaveLength(2);
    expect(out[0]!.body).toBe(['request failed', ...lines.slice(1, 5)].join('\n'));
    expect(out[1]).toMatchObject({ body: 'not a continuation', attributes: { parse_error: 'not java' } });
  });

  it('cuts a runaway trace at the line limit and keeps the rest', () => {
    const out: LogRecord[] = [];
    const n = new Normalizer({ format: 'java', maxRecordLines: 3 }, (r) => out.push(r));
    n.push('2024-01-02 10:00:00.000 [main] ERROR a.B - x', observedMs, 0);
    for (let i = 1; i <= 4; i++) n.push(`\tat a.B.m${i}(B.java:${i})`, observedMs, i);
    n.end();
    expect(out.map((r) => r.body.split('\n').length)).toEqual([3, 1, 1]);
  });
});
