import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Normalizer, resolveFormat } from '../../agent/normalize.ts';
import type { LogRecord } from '../../agent/record.ts';
import { observedMs } from './parsers/parser.case.ts';

function run(lines: string[], format = 'auto'): LogRecord[] {
  const out: LogRecord[] = [];
  const n = new Normalizer({ format, resource: { 'k8s.pod.name': 'p' } }, (r) => out.push(r));
  for (const [i, l] of lines.entries()) n.push(l, observedMs, i);
  n.end();
  return out;
}

const samples: Record<string, string> = {
  json: '{"level":30,"time":1700000000000,"msg":"hi"}',
  'docker-json': '{"log":"x\\n","stream":"stdout","time":"2024-01-01T00:00:00Z"}',
  cri: '2024-01-01T00:00:00Z stdout F x',
  'syslog-rfc5424': '<14>1 2024-01-01T00:00:00Z h app - - - x',
  'syslog-rfc3164': '<14>Jan  1 00:00:00 h app: x',
  klog: 'I0101 00:00:00.000000 1 a.go:1] x',
  redis: '1:M 01 Jan 2024 00:00:00.000 * x',
  'access-log': '1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "ua"',
  java: '2024-01-01 00:00:00.000 [main] INFO a.B - x',
  python: 'INFO:root:x',
  'go-log': '2024/01/01 00:00:00 x',
  logfmt: 'level=info msg=x a=1',
};

describe('Normalizer: auto-detection', () => {
  it('detects every format line by line in a mixed stream', () => {
    const names = Object.keys(samples);
    const lines = [...names, ...names.reverse()].map((n) => samples[n]!);
    const out = run(lines);
    expect(out).toHaveLength(lines.length);
    for (const r of out) expect(r.attributes['parse_error']).toBeUndefined();
    expect(out[0]!.resource).toEqual({ 'k8s.pod.name': 'p' });
  });

  it('keeps garbage, binary junk and a 1 MB line whole with parse_error, in order', () => {
    const big = 'x'.repeat(1 << 20);
    const junk = '\u0000\u00ff\ufffd\u0007binary';
    const out = run([samples.json!, 'garbage here', junk, big, samples['access-log']!]);
    expect(out.map((r) => r.body.length)).toEqual([
      2,
      12,
      junk.length,
      big.length,
      samples['access-log']!.length,
    ]);
    expect(out[1]!.attributes['parse_error']).toBe('no format matched');
    expect(out[3]!.body).toBe(big);
    expect(out[3]!.severityNumber).toBe(0);
  });

  it('with a fixed format, says which format the line failed', () => {
    expect(run(['nope'], 'nginx')[0]!.attributes['parse_error']).toBe('not access-log');
  });

  it('accepts aliases and refuses unknown formats with the list of known ones', () => {
    expect(resolveFormat('logback')).toBe('java');
    expect(() => resolveFormat('xml')).toThrow(/unknown log format "xml" \(known: auto, json/);
  });

  it('never loses a line of a fuzzed mixed stream', () => {
    const plain = Object.entries(samples)
      .filter(([k]) => k !== 'cri' && k !== 'docker-json')
      .map(([, v]) => v);
    const line = fc.oneof(
      fc.constantFrom(...plain),
      fc.string({ maxLength: 80 }),
      fc.constant('\tat a.B.c(B.java:1)'),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), (lines) => {
        const records: LogRecord[] = [];
        const n = new Normalizer({}, (r) => records.push(r));
        for (const [i, l] of lines.entries()) n.push(l, observedMs, i);
        n.end();
        const c = n.counts;
        const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
        expect(sum(c.parsed) + sum(c.continuation) + c.unparsed).toBe(lines.length);
        expect(c.records).toBe(records.length);
        const kept = records.filter((r) => r.attributes['parse_error'] !== undefined).map((r) => r.body);
        expect(kept).toHaveLength(c.unparsed);
        for (const body of kept) expect(lines).toContain(body);
      }),
      { seed: 7, numRuns: 200 },
    );
  });

  it('emits records with non-decreasing positions', () => {
    const positions: number[] = [];
    const n = new Normalizer({}, (_r, p) => positions.push(p));
    const lines = [
      samples.java!,
      '\tat a.B.c(B.java:1)',
      samples.json!,
      'junk',
      samples.python!,
      'ValueError: x',
      samples.cri!,
    ];
    for (const [i, l] of lines.entries()) n.push(l, observedMs, i);
    n.end();
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(positions.at(-1)).toBe(lines.length - 1);
  });
});
