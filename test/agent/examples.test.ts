import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseAgentConfig } from '../../agent/index.ts';

const path = (p: string) => new URL(`../../examples/k8s/${p}`, import.meta.url).pathname;

describe('examples/k8s', () => {
  it('the sidecar config is a valid agent config', () => {
    const config = parseAgentConfig('examples/k8s/agent.yaml', readFileSync(path('agent.yaml'), 'utf8'));
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(config.sources.map((s) => s.name)).toEqual(['nginx', 'nginx-errors']);
  });

  it("the pod's probes point at the agent's health endpoints, and both containers share the log volume", () => {
    const [pod] = parseAllDocuments(readFileSync(path('pod.yaml'), 'utf8')).map((d) => d.toJS());
    const containers = pod.spec.containers as Array<{
      name: string;
      readinessProbe?: { httpGet: { path: string; port: number } };
      volumeMounts: Array<{ name: string }>;
    }>;
    const app = containers.find((c) => c.name === 'nginx')!;
    expect(app.readinessProbe!.httpGet).toEqual({ path: '/readyz', port: 9464 });
    for (const c of containers) expect(c.volumeMounts.map((v) => v.name)).toContain('logs');
  });
});
