import { compileRelabel, type Labels } from '../../core/index.ts';
import type { ScrapeJob } from './config.ts';

/**
 * Turns discovered target groups into scrape targets the way Prometheus does: every target
 * starts with `__address__`, `__scheme__`, `__metrics_path__`, `job` and its group's labels,
 * goes through relabel_configs (which may drop it), gets `instance` from `__address__` when
 * unset, and keeps no label starting with `__` afterwards. Pure.
 */

export interface TargetGroup {
  targets: string[];
  labels: Labels;
  /** Where the group came from (file name or "static"), for /api/v1/targets. */
  source: string;
}

export interface Target {
  job: string;
  url: string;
  /** The labels every sample of this target gets. */
  labels: Labels;
  /** Labels before relabeling, as /api/v1/targets shows them. */
  discoveredLabels: Labels;
  key: string;
}

export function buildTargets(job: ScrapeJob, groups: readonly TargetGroup[]): Target[] {
  const relabel = compileRelabel(job.config.relabel_configs);
  const out: Target[] = [];
  const seen = new Set<string>();
  for (const group of groups) {
    for (const address of group.targets) {
      const discovered: Record<string, string> = {
        ...group.labels,
        __address__: address,
        __scheme__: job.config.scheme,
        __metrics_path__: job.config.metrics_path,
        __scrape_interval__: `${job.intervalMs / 1000}s`,
        __scrape_timeout__: `${job.timeoutMs / 1000}s`,
        job: job.name,
      };
      const relabeled = relabel(discovered);
      if (!relabeled?.__address__) continue;
      const labels: Record<string, string> = {};
      for (const [k, v] of Object.entries(relabeled)) if (!k.startsWith('__') && v !== '') labels[k] = v;
      if (!labels.instance) labels.instance = relabeled.__address__;
      const params = new URLSearchParams();
      for (const [k, vs] of Object.entries(job.config.params ?? {})) for (const v of vs) params.append(k, v);
      for (const [k, v] of Object.entries(relabeled)) if (k.startsWith('__param_')) params.set(k.slice(8), v);
      const query = params.toString();
      const url = `${relabeled.__scheme__ ?? 'http'}://${relabeled.__address__}${relabeled.__metrics_path__ ?? '/metrics'}${query ? `?${query}` : ''}`;
      const key = `${job.name}|${url}|${JSON.stringify(Object.entries(labels).sort())}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ job: job.name, url, labels, discoveredLabels: discovered, key });
    }
  }
  return out;
}
