import { syslogRfc5424 } from '../../../agent/parsers/syslog-rfc5424.ts';
import { parserConformance } from './parser.case.ts';

parserConformance(syslogRfc5424, [
  {
    name: 'RFC 5424 example with structured data and BOM',
    line: '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application"] \uFEFFAn application event',
    expect: {
      timeUnixMs: Date.UTC(2003, 9, 11, 22, 14, 15, 3),
      severityNumber: 10,
      severityText: 'notice',
      body: 'An application event',
      attributes: {
        'host.name': 'mymachine.example.com',
        'service.name': 'evntslog',
        'syslog.msgid': 'ID47',
        'syslog.sd.exampleSDID@32473.iut': '3',
        'syslog.sd.exampleSDID@32473.eventSource': 'Application',
      },
    },
  },
  {
    name: 'escapes in PARAM-VALUE, two SD elements, offset time',
    line: '<11>1 2024-01-02T10:00:00.5-05:00 h app 42 - [a@1 k="q\\"u\\]o\\\\te"][b@2 x="y"] failed',
    expect: {
      timeUnixMs: Date.UTC(2024, 0, 2, 15, 0, 0, 500),
      severityNumber: 17,
      attributes: { 'process.pid': 42, 'syslog.sd.a@1.k': 'q"u]o\\te', 'syslog.sd.b@2.x': 'y' },
    },
  },
  {
    name: 'all NILVALUE, no message',
    line: '<14>1 - - - - - -',
    expect: { body: '', timeUnixMs: undefined, severityNumber: 9 },
  },
  { name: 'unterminated structured data', line: '<14>1 - h a - - [x@1 k="v] msg', expect: undefined },
  { name: 'version 2', line: '<14>2 - h a - - - msg', expect: undefined },
]);
