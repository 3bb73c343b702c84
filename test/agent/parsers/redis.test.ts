import { redis } from '../../../agent/parsers/redis.ts';
import { parserConformance } from './parser.case.ts';

parserConformance(redis, [
  {
    name: 'Redis 7 master notice',
    line: '1:M 12 Jan 2024 10:00:00.123 * Ready to accept connections tcp',
    expect: {
      timeUnixMs: Date.UTC(2024, 0, 12, 10, 0, 0, 123),
      severityNumber: 10,
      severityText: 'notice',
      body: 'Ready to accept connections tcp',
      attributes: { 'process.pid': 1, 'redis.role': 'master' },
    },
  },
  {
    name: 'warning from a child',
    line: '4711:C 3 Feb 2024 01:02:03.004 # WARNING Memory overcommit must be enabled!',
    expect: { severityNumber: 13, attributes: { 'redis.role': 'child' } },
  },
  {
    name: 'Redis 2.x form without year and role',
    line: '[123] 05 Mar 10:00:00.5 - Accepted 127.0.0.1:5000',
    expect: { severityNumber: 6, attributes: { 'process.pid': 123 } },
  },
  { name: 'unknown role', line: '1:Q 12 Jan 2024 10:00:00.123 * x', expect: undefined },
]);
