import { describe, expect, it } from 'vitest';
import { Normalizer } from '../../../agent/normalize.ts';
import { dockerJson } from '../../../agent/parsers/docker-json.ts';
import type { LogRecord } from '../../../agent/record.ts';
import { observedMs, parserConformance } from './parser.case.ts';

parserConformance(dockerJson, [
  {
    name: 'stderr line',
    line: '{"log":"listening on :80\\n","stream":"stderr","time":"2019-02-21T22:49:25.254617638Z"}',
    expect: {
      body: 'listening on :80',
      timeUnixMs: Date.UTC(2019, 1, 21, 22, 49, 25, 254) + 0.617638,
      attributes: { 'log.iostream': 'stderr' },
    },
  },
  {
    name: 'split fragment (no newline)',
    line: '{"log":"aaaa","stream":"stdout","time":"2019-02-21T22:49:25Z"}',
    expect: { body: 'aaaa', attributes: { 'log.partial': true } },
  },
  { name: 'other JSON', line: '{"msg":"x"}', expect: undefined },
]);

describe('docker-json: through the normalizer', () => {
  it('joins fragments and parses the inner nginx line', () => {
    const out: LogRecord[] = [];
    const n = new Normalizer({ format: 'docker' }, (r) => out.push(r));
    const inner = '10.0.0.1 - - [01/Jan/2024:00:00:00 +0000] "GET / HTTP/1.1" 500 12 "-" "ua"';
    n.push(
      JSON.stringify({ log: inner.slice(0, 20), stream: 'stdout', time: '2024-01-01T00:00:00Z' }),
      observedMs,
      0,
    );
    n.push(
      JSON.stringify({ log: `${inner.slice(20)}\n`, stream: 'stdout', time: '2024-01-01T00:00:00Z' }),
      observedMs,
      1,
    );
    n.end();
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      severityNumber: 17,
      attributes: { 'http.response.status_code': 500, 'log.iostream': 'stdout' },
    });
  });
});
