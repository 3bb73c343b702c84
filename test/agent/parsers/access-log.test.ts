import { describe, expect, it } from 'vitest';
import { accessLog, parseClfTime } from '../../../agent/parsers/access-log.ts';
import { parserConformance } from './parser.case.ts';

parserConformance(accessLog, [
  {
    name: 'Apache common',
    line: '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326',
    expect: {
      timeUnixMs: Date.UTC(2000, 9, 10, 20, 55, 36),
      severityNumber: 9,
      attributes: {
        'client.address': '127.0.0.1',
        'user.name': 'frank',
        'http.request.method': 'GET',
        'url.original': '/apache_pb.gif',
        'network.protocol.version': '1.0',
        'http.response.status_code': 200,
        'http.response.body.size': 2326,
      },
    },
  },
  {
    name: 'nginx combined with IPv6 client and request_time',
    line: '2001:db8::1 - - [23/Nov/2026:10:00:01 +0000] "POST /api/v1/items?id=3 HTTP/2.0" 503 0 "-" "curl/8.5.0" 0.250',
    expect: {
      severityNumber: 17,
      attributes: {
        'client.address': '2001:db8::1',
        'http.request.method': 'POST',
        'url.original': '/api/v1/items?id=3',
        'http.response.status_code': 503,
        'user_agent.original': 'curl/8.5.0',
        'http.server.request.duration': 0.25,
      },
    },
  },
  {
    name: 'nginx \\x22 and Apache \\" escapes in the user agent',
    line: '10.0.0.1 - - [01/Jan/2024:00:00:00 +0100] "GET / HTTP/1.1" 404 12 "http://x/?q=\\x22a\\x22" "Mozilla \\"quoted\\" agent"',
    expect: {
      timeUnixMs: Date.UTC(2023, 11, 31, 23),
      severityNumber: 13,
      attributes: {
        'http.request.header.referer': 'http://x/?q="a"',
        'user_agent.original': 'Mozilla "quoted" agent',
      },
    },
  },
  {
    name: 'garbage request from a TLS client and missing size',
    line: '192.0.2.9 - - [01/Jan/2024:00:00:00 +0000] "\\x16\\x03\\x01\\x00" 400 - "-" "-"',
    expect: { attributes: { 'http.request.line': '\x16\x03\x01\x00', 'http.response.status_code': 400 } },
  },
  {
    name: 'key=value timings after the user agent',
    line: '1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "GET /x HTTP/1.1" 200 5 "-" "ua" rt=1.5 uct=0.001',
    expect: { attributes: { 'http.server.request.duration': 1.5, 'log.extra': 'rt=1.5 uct=0.001' } },
  },
  {
    name: 'bad month',
    line: '1.2.3.4 - - [01/Foo/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 5',
    expect: undefined,
  },
  { name: 'not an access log', line: 'GET / 200', expect: undefined },
]);

describe('parseClfTime', () => {
  it('reads fractional seconds and offsets', () => {
    expect(parseClfTime('10/Oct/2000:13:55:36.250 +0130')).toBe(Date.UTC(2000, 9, 10, 12, 25, 36, 250));
  });
});
