import { describe, expect, it } from 'vitest';
import { logfmt, scanLogfmt } from '../../../agent/parsers/logfmt.ts';
import { parserConformance } from './parser.case.ts';

parserConformance(logfmt, [
  {
    name: 'slog TextHandler',
    line: 'time=2024-01-02T10:00:00.000+01:00 level=WARN msg="cache miss rate high" rate=0.31 shard=7',
    expect: {
      timeUnixMs: Date.UTC(2024, 0, 2, 9),
      severityNumber: 13,
      body: 'cache miss rate high',
      attributes: { rate: '0.31', shard: '7' },
    },
  },
  {
    name: 'escaped quote and backslash in a value',
    line: 'level=info msg="said \\"hi\\" to C:\\\\temp" user=bob',
    expect: { severityNumber: 9, body: 'said "hi" to C:\\temp', attributes: { user: 'bob' } },
  },
  {
    name: 'bare key and trace id',
    line: 'ts=1700000000 lvl=debug trace_id=4bf92f3577b34da6a3ce929d0e0e4736 retry msg=x',
    expect: {
      timeUnixMs: 1700000000000,
      severityNumber: 5,
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      attributes: { retry: 'true' },
    },
  },
  { name: 'a sentence with one pair is not logfmt', line: 'set timeout=30 for all', expect: undefined },
  { name: 'unterminated quote', line: 'a=1 msg="oops', expect: undefined },
]);

describe('scanLogfmt', () => {
  it('reads empty values', () => {
    expect(scanLogfmt('a= b=""')).toEqual([
      ['a', ''],
      ['b', ''],
    ]);
  });
});
