import { z } from 'zod';
import { durationSchema, isValidLabelName, relabelConfigsSchema } from '../../core/index.ts';

/**
 * The scrape part of Prometheus' configuration, the subset vigil supports: `global`
 * (scrape_interval, scrape_timeout, evaluation_interval, external_labels) and `scrape_configs`
 * with static_configs, file_sd_configs, relabel_configs, metric_relabel_configs, honor_labels,
 * sample_limit and body_size_limit, over plain HTTP. Anything else (service discovery other
 * than files, TLS, auth) is refused by name, because zod objects are strict.
 */

const labelSet = z.record(z.string().refine(isValidLabelName, { error: 'invalid label name' }), z.string());

/** Sizes as Prometheus writes them: 10MB, 512KiB, or a plain number of bytes. */
export const byteSizeSchema = z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const m = /^(\d+)\s*(B|KB|MB|GB|KiB|MiB|GiB)?$/.exec(v.trim());
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `expected a size like "10MB", got "${v}"` });
    return z.NEVER;
  }
  const unit = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }[
    (m[2] ?? 'B') as 'B'
  ];
  return Number(m[1]) * unit;
});

export const staticConfigSchema = z.strictObject({
  targets: z.array(z.string()).default([]),
  labels: labelSet.optional(),
});

export const fileSdConfigSchema = z.strictObject({
  files: z.array(z.string()).min(1),
  refresh_interval: durationSchema.optional(),
});

export const scrapeConfigSchema = z.strictObject({
  job_name: z.string().min(1),
  scrape_interval: durationSchema.optional(),
  scrape_timeout: durationSchema.optional(),
  metrics_path: z.string().default('/metrics'),
  scheme: z.literal('http', { error: 'only scheme "http" is supported by vigil' }).default('http'),
  params: z.record(z.string(), z.array(z.string())).optional(),
  honor_labels: z.boolean().default(false),
  honor_timestamps: z.boolean().default(true),
  sample_limit: z.number().int().nonnegative().default(0),
  body_size_limit: byteSizeSchema.optional(),
  static_configs: z.array(staticConfigSchema).default([]),
  file_sd_configs: z.array(fileSdConfigSchema).default([]),
  relabel_configs: relabelConfigsSchema.default([]),
  metric_relabel_configs: relabelConfigsSchema.default([]),
});

export const globalSchema = z.strictObject({
  scrape_interval: durationSchema.default(60_000),
  scrape_timeout: durationSchema.default(10_000),
  evaluation_interval: durationSchema.default(60_000),
  external_labels: labelSet.default({}),
});

export type ScrapeConfig = z.output<typeof scrapeConfigSchema>;
export type GlobalConfig = z.output<typeof globalSchema>;

/** A job with every default resolved against `global`. */
export interface ScrapeJob {
  name: string;
  intervalMs: number;
  timeoutMs: number;
  config: ScrapeConfig;
  /** Largest body accepted from a target; Prometheus has no default, vigil caps at 64 MiB. */
  bodyLimitBytes: number;
}

/** The largest scrape body vigil reads when no body_size_limit is set, to bound memory. */
export const defaultBodyLimitBytes = 64 * 1024 * 1024;

export function resolveJobs(global: GlobalConfig, configs: readonly ScrapeConfig[]): ScrapeJob[] {
  return configs.map((config) => {
    const intervalMs = config.scrape_interval ?? global.scrape_interval;
    const timeoutMs = Math.min(config.scrape_timeout ?? global.scrape_timeout, intervalMs);
    return {
      name: config.job_name,
      intervalMs,
      timeoutMs,
      config,
      bodyLimitBytes: config.body_size_limit || defaultBodyLimitBytes,
    };
  });
}
