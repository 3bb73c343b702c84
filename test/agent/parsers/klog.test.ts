import { klog } from '../../../agent/parsers/klog.ts';
import { parserConformance } from './parser.case.ts';

parserConformance(klog, [
  {
    name: 'kubelet error',
    line: 'E1123 09:15:02.123456    4021 pod_workers.go:1298] "Error syncing pod, skipping" err="failed to StartContainer" pod="default/web-0"',
    expect: {
      timeUnixMs: Date.UTC(2026, 10, 23, 9, 15, 2, 123) + 0.456,
      severityNumber: 17,
      severityText: 'E',
      body: 'Error syncing pod, skipping',
      attributes: {
        'thread.id': 4021,
        'code.filepath': 'pod_workers.go',
        'code.lineno': 1298,
        err: 'failed to StartContainer',
        pod: 'default/web-0',
      },
    },
  },
  {
    name: 'plain glog message',
    line: 'I0102 15:04:05.000000 1 main.go:10] starting server on :8080',
    expect: {
      severityNumber: 9,
      body: 'starting server on :8080',
      timeUnixMs: Date.UTC(2026, 0, 2, 15, 4, 5),
    },
  },
  {
    name: 'warning, one structured pair',
    line: 'W0102 15:04:05 7 x.go:1] "slow" ms="900"',
    expect: { severityNumber: 13, body: 'slow', attributes: { ms: '900' } },
  },
  { name: 'bad month', line: 'I1302 15:04:05.000000 1 main.go:10] x', expect: undefined },
]);
