import { describe, expect, it } from 'vitest';
import { compare, firingMatch, judgePromql, parseExperiment } from '../../../chaos/index.ts';
import { isVigilError } from '../../../core/index.ts';

const minimal = `apiVersion: vigil/v1
kind: Experiment
title: t
targets:
  processes: { w: { pid: 1234 } }
method:
  - fault: { type: kill, process: w }
`;

function configError(text: string): string {
  try {
    parseExperiment('exp.yaml', text);
  } catch (err) {
    if (isVigilError(err, 'config')) return err.message;
    throw err;
  }
  throw new Error('expected a config error');
}

describe('experiment file', () => {
  it('parses with defaults resolved in one place', () => {
    const exp = parseExperiment('exp.yaml', minimal);
    expect(exp.seed).toBe(1);
    expect(exp.leaseTtl).toBe(10_000);
    expect(exp.steadyState).toEqual({ interval: 5000, recovery: 60_000, conditions: [], dataIntegrity: [] });
    expect(exp.method[0]).toEqual({ fault: { type: 'kill', process: 'w' }, at: 0 });
  });

  it('names file, line, field and expectation on a bad field', () => {
    expect(configError(minimal.replace('apiVersion: vigil/v1', 'apiVersion: v2'))).toMatch(
      /^exp\.yaml:1: apiVersion: expected apiVersion: vigil\/v1/,
    );
    expect(configError(`${minimal}    at: soon\n`)).toMatch(
      /exp\.yaml:\d+: method\[0\]\.at: invalid duration "soon"/,
    );
    expect(configError(minimal.replace('type: kill', 'type: melt'))).toMatch(/method\[0\]\.fault/);
  });

  it('checks references between sections at load time', () => {
    expect(configError(minimal.replace('process: w', 'process: x'))).toMatch(
      /method\[0\]\.fault\.process: unknown process target "x"/,
    );
    expect(configError(minimal.replace('type: kill', 'type: pause'))).toMatch(/pause needs a duration/);
    expect(configError(minimal.replace('type: kill', 'type: restart'))).toMatch(
      /restart needs a process the experiment starts/,
    );
    expect(configError(`${minimal}abort:\n  - { name: a, promql: up == 0 }\n`)).toMatch(
      /abort conditions need targets.prometheus/,
    );
  });

  it('refuses targets off loopback unless allowed', async () => {
    const { planExperiment } = await import('../../../chaos/index.ts');
    const exp = parseExperiment(
      'exp.yaml',
      minimal.replace('targets:', 'targets:\n  prometheus: { url: "http://10.0.0.5:9090" }'),
    );
    expect(() => planExperiment(exp)).toThrow(/host "10.0.0.5" is not loopback; add it to allow:/);
    const allowed = parseExperiment(
      'exp.yaml',
      `allow: [10.0.0.5]\n${minimal.replace('targets:', 'targets:\n  prometheus: { url: "http://10.0.0.5:9090" }')}`,
    );
    expect(() => planExperiment(allowed)).not.toThrow();
  });
});

describe('steady-state judgments', () => {
  it('compares every sample; no data is no evidence', () => {
    const c = { name: 'c', promql: 'x', op: '>=' as const, threshold: 0.99, phases: ['after' as const] };
    expect(judgePromql(c, [{ metric: {}, value: 1 }]).ok).toBe(true);
    expect(
      judgePromql(c, [
        { metric: {}, value: 1 },
        { metric: {}, value: 0.5 },
      ]).ok,
    ).toBe(false);
    expect(judgePromql(c, []).ok).toBe(false);
    expect(judgePromql({ ...c, op: undefined, threshold: undefined }, [{ metric: {}, value: 0 }]).ok).toBe(
      true,
    );
    expect(compare(1, '!=', 2)).toBe(true);
  });

  it('matches firing alerts by label subset', () => {
    const alerts = [
      { labels: { alertname: 'A', sev: 'page' }, state: 'pending' },
      { labels: { alertname: 'B', sev: 'page' }, state: 'firing' },
    ];
    expect(firingMatch(alerts, { sev: 'page' })?.labels['alertname']).toBe('B');
    expect(firingMatch(alerts, { alertname: 'A' })).toBeUndefined();
  });
});
