import { z } from 'zod';
import { durationSchema, relabelConfigsSchema } from '../../../core/index.ts';

/**
 * The `alerting:` section of prometheus.yml, the subset vigil implements: `alertmanagers`
 * with `static_configs` targets, `scheme`, `path_prefix`, `timeout` and `api_version: v2`,
 * and `alert_relabel_configs`. Service discovery, TLS and auth of Alertmanagers are refused by
 * name (strict objects), as are API v1 (removed in Alertmanager 0.27).
 */

export const alertmanagerConfigSchema = z.strictObject({
  static_configs: z.array(z.strictObject({ targets: z.array(z.string().min(1)).default([]) })).default([]),
  scheme: z.enum(['http', 'https']).default('http'),
  path_prefix: z.string().default('/'),
  /** Prometheus' default per-request timeout to an Alertmanager. */
  timeout: durationSchema.default(10_000),
  api_version: z
    .literal('v2', { error: 'only api_version "v2" is supported (v1 was removed from Alertmanager)' })
    .default('v2'),
});

export const alertingConfigSchema = z.strictObject({
  alert_relabel_configs: relabelConfigsSchema.default([]),
  alertmanagers: z.array(alertmanagerConfigSchema).default([]),
});

export type AlertmanagerConfig = z.output<typeof alertmanagerConfigSchema>;
export type AlertingConfig = z.output<typeof alertingConfigSchema>;

/** The `POST /api/v2/alerts` URL of every target, in config order. */
export function alertmanagerURLs(config: AlertingConfig): string[] {
  const out: string[] = [];
  for (const am of config.alertmanagers) {
    const prefix = am.path_prefix.replace(/\/+$/, '');
    for (const sc of am.static_configs)
      for (const target of sc.targets) out.push(`${am.scheme}://${target}${prefix}/api/v2/alerts`);
  }
  return out;
}
