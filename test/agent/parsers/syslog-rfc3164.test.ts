import { syslogRfc3164 } from '../../../agent/parsers/syslog-rfc3164.ts';
import { parserConformance } from './parser.case.ts';

parserConformance(syslogRfc3164, [
  {
    name: 'RFC 3164 example with PRI',
    line: "<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick on /dev/pts/8",
    expect: {
      timeUnixMs: Date.UTC(2026, 9, 11, 22, 14, 15),
      severityNumber: 18,
      severityText: 'crit',
      body: "'su root' failed for lonvick on /dev/pts/8",
      attributes: {
        'host.name': 'mymachine',
        'process.executable.name': 'su',
        'process.pid': 230,
        'syslog.facility': 4,
      },
    },
  },
  {
    name: '/var/log/syslog without PRI, single-digit day',
    line: 'Nov  3 08:01:02 web1 CRON[12]: (root) CMD (run-parts /etc/cron.hourly)',
    expect: {
      timeUnixMs: Date.UTC(2026, 10, 3, 8, 1, 2),
      severityNumber: 0,
      attributes: { 'process.pid': 12 },
    },
  },
  {
    name: 'December line read in November of the next year is in the past year? no: in the same year when not in the future',
    line: 'Dec 31 23:59:59 h kernel: x',
    expect: { timeUnixMs: Date.UTC(2025, 11, 31, 23, 59, 59) },
  },
  {
    name: 'rsyslog high-precision timestamp',
    line: '2024-01-02T10:00:00.123456+01:00 db1 postgres[99]: checkpoint complete',
    expect: { timeUnixMs: Date.UTC(2024, 0, 2, 9, 0, 0, 123) + 0.456, body: 'checkpoint complete' },
  },
  { name: 'PRI out of range', line: '<999>Oct 11 22:14:15 h app: x', expect: undefined },
  { name: 'no tag colon', line: 'Oct 11 22:14:15 just words here', expect: undefined },
]);
