import { goLog } from '../../../agent/parsers/go-log.ts';
import { parserConformance } from './parser.case.ts';

parserConformance(goLog, [
  {
    name: 'default flags',
    line: '2009/11/10 23:00:00 Hello, playground',
    expect: { timeUnixMs: Date.UTC(2009, 10, 10, 23), body: 'Hello, playground', severityNumber: 0 },
  },
  {
    name: 'microseconds and short file',
    line: '2024/01/02 10:00:00.123456 server.go:88: listening on :8080',
    expect: {
      timeUnixMs: Date.UTC(2024, 0, 2, 10, 0, 0, 123) + 0.456,
      body: 'listening on :8080',
      attributes: { 'code.filepath': 'server.go', 'code.lineno': 88 },
    },
  },
  {
    name: 'long file path',
    line: '2024/01/02 10:00:00 /src/app/main.go:5: x',
    expect: { attributes: { 'code.filepath': '/src/app/main.go' } },
  },
  { name: 'bad date', line: '2024/13/02 10:00:00 x', expect: undefined },
]);
