import { z } from 'zod';
import {
  apiVersionSchema,
  durationSchema,
  listenAddressSchema,
  loadConfigFile,
  parseConfig,
  relabelConfigsSchema,
} from '../core/index.ts';
import { resolveFormat } from './normalize.ts';

/**
 * The agent's config file (`vigil agent -c agent.yaml`), validated once here; defaults are
 * resolved here and nowhere else. See docs/agent.md for a commented example.
 */

const formatSchema = z.string().refine(
  (f) => {
    try {
      resolveFormat(f);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'unknown log format (see vigil agent --help for the list)' },
);

const name = z.string().regex(/^[a-zA-Z0-9_.-]+$/, 'expected a name of letters, digits, "_", "." or "-"');
const common = {
  name,
  format: formatSchema.default('auto'),
  innerFormat: formatSchema.default('auto'),
  multilineFlush: durationSchema.default(1000),
};

const sourceSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('file'),
    ...common,
    include: z.array(z.string().min(1)).min(1),
    exclude: z.array(z.string()).default([]),
    startAt: z.enum(['beginning', 'end']).default('beginning'),
    pollInterval: durationSchema.default(250),
    resource: z.record(z.string(), z.string()).default({}),
    /** Count access-log lines into metrics without making records (no sink sees them). */
    metricsOnly: z.boolean().default(false),
  }),
  z.strictObject({
    type: z.literal('kubernetes'),
    ...common,
    root: z.string().default('/var/log/pods'),
    namespaces: z.array(z.string()).default([]),
    startAt: z.enum(['beginning', 'end']).default('beginning'),
    pollInterval: durationSchema.default(250),
    resource: z.record(z.string(), z.string()).default({}),
  }),
  z.strictObject({
    type: z.literal('stdin'),
    ...common,
    resource: z.record(z.string(), z.string()).default({}),
  }),
  z.strictObject({
    type: z.literal('command'),
    ...common,
    command: z.array(z.string()).min(1),
    stderr: z.boolean().default(false),
    resource: z.record(z.string(), z.string()).default({}),
  }),
]);

const sinkSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('stdout') }),
  z.strictObject({ type: z.literal('file'), path: z.string().min(1), fsync: z.boolean().default(false) }),
  z.strictObject({
    type: z.literal('otlp'),
    endpoint: z.url(),
    headers: z.record(z.string(), z.string()).default({}),
    bufferDir: z.string().optional(),
    bufferMaxBytes: z
      .number()
      .int()
      .positive()
      .default(256 << 20),
    batchRecords: z.number().int().positive().max(100_000).default(1000),
  }),
]);

const mappingSchema = z.strictObject({
  name: z.string(),
  type: z.enum(['counter', 'gauge', 'histogram']),
  help: z.string().optional(),
  source: z.string().optional(),
  match: z
    .strictObject({
      field: z.string().optional(),
      regex: z.string().optional(),
      equals: z.string().optional(),
    })
    .optional(),
  labels: z.record(z.string(), z.string()).optional(),
  value: z.string().optional(),
  buckets: z.array(z.number()).optional(),
});

const adapterSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('reexport'),
    name,
    url: z.url(),
    relabel: relabelConfigsSchema.default([]),
  }),
  z.strictObject({
    type: z.literal('statsd'),
    name,
    listen: listenAddressSchema.default({ host: '127.0.0.1', port: 9125 }),
    maxSeries: z.number().int().positive().default(10_000),
    mappings: z
      .array(
        z.strictObject({
          match: z.string(),
          name: z.string(),
          labels: z.record(z.string(), z.string()).optional(),
          buckets: z.array(z.number()).optional(),
        }),
      )
      .default([]),
  }),
  z.strictObject({ type: z.literal('redis-info'), name, url: z.string().startsWith('redis') }),
  z.strictObject({
    type: z.literal('json'),
    name,
    url: z.url(),
    metrics: z
      .array(
        z.strictObject({
          name: z.string(),
          type: z.enum(['gauge', 'counter']).optional(),
          help: z.string().optional(),
          each: z.string().optional(),
          value: z.string(),
          labels: z.record(z.string(), z.string()).optional(),
        }),
      )
      .min(1),
  }),
]);

const checkCommon = { name, critical: z.boolean().default(true), timeout: durationSchema.default(5000) };
const checkSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('tcp'), ...checkCommon, address: listenAddressSchema }),
  z.strictObject({
    type: z.literal('http'),
    ...checkCommon,
    url: z.url(),
    expectStatus: z.array(z.number().int()).optional(),
  }),
  z.strictObject({ type: z.literal('redis'), ...checkCommon, url: z.string().startsWith('redis') }),
  z.strictObject({
    type: z.literal('postgres'),
    ...checkCommon,
    url: z.string().startsWith('postgres'),
    query: z.string().optional(),
  }),
  z.strictObject({
    type: z.literal('jetstream'),
    ...checkCommon,
    servers: z.string(),
    stream: z.string(),
    consumer: z.string(),
  }),
  z.strictObject({
    type: z.literal('rabbitmq'),
    ...checkCommon,
    url: z.string().startsWith('amqp'),
    queue: z.string(),
  }),
]);

export const agentConfigSchema = z
  .strictObject({
    apiVersion: apiVersionSchema,
    kind: z.literal('Agent').optional(),
    listen: listenAddressSchema.default({ host: '127.0.0.1', port: 9464 }),
    stateDir: z.string().optional(),
    resource: z.record(z.string(), z.string()).default({}),
    sources: z.array(sourceSchema).default([]),
    sinks: z.array(sinkSchema).default([{ type: 'stdout' }]),
    metrics: z.array(mappingSchema).default([]),
    adapters: z.array(adapterSchema).default([]),
    health: z
      .strictObject({ interval: durationSchema.default(10_000), checks: z.array(checkSchema).default([]) })
      .default({ interval: 10_000, checks: [] }),
  })
  .superRefine((cfg, ctx) => {
    const unique = (list: Array<{ name: string }>, path: string) => {
      const seen = new Set<string>();
      list.forEach((item, i) => {
        if (seen.has(item.name))
          ctx.addIssue({ code: 'custom', path: [path, i, 'name'], message: `duplicate name "${item.name}"` });
        seen.add(item.name);
      });
    };
    unique(cfg.sources, 'sources');
    unique(cfg.adapters, 'adapters');
    unique(cfg.health.checks, 'health');
    cfg.sources.forEach((s, i) => {
      if ((s.type === 'file' || s.type === 'kubernetes') && cfg.stateDir === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['sources', i],
          message: 'file and kubernetes sources need stateDir (where read positions are kept)',
        });
      }
    });
    cfg.sources.forEach((s, i) => {
      if (
        s.type === 'file' &&
        s.metricsOnly &&
        !['access-log', 'nginx', 'apache', 'clf'].includes(s.format)
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['sources', i, 'metricsOnly'],
          message: 'metricsOnly needs format nginx (access-log)',
        });
      }
    });
    if (cfg.sources.filter((s) => s.type === 'stdin').length > 1)
      ctx.addIssue({ code: 'custom', path: ['sources'], message: 'at most one stdin source' });
  });

export type AgentConfig = z.output<typeof agentConfigSchema>;

/**
 * @example
 * const config = loadAgentConfig('agent.yaml');
 */
export function loadAgentConfig(file: string): AgentConfig {
  return loadConfigFile(agentConfigSchema, file);
}

export function parseAgentConfig(source: string, text: string): AgentConfig {
  return parseConfig(agentConfigSchema, source, text);
}
