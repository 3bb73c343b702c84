import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../../../agent/record.ts';
import {
  Checkpoints,
  commandSource,
  kubernetesSource,
  podResource,
  stdinSource,
} from '../../../agent/sources/index.ts';
import { systemClock } from '../../../core/index.ts';

const collect = () => {
  const records: LogRecord[] = [];
  return { records, deliver: async (b: LogRecord[]) => void records.push(...b) };
};

describe('stdin source', () => {
  it('reads lines split across chunks, joins a stack trace, and ends with the stream', async () => {
    const input = Readable.from([
      Buffer.from('INFO:root:one\nERROR:root:tw'),
      Buffer.from('o\nTraceback (most recent call last):\n  File "x"\nKeyError: 1\n'),
      Buffer.from('no newline at end'),
    ]);
    const source = stdinSource({ name: 'stdin', clock: systemClock }, input);
    const { records, deliver } = collect();
    await source.run(deliver);
    expect(records.map((r) => r.body)).toEqual([
      'one',
      'two\nTraceback (most recent call last):\n  File "x"\nKeyError: 1',
      'no newline at end',
    ]);
    expect(source.stats.lines).toBe(6);
  });
});

describe('command source', () => {
  it("reads a command's stdout and stderr", async () => {
    const source = commandSource({
      name: 'cmd',
      command: [
        process.execPath,
        '-e',
        'console.log("level=info msg=out a=1"); console.error("level=error msg=err a=2")',
      ],
      stderr: true,
      clock: systemClock,
    });
    const { records, deliver } = collect();
    await source.run(deliver);
    expect(records.map((r) => r.body).sort()).toEqual(['err', 'out']);
  });

  it('refuses an empty command', () => {
    expect(() => commandSource({ name: 'x', command: [], clock: systemClock })).toThrow(/command is empty/);
  });
});

describe('kubernetes source', () => {
  it('derives pod, namespace and container from /var/log/pods paths', () => {
    expect(podResource('/var/log/pods/shop_web-0_0b5e3c1e-1111-2222-3333-444455556666/nginx/2.log')).toEqual({
      'k8s.namespace.name': 'shop',
      'k8s.pod.name': 'web-0',
      'k8s.pod.uid': '0b5e3c1e-1111-2222-3333-444455556666',
      'k8s.container.name': 'nginx',
      'k8s.container.restart_count': '2',
    });
    expect(podResource('/var/log/syslog')).toEqual({});
  });

  it('reads CRI files of the selected namespaces with the pod as resource', async () => {
    const root = mkdtempSync(join(tmpdir(), 'vigil-pods-'));
    try {
      for (const ns of ['shop', 'kube-system']) {
        const d = join(root, `${ns}_web-0_abc-123`, 'app');
        mkdirSync(d, { recursive: true });
        writeFileSync(
          join(d, '0.log'),
          `2024-01-02T10:00:00Z stdout F {"level":"info","msg":"from ${ns}"}\n`,
        );
      }
      const source = kubernetesSource({
        name: 'pods',
        root,
        namespaces: ['shop'],
        checkpoints: new Checkpoints(undefined),
        clock: systemClock,
      });
      const { records, deliver } = collect();
      await source.pollOnce(deliver);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        body: 'from shop',
        severityNumber: 9,
        resource: { 'k8s.namespace.name': 'shop', 'k8s.container.name': 'app' },
      });
      await source.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
