import { z } from 'zod';
import {
  apiVersionSchema,
  durationSchema,
  loadConfigFile,
  parseConfig,
  VigilError,
} from '../../core/index.ts';
import { queueTargetSchema } from '../verify/index.ts';

/**
 * The experiment file (YAML or JSON), in the spirit of Chaos Toolkit and LitmusChaos: targets,
 * a steady-state hypothesis checked before, during and after, a method of timed faults, abort
 * conditions and rollbacks. Parsed once with zod into the model below; defaults are resolved
 * here and nowhere else.
 */

const name = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected a name of letters, digits, "_", "." or "-"');

const processTarget = z.union([
  z.strictObject({ pid: z.number().int().min(2) }),
  z.strictObject({ pidFile: z.string().min(1) }),
  /** A pid inside a JSON file, read again at each use (a supervisor may have restarted the process): `{ file: demo.json, path: nats.pid }`. */
  z.strictObject({ json: z.strictObject({ file: z.string().min(1), path: z.string().min(1) }) }),
  z.strictObject({
    command: z.array(z.string()).min(1),
    cwd: z.string().optional(),
    env: z.record(z.string(), z.string()).optional(),
    /** Time the process needs before the hypothesis is checked. */
    startupDelay: durationSchema.default(500),
  }),
]);

const blobTarget = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('s3'),
    bucket: z.string().min(1),
    endpoint: z.string().url().optional(),
    region: z.string().optional(),
    accessKeyId: z.string().optional(),
    secretAccessKey: z.string().optional(),
  }),
  z.strictObject({ type: z.literal('filesystem'), dir: z.string().min(1) }),
  z.strictObject({ type: z.literal('nats-object'), servers: z.string().min(1), bucket: z.string().min(1) }),
]);

const targets = z
  .strictObject({
    /** vigil's proxy API (Toxiproxy-compatible), for toxic faults. */
    proxy: z.strictObject({ api: z.string().url() }).optional(),
    /** A Prometheus-compatible API for PromQL conditions and alert-based aborts. */
    prometheus: z.strictObject({ url: z.string().url() }).optional(),
    processes: z.record(name, processTarget).default({}),
    /** HTTP fault proxies the experiment runs in front of a service. */
    http: z
      .record(name, z.strictObject({ upstream: z.string().url(), listen: z.string().default('127.0.0.1:0') }))
      .default({}),
    blobs: z.record(name, blobTarget).default({}),
    /** Data directories disk faults may damage (a blob store's files). */
    dirs: z.record(name, z.strictObject({ path: z.string().min(1) })).default({}),
    /** Queues the ledger publishes to and drains (the same targets as `vigil verify ledger`). */
    queues: z.record(name, queueTargetSchema).default({}),
  })
  .default({ processes: {}, http: {}, blobs: {}, dirs: {}, queues: {} });

const phase = z.enum(['before', 'during', 'after']);
const comparison = z.enum(['<', '<=', '>', '>=', '==', '!=']);

const promqlCondition = z.strictObject({
  name: z.string().min(1),
  promql: z.string().min(1),
  /** Every sample must compare so; without op/threshold the condition holds when the result is not empty. */
  op: comparison.optional(),
  threshold: z.number().optional(),
  phases: z.array(phase).min(1).default(['before', 'after']),
});

const probeCondition = z.strictObject({
  name: z.string().min(1),
  probe: z.strictObject({
    http: z.strictObject({
      url: z.string().url(),
      method: z.string().default('GET'),
      headers: z.record(z.string(), z.string()).default({}),
      timeout: durationSchema.default(2000),
    }),
  }),
  /** The tolerance: which answers count as healthy, and how many may fail. */
  tolerance: z
    .strictObject({
      status: z.array(z.number().int()).min(1).default([200]),
      maxLatency: durationSchema.optional(),
      samples: z.number().int().min(1).max(100).default(1),
      maxFailures: z.number().int().min(0).default(0),
    })
    .default({ status: [200], samples: 1, maxFailures: 0 }),
  phases: z.array(phase).min(1).default(['before', 'after']),
});

const condition = z.union([promqlCondition, probeCondition]);

const fault = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('pause'), process: name }),
  z.strictObject({ type: z.literal('kill'), process: name }),
  z.strictObject({ type: z.literal('restart'), process: name }),
  z.strictObject({
    type: z.literal('toxic'),
    proxy: z.string().min(1),
    toxic: z.strictObject({
      type: z.string().min(1),
      name: z.string().optional(),
      stream: z.enum(['upstream', 'downstream']).default('downstream'),
      toxicity: z.number().min(0).max(1).default(1),
      attributes: z.record(z.string(), z.number()).default({}),
    }),
  }),
  z.strictObject({
    type: z.literal('http'),
    target: name,
    method: z.string().optional(),
    pathPrefix: z.string().optional(),
    abort: z
      .strictObject({ status: z.number().int().min(100).max(599), percentage: z.number().min(0).max(100) })
      .optional(),
    delay: z
      .strictObject({
        fixed: durationSchema.optional(),
        min: durationSchema.optional(),
        max: durationSchema.optional(),
        percentage: z.number().min(0).max(100),
      })
      .optional(),
  }),
  z.strictObject({
    type: z.literal('disk'),
    dir: name,
    kind: z.enum(['flip', 'truncate', 'delete']),
    count: z.number().int().min(1).max(10_000),
    /** Regular expression on paths relative to the directory. */
    match: z
      .string()
      .refine((s) => {
        try {
          new RegExp(s);
          return true;
        } catch {
          return false;
        }
      }, 'expected a valid regular expression')
      .optional(),
    /** Put the bytes back at the end (rollback); false leaves the damage for verifiers to find. */
    restore: z.boolean().default(true),
  }),
]);

const step = z.strictObject({
  name: z.string().min(1).optional(),
  fault,
  /** Offset from the start of the method. */
  at: durationSchema.default(0),
  /** How long the fault lasts; kill and restart are instant, disk damage lasts until rollback. */
  duration: durationSchema.optional(),
});

const abortCondition = z.union([
  z.strictObject({
    name: z.string().min(1),
    alert: z.strictObject({ labels: z.record(z.string(), z.string()) }),
  }),
  z.strictObject({ name: z.string().min(1), promql: z.string().min(1) }),
]);

const rollback = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('proxy-reset') }),
  z.strictObject({
    type: z.literal('command'),
    command: z.array(z.string()).min(1),
    timeout: durationSchema.default(30_000),
  }),
]);

/**
 * When a verification step runs: `after-method` as soon as every fault is reverted (what the
 * faults did, before any repair); `recovery` once the steady state is back, and again every
 * interval until it passes or the recovery window ends (what repair left behind).
 */
const verifyPhase = z.enum(['after-method', 'recovery']);

/** Read retries before a verdict: shorter than the verifiers' 5 s default, runs are short. */
const verifyRetry = z
  .strictObject({
    attempts: z.number().int().min(1).max(10).default(2),
    delay: durationSchema.prefault('1s'),
  })
  .prefault({});

const verifyCommon = {
  name: z.string().min(1).optional(),
  phase: verifyPhase.default('recovery'),
  retry: verifyRetry,
  concurrency: z.number().int().min(1).max(64).default(8),
  /** Classes that fail the gate; loss and corruption by default. */
  failOn: z
    .array(z.enum(['loss', 'corruption', 'availability', 'resurrection', 'divergence']))
    .min(1)
    .default(['loss', 'corruption']),
};

const verifyStep = z.union([
  z.strictObject({ ...verifyCommon, scrub: z.strictObject({ blobs: name, prefix: z.string().optional() }) }),
  z.strictObject({ ...verifyCommon, index: z.strictObject({ blobs: name, manifest: z.string().min(1) }) }),
  z.strictObject({
    ...verifyCommon,
    compare: z.strictObject({
      a: name,
      b: name,
      deep: z.boolean().default(false),
      prefix: z.string().optional(),
    }),
  }),
  z.strictObject({
    ...verifyCommon,
    trash: z.strictObject({
      blobs: name,
      tombstones: z.string().min(1),
      grace: durationSchema.prefault('0s'),
    }),
  }),
  z.strictObject({
    ...verifyCommon,
    /**
     * A watcher pass over the writes made during the run: its own synthetic writes every
     * `every` during the method, and/or write events (JSON lines) the system under test logged
     * to `feed` since the run started; each is read back in full at the step's phase.
     */
    watch: z.strictObject({
      blobs: name,
      every: durationSchema.optional(),
      size: z
        .number()
        .int()
        .min(1)
        .max(64 * 1024 * 1024)
        .default(4096),
      prefix: z.string().default('vigil-watch/'),
      feed: z.string().min(1).optional(),
    }),
  }),
  z.strictObject({
    ...verifyCommon,
    /**
     * The queue ledger over the run: one message published every `every` from the start of the
     * method until it ends (at most `messages`), all of them drained at the step's phase.
     */
    ledger: z.strictObject({
      queue: name,
      every: durationSchema.prefault('100ms'),
      messages: z.number().int().min(1).max(1_000_000).default(10_000),
      messageBytes: z
        .number()
        .int()
        .min(0)
        .max(1024 * 1024)
        .default(256),
      publishTimeout: durationSchema.prefault('2s'),
      idle: durationSchema.prefault('3s'),
      maxDrain: durationSchema.prefault('2m'),
      failOnMessages: z
        .array(z.enum(['lost', 'duplicated', 'unexpected', 'reordered']))
        .min(1)
        .default(['lost', 'unexpected']),
    }),
  }),
]);

export const experimentSchema = z.strictObject({
  apiVersion: apiVersionSchema,
  kind: z.literal('Experiment', { error: () => 'expected kind: Experiment' }),
  title: z.string().min(1),
  description: z.string().optional(),
  /** Seed of every random choice (toxicity, disk damage, HTTP fault draws): same seed, same run. */
  seed: z.number().int().default(1),
  /** Hosts outside loopback that targets may name: chaos must not reach production by a typo. */
  allow: z.array(z.string()).default([]),
  targets,
  steadyState: z
    .strictObject({
      interval: durationSchema.default(5000),
      /** After the method, how long the hypothesis has to hold again. */
      recovery: durationSchema.default(60_000),
      conditions: z.array(condition).default([]),
      /** Blob stores whose every checksummed object must still match after the run. */
      dataIntegrity: z.array(z.strictObject({ blobs: name, prefix: z.string().default('') })).default([]),
    })
    .default({ interval: 5000, recovery: 60_000, conditions: [], dataIntegrity: [] }),
  method: z.array(step).min(1),
  abort: z.array(abortCondition).default([]),
  rollbacks: z.array(rollback).default([]),
  /** Durability verifiers run over the run: their violations fail the gate. */
  verify: z.array(verifyStep).default([]),
  /** Lease of injected toxics: renewed while the runner lives, expired when it dies. */
  leaseTtl: durationSchema.default(10_000),
});

export type Experiment = z.output<typeof experimentSchema>;
export type ExperimentStep = Experiment['method'][number];
export type Fault = ExperimentStep['fault'];
export type Condition = Experiment['steadyState']['conditions'][number];
export type PromqlCondition = z.output<typeof promqlCondition>;
export type ProbeCondition = z.output<typeof probeCondition>;
export type AbortCondition = Experiment['abort'][number];
export type Phase = z.output<typeof phase>;
export type VerifyStep = Experiment['verify'][number];
export type VerifyPhase = z.output<typeof verifyPhase>;
export type Comparison = z.output<typeof comparison>;

/**
 * Reads and validates an experiment file; a bad file is VigilError('config') naming the line,
 * the field and what was expected.
 *
 * @example
 * const exp = loadExperiment('experiments/nats-pause.yaml');
 */
export function loadExperiment(file: string): Experiment {
  return check(loadConfigFile(experimentSchema, file), file);
}

/**
 * Like loadExperiment, from text.
 *
 * @example
 * const exp = parseExperiment('inline.yaml', text);
 */
export function parseExperiment(source: string, text: string): Experiment {
  return check(parseConfig(experimentSchema, source, text), source);
}

function check(exp: Experiment, source: string): Experiment {
  // References between sections are checked here, so a typo fails at load and not mid-run.
  const problems: string[] = [];
  exp.method.forEach((s, i) => {
    const f = s.fault;
    const where = `${source}: method[${i}].fault`;
    if (
      (f.type === 'pause' || f.type === 'kill' || f.type === 'restart') &&
      !(f.process in exp.targets.processes)
    ) {
      problems.push(`${where}.process: unknown process target "${f.process}"`);
    }
    if (
      f.type === 'restart' &&
      exp.targets.processes[f.process] &&
      !('command' in exp.targets.processes[f.process]!)
    ) {
      problems.push(`${where}: restart needs a process the experiment starts (with command)`);
    }
    if (f.type === 'pause' && s.duration === undefined) problems.push(`${where}: pause needs a duration`);
    if (f.type === 'toxic' && !exp.targets.proxy) problems.push(`${where}: toxic faults need targets.proxy`);
    if (f.type === 'http' && !(f.target in exp.targets.http))
      problems.push(`${where}.target: unknown http target "${f.target}"`);
    if (f.type === 'http' && !f.abort && !f.delay)
      problems.push(`${where}: an http fault needs abort or delay`);
    if (f.type === 'disk' && !(f.dir in exp.targets.dirs))
      problems.push(`${where}.dir: unknown dirs target "${f.dir}"`);
  });
  exp.steadyState.conditions.forEach((c, i) => {
    if ('promql' in c && !exp.targets.prometheus)
      problems.push(`${source}: steadyState.conditions[${i}]: PromQL conditions need targets.prometheus`);
    if ('promql' in c && (c.op === undefined) !== (c.threshold === undefined)) {
      problems.push(`${source}: steadyState.conditions[${i}]: give both op and threshold, or neither`);
    }
  });
  exp.steadyState.dataIntegrity.forEach((d, i) => {
    if (!(d.blobs in exp.targets.blobs))
      problems.push(`${source}: steadyState.dataIntegrity[${i}].blobs: unknown blobs target "${d.blobs}"`);
  });
  exp.verify.forEach((v, i) => {
    const where = `${source}: verify[${i}]`;
    const blobs = (field: string, ref: string) => {
      if (!(ref in exp.targets.blobs)) problems.push(`${where}.${field}: unknown blobs target "${ref}"`);
    };
    if ('scrub' in v) blobs('scrub.blobs', v.scrub.blobs);
    if ('index' in v) blobs('index.blobs', v.index.blobs);
    if ('trash' in v) blobs('trash.blobs', v.trash.blobs);
    if ('compare' in v) {
      blobs('compare.a', v.compare.a);
      blobs('compare.b', v.compare.b);
    }
    if ('watch' in v) {
      blobs('watch.blobs', v.watch.blobs);
      if (v.watch.every === undefined && v.watch.feed === undefined)
        problems.push(`${where}.watch: give every (synthetic writes), feed (write events), or both`);
    }
    if ('ledger' in v && !(v.ledger.queue in exp.targets.queues))
      problems.push(`${where}.ledger.queue: unknown queues target "${v.ledger.queue}"`);
  });
  if (exp.abort.length > 0 && !exp.targets.prometheus)
    problems.push(`${source}: abort: abort conditions need targets.prometheus`);
  if (problems.length > 0) {
    throw new VigilError('config', problems.join('\n'), { details: { file: source } });
  }
  return exp;
}
