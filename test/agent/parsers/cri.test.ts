import { describe, expect, it } from 'vitest';
import { Normalizer } from '../../../agent/normalize.ts';
import { cri } from '../../../agent/parsers/cri.ts';
import type { LogRecord } from '../../../agent/record.ts';
import { observedMs, parserConformance } from './parser.case.ts';

parserConformance(cri, [
  {
    name: 'full line on stdout with nanoseconds',
    line: '2016-10-06T00:17:09.669794202Z stdout F hello world',
    expect: {
      timeUnixMs: Date.UTC(2016, 9, 6, 0, 17, 9, 669) + 0.794202,
      body: 'hello world',
      attributes: { 'log.iostream': 'stdout' },
    },
  },
  {
    name: 'partial fragment on stderr',
    line: '2016-10-06T00:17:09.669794202Z stderr P part one ',
    expect: { body: 'part one ', attributes: { 'log.iostream': 'stderr', 'log.partial': true } },
  },
  { name: 'empty message', line: '2016-10-06T00:17:10Z stdout F', expect: { body: '' } },
  { name: 'unknown stream', line: '2016-10-06T00:17:10Z stdlog F x', expect: undefined },
]);

describe('cri: through the normalizer', () => {
  function run(lines: string[]): LogRecord[] {
    const out: LogRecord[] = [];
    const n = new Normalizer({ format: 'cri' }, (r) => out.push(r));
    for (const [i, l] of lines.entries()) n.push(l, observedMs, i);
    n.end();
    return out;
  }

  it('joins P fragments and parses the application line inside', () => {
    const out = run([
      '2024-01-02T10:00:00Z stdout P {"level":"error",',
      '2024-01-02T10:00:00Z stderr F plain stderr line',
      '2024-01-02T10:00:01Z stdout F "msg":"joined"}',
    ]);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatchObject({ body: 'plain stderr line', attributes: { 'log.iostream': 'stderr' } });
    expect(out[0]!.attributes['parse_error']).toBeUndefined();
    expect(out[1]).toMatchObject({
      body: 'joined',
      severityNumber: 17,
      timeUnixMs: Date.UTC(2024, 0, 2, 10),
    });
  });

  it('joins a Java stack trace written as several CRI lines', () => {
    const out = run([
      '2024-01-02T10:00:00Z stdout F 2024-01-02 10:00:00.000 [main] ERROR com.x.App - failed',
      '2024-01-02T10:00:00Z stdout F java.lang.IllegalStateException: boom',
      '2024-01-02T10:00:00Z stdout F \tat com.x.App.main(App.java:10)',
      '2024-01-02T10:00:01Z stdout F 2024-01-02 10:00:01.000 [main] INFO com.x.App - next',
    ]);
    expect(out.map((r) => r.body)).toEqual([
      'failed\njava.lang.IllegalStateException: boom\n\tat com.x.App.main(App.java:10)',
      'next',
    ]);
  });
});
