import { describe, expect, it } from 'vitest';
import { Normalizer } from '../../../agent/normalize.ts';
import { python } from '../../../agent/parsers/python.ts';
import type { LogRecord } from '../../../agent/record.ts';
import { observedMs, parserConformance } from './parser.case.ts';

parserConformance(python, [
  {
    name: 'basicConfig default',
    line: 'WARNING:root:disk almost full',
    expect: { severityNumber: 13, body: 'disk almost full', timeUnixMs: undefined },
  },
  {
    name: 'basicConfig, message with colons',
    line: 'ERROR:app.db:query failed: timeout: 5s',
    expect: { body: 'query failed: timeout: 5s', attributes: { 'logger.name': 'app.db' } },
  },
  {
    name: 'asctime - name - level - message',
    line: '2024-01-02 10:00:00,123 - worker.tasks - CRITICAL - lost connection',
    expect: { timeUnixMs: Date.UTC(2024, 0, 2, 10, 0, 0, 123), severityNumber: 21, body: 'lost connection' },
  },
  {
    name: 'Flask default',
    line: '[2024-01-02 10:00:00,001] INFO in app: started',
    expect: { severityNumber: 9, body: 'started', attributes: { 'logger.name': 'app' } },
  },
  { name: 'lowercase level is not python', line: 'warning:root:x', expect: undefined },
]);

describe('python: tracebacks', () => {
  it('joins a traceback, including the final exception line, into the record', () => {
    const out: LogRecord[] = [];
    const n = new Normalizer({ format: 'python' }, (r) => out.push(r));
    const lines = [
      '2024-01-02 10:00:00,123 - app - ERROR - unhandled',
      'Traceback (most recent call last):',
      '  File "/app/main.py", line 3, in <module>',
      '    1 / 0',
      'ZeroDivisionError: division by zero',
      '2024-01-02 10:00:01,000 - app - INFO - next',
    ];
    for (const [i, l] of lines.entries()) n.push(l, observedMs, i);
    n.end();
    expect(out).toHaveLength(2);
    expect(out[0]!.body).toBe(['unhandled', ...lines.slice(1, 5)].join('\n'));
    expect(out[1]!.body).toBe('next');
  });
});
