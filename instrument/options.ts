import type { DestinationStream } from 'pino';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { type Clock, VigilError } from '../core/index.ts';

/** What `createTelemetry` accepts. Only `service` is required; every default is resolved in `resolveOptions`. */
export interface TelemetryOptions {
  /** `service.name` on spans and `service` on every log record. */
  service: string;
  /** `service.version`. */
  version?: string;
  /** pino level; default `LOG_LEVEL` from the environment, else `info`. */
  logLevel?: string;
  /** Where log lines go; default stderr through pino's asynchronous destination. */
  logDestination?: DestinationStream;
  /** Create spans (default true). Export needs an endpoint too. */
  tracing?: boolean;
  /** OTLP/HTTP base URL (`/v1/traces` is appended); overrides the `OTEL_EXPORTER_OTLP_*` variables. */
  otlpEndpoint?: string;
  /** Registry for metrics; default a new one (never prom-client's global), with process metrics. */
  registry?: Registry;
  /** Bucket bounds (seconds) of the duration histograms; default OpenTelemetry's advice. */
  durationBuckets?: number[];
  /** Time source for health-check timeouts and the shutdown grace period; default the system clock. */
  clock?: Clock;
  /** Default time a readiness check may take before it counts as failed (ms). Default 2000. */
  healthTimeoutMs?: number;
  /** Environment to read `LOG_LEVEL` and `OTEL_*` from; default `process.env` (tests pass their own). */
  env?: Record<string, string | undefined>;
}

/**
 * OpenTelemetry's advised bucket boundaries for `http.server.request.duration` and
 * `messaging.process.duration` (seconds), from the HTTP and messaging metric conventions.
 */
export const defaultDurationBuckets: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

/** A readiness check that has not answered in this long is failed, so /readyz answers before a kubelet's 1 s default probe timeout times 2. */
export const defaultHealthTimeoutMs = 2000;

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const scalarSchema = z.object({
  service: z
    .string({ error: 'expected a non-empty string' })
    .trim()
    .min(1, 'expected a non-empty string')
    .max(200, 'expected at most 200 characters'),
  version: z.string({ error: 'expected a string' }).max(200).optional(),
  logLevel: z.enum(logLevels, { error: `expected one of ${logLevels.join(', ')}` }).optional(),
  tracing: z.boolean({ error: 'expected true or false' }).optional(),
  otlpEndpoint: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
  durationBuckets: z
    .array(z.number().positive().finite(), { error: 'expected an array of positive numbers' })
    .min(1, 'expected at least one bucket bound')
    .refine((b) => b.every((v, i) => i === 0 || v > b[i - 1]!), 'expected strictly increasing bounds')
    .optional(),
  healthTimeoutMs: z.number().int().positive().optional(),
});

/** Where spans go: an OTLP/HTTP traces URL, or nowhere (spans still exist and give logs their ids). */
export type TraceExport = { kind: 'otlp'; url: string } | { kind: 'none'; why: string };

export interface ResolvedOptions {
  service: string;
  version: string | undefined;
  logLevel: string;
  tracing: boolean;
  traceExport: TraceExport;
  durationBuckets: number[];
  healthTimeoutMs: number;
}

/**
 * Validates options and resolves every default in one place. Bad input is a
 * `VigilError('config')` naming the option and what was expected.
 *
 * @example
 * resolveOptions({ service: 'blobs' }, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })
 *   .traceExport; // { kind: 'otlp', url: 'http://127.0.0.1:4318/v1/traces' }
 */
export function resolveOptions(
  options: TelemetryOptions,
  env: Record<string, string | undefined> = {},
): ResolvedOptions {
  const envLevel = env.LOG_LEVEL?.trim().toLowerCase() || undefined;
  const parsed = scalarSchema.safeParse({
    service: options?.service,
    version: options?.version,
    logLevel: options?.logLevel ?? envLevel,
    tracing: options?.tracing,
    otlpEndpoint: options?.otlpEndpoint,
    durationBuckets: options?.durationBuckets,
    healthTimeoutMs: options?.healthTimeoutMs,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || 'options';
    const source = field === 'logLevel' && options?.logLevel === undefined ? ' (from LOG_LEVEL)' : '';
    throw new VigilError('config', `createTelemetry: ${field}${source}: ${issue.message}`, {
      details: { field },
    });
  }
  const o = parsed.data;
  const tracing = o.tracing ?? env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== 'true';
  return {
    service: o.service,
    version: o.version,
    logLevel: o.logLevel ?? 'info',
    tracing,
    traceExport: tracing ? resolveTraceExport(o.otlpEndpoint, env) : { kind: 'none', why: 'tracing is off' },
    durationBuckets: o.durationBuckets ?? [...defaultDurationBuckets],
    healthTimeoutMs: o.healthTimeoutMs ?? defaultHealthTimeoutMs,
  };
}

/**
 * The OTLP/HTTP traces URL, following the OpenTelemetry exporter specification: a signal
 * specific variable (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is used as is, a base endpoint
 * (the option, or `OTEL_EXPORTER_OTLP_ENDPOINT`) gets `v1/traces` appended to its path.
 * `OTEL_TRACES_EXPORTER=none` turns export off.
 *
 * @example
 * resolveTraceExport('http://collector:4318/', {}); // { kind: 'otlp', url: 'http://collector:4318/v1/traces' }
 */
export function resolveTraceExport(
  endpointOption: string | undefined,
  env: Record<string, string | undefined>,
): TraceExport {
  if (endpointOption) return { kind: 'otlp', url: appendTracesPath(endpointOption) };
  if (env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === 'none') {
    return { kind: 'none', why: 'OTEL_TRACES_EXPORTER=none' };
  }
  const signal = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (signal) return { kind: 'otlp', url: checkUrl(signal, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') };
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (base) return { kind: 'otlp', url: appendTracesPath(checkUrl(base, 'OTEL_EXPORTER_OTLP_ENDPOINT')) };
  return { kind: 'none', why: 'no OTLP endpoint configured' };
}

function appendTracesPath(base: string): string {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/traces`;
  return url.toString();
}

function checkUrl(text: string, variable: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // The value is not echoed: a URL may carry credentials.
    throw new VigilError('config', `${variable}: expected an http(s) URL`, {
      details: { field: variable },
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new VigilError('config', `${variable}: expected an http(s) URL, got protocol "${url.protocol}"`, {
      details: { field: variable },
    });
  }
  return text;
}
