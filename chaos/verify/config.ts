import { z } from 'zod';
import { apiVersionSchema, durationSchema, listenAddressSchema } from '../../core/index.ts';
import { defaultAgesMs } from './schedule.ts';

/**
 * The `vigil verify` config file, validated once at the edge. Secrets never live in it: S3
 * keys come from the environment (the AWS default chain, or the variables named by
 * `accessKeyIdEnv` / `secretAccessKeyEnv`), a database URL from `urlEnv`.
 *
 * ```yaml
 * apiVersion: vigil/v1
 * kind: Verify
 * stores:
 *   photos: { type: s3, bucket: photos, endpoint: http://127.0.0.1:4568 }
 *   replica: { type: filesystem, dir: /mnt/replica }
 * watch: { store: photos, journal: /var/lib/vigil/watch, synthetic: { every: 10s, size: 4096 } }
 * scrub: { store: photos, cursor: /var/lib/vigil/scrub.json, rate: { objects: 200, bytes: 50MB } }
 * ```
 */

const name = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected a name of letters, digits, _ . -');
const positive = z.number().positive();

/** "50MB", "1GiB", "4096": a byte count. */
export const byteSizeSchema = z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?$/.exec(v.trim());
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `expected a size like "4096", "64KiB" or "50MB", got "${v}"` });
    return z.NEVER;
  }
  const units: Record<string, number> = {
    B: 1,
    KB: 1e3,
    MB: 1e6,
    GB: 1e9,
    KiB: 1024,
    MiB: 1024 ** 2,
    GiB: 1024 ** 3,
  };
  return Math.round(Number(m[1]) * units[m[2] ?? 'B']!);
});

const s3Store = z
  .object({
    type: z.literal('s3'),
    bucket: z.string().min(1),
    endpoint: z.url().optional(),
    region: z.string().optional(),
    forcePathStyle: z.boolean().optional(),
    accessKeyIdEnv: z.string().optional(),
    secretAccessKeyEnv: z.string().optional(),
  })
  .strict();
const fsStore = z.object({ type: z.literal('filesystem'), dir: z.string().min(1) }).strict();
export const storeSchema = z.discriminatedUnion('type', [s3Store, fsStore]);
export type StoreConfig = z.output<typeof storeSchema>;

const retry = z
  .object({ attempts: z.number().int().min(1).max(20).default(3), delay: durationSchema.prefault('5s') })
  .strict();
const rate = z.object({ objects: positive.optional(), bytes: byteSizeSchema.optional() }).strict();

const watch = z
  .object({
    store: name,
    journal: z.string().min(1),
    ages: z.array(durationSchema).min(1).max(16).optional(),
    sample: z.number().min(0).max(1).default(1),
    seed: z.number().int().default(0),
    synthetic: z
      .object({
        every: durationSchema,
        size: byteSizeSchema.prefault(4096),
        prefix: z.string().default('vigil-watch/'),
      })
      .strict()
      .optional(),
    /** Write events ({key, sha256, size, writtenAt}): JSON lines in a file, "-" for stdin, or a queue. */
    feed: z
      .union([z.string().min(1), z.object({ queue: z.lazy(() => queueTargetSchema) }).strict()])
      .optional(),
    retry: retry.optional(),
    timeout: durationSchema.prefault('30s'),
    concurrency: z.number().int().min(1).max(256).default(8),
    maxPending: z.number().int().positive().optional(),
  })
  .strict();

const indexSource = z.union([
  z.object({ manifest: z.string().min(1) }).strict(),
  z.object({ listing: name }).strict(),
  z.object({ postgres: z.object({ urlEnv: z.string().min(1), query: z.string().min(1) }).strict() }).strict(),
]);

const common = {
  rate: positive.optional(),
  concurrency: z.number().int().min(1).max(256).default(16),
  timeout: durationSchema.prefault('10s'),
  retry: retry.optional(),
};

const failOn = z
  .array(z.enum(['loss', 'corruption', 'availability', 'resurrection', 'divergence']))
  .optional();

/** A queue target: the ledger's, and the source of a watcher fed from a queue. */
export const queueTargetSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('nats'),
      servers: z.string().min(1),
      stream: name,
      subject: z.string().min(1),
      consumer: name.default('vigil-ledger'),
      /** Storage of the stream when vigil creates it: memory streams lose everything on a crash. */
      storage: z.enum(['file', 'memory']).optional(),
    })
    .strict(),
  z.object({ type: z.literal('rabbitmq'), url: z.string().min(1), queue: name }).strict(),
  z
    .object({
      type: z.literal('redis'),
      url: z.string().min(1),
      stream: name,
      group: name.default('vigil-ledger'),
      consumer: name.default('vigil-ledger-1'),
    })
    .strict(),
]);

export const verifyConfigSchema = z
  .object({
    apiVersion: apiVersionSchema,
    kind: z.literal('Verify', { error: () => 'expected kind: Verify' }),
    stores: z.record(name, storeSchema).default({}),
    watch: watch.optional(),
    index: z
      .object({ store: name, source: indexSource, ...common })
      .strict()
      .optional(),
    compare: z
      .object({
        a: name,
        b: name,
        deep: z.boolean().default(false),
        prefix: z.string().optional(),
        ...common,
      })
      .strict()
      .optional(),
    trash: z
      .object({ store: name, tombstones: z.string().min(1), grace: durationSchema.prefault('0s'), ...common })
      .strict()
      .optional(),
    scrub: z
      .object({
        store: name,
        cursor: z.string().optional(),
        rate: rate.optional(),
        concurrency: z.number().int().min(1).max(256).default(8),
        timeout: durationSchema.prefault('30s'),
        retry: retry.optional(),
        pause: durationSchema.prefault('1m'),
        prefix: z.string().optional(),
      })
      .strict()
      .optional(),
    ledger: z
      .object({
        target: queueTargetSchema,
        messages: z.number().int().min(1).max(10_000_000).default(1000),
        messageBytes: byteSizeSchema.prefault(256),
        publishTimeout: durationSchema.prefault('5s'),
        idle: durationSchema.prefault('5s'),
        maxDrain: durationSchema.prefault('5m'),
        failOn: z.array(z.enum(['lost', 'duplicated', 'unexpected', 'reordered'])).optional(),
      })
      .strict()
      .optional(),
    report: z.object({ file: z.string().optional(), failOn }).strict().default({}),
    metrics: z.object({ listen: listenAddressSchema }).strict().optional(),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    // Every store a verifier names must be declared, so a typo fails at load, not mid-run.
    const refs: [string[], string | undefined][] = [
      [['watch', 'store'], cfg.watch?.store],
      [['index', 'store'], cfg.index?.store],
      [
        ['index', 'source', 'listing'],
        cfg.index && 'listing' in cfg.index.source ? cfg.index.source.listing : undefined,
      ],
      [['compare', 'a'], cfg.compare?.a],
      [['compare', 'b'], cfg.compare?.b],
      [['trash', 'store'], cfg.trash?.store],
      [['scrub', 'store'], cfg.scrub?.store],
    ];
    for (const [path, ref] of refs) {
      if (ref !== undefined && !(ref in cfg.stores)) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `no store "${ref}" under stores (have: ${Object.keys(cfg.stores).join(', ') || 'none'})`,
        });
      }
    }
  });

export type VerifyConfig = z.output<typeof verifyConfigSchema>;

/** The watcher's ages when the config gives none. */
export function agesOf(config: VerifyConfig): readonly number[] {
  return config.watch?.ages ?? defaultAgesMs;
}
