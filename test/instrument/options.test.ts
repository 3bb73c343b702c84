import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isVigilError } from '../../core/index.ts';
import {
  createTelemetry,
  defaultDurationBuckets,
  resolveOptions,
  resolveTraceExport,
  type TelemetryOptions,
} from '../../instrument/index.ts';

describe('resolveOptions', () => {
  it('resolves defaults in one place', () => {
    expect(resolveOptions({ service: 'blobs' }, {})).toEqual({
      service: 'blobs',
      version: undefined,
      logLevel: 'info',
      tracing: true,
      traceExport: { kind: 'none', why: 'no OTLP endpoint configured' },
      durationBuckets: [...defaultDurationBuckets],
      healthTimeoutMs: 2000,
    });
  });

  it('reads LOG_LEVEL and OTEL_SDK_DISABLED, options winning over the environment', () => {
    expect(resolveOptions({ service: 's' }, { LOG_LEVEL: 'DEBUG' }).logLevel).toBe('debug');
    expect(resolveOptions({ service: 's', logLevel: 'warn' }, { LOG_LEVEL: 'debug' }).logLevel).toBe('warn');
    expect(resolveOptions({ service: 's' }, { OTEL_SDK_DISABLED: 'true' }).tracing).toBe(false);
    expect(resolveOptions({ service: 's', tracing: true }, { OTEL_SDK_DISABLED: 'true' }).tracing).toBe(true);
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['missing service', {}, /service: expected a non-empty string/],
    ['blank service', { service: '  ' }, /service: expected a non-empty string/],
    ['bad level', { service: 's', logLevel: 'loud' }, /logLevel: expected one of fatal, error/],
    ['bad endpoint', { service: 's', otlpEndpoint: 'ftp://x' }, /otlpEndpoint: expected an http\(s\) URL/],
    [
      'unsorted buckets',
      { service: 's', durationBuckets: [1, 0.5] },
      /durationBuckets: expected strictly increasing/,
    ],
    ['empty buckets', { service: 's', durationBuckets: [] }, /durationBuckets: expected at least one/],
  ];
  it.each(bad)('refuses %s with a config error naming the option', (_what, options, message) => {
    let caught: unknown;
    try {
      resolveOptions(options as TelemetryOptions, {});
    } catch (err) {
      caught = err;
    }
    expect(isVigilError(caught, 'config')).toBe(true);
    expect((caught as Error).message).toMatch(message);
  });

  it('names LOG_LEVEL when the bad level came from the environment', () => {
    expect(() => resolveOptions({ service: 's' }, { LOG_LEVEL: 'chatty' })).toThrow(
      /logLevel \(from LOG_LEVEL\)/,
    );
  });

  it('createTelemetry refuses bad options the same way', () => {
    expect(() => createTelemetry({ service: '' })).toThrow(/createTelemetry: service/);
  });
});

describe('resolveTraceExport', () => {
  it('appends v1/traces to a base endpoint, as the OTLP exporter specification says', () => {
    expect(resolveTraceExport('http://collector:4318', {})).toEqual({
      kind: 'otlp',
      url: 'http://collector:4318/v1/traces',
    });
    expect(resolveTraceExport('http://collector:4318/otlp/', {})).toMatchObject({
      url: 'http://collector:4318/otlp/v1/traces',
    });
    expect(resolveTraceExport(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c:4318' })).toMatchObject({
      url: 'https://c:4318/v1/traces',
    });
  });

  it('uses the traces-specific variable as is, and the option over both', () => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://base:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:1/custom',
    };
    expect(resolveTraceExport(undefined, env)).toEqual({ kind: 'otlp', url: 'http://t:1/custom' });
    expect(resolveTraceExport('http://opt:2', env)).toEqual({ kind: 'otlp', url: 'http://opt:2/v1/traces' });
  });

  it('turns export off with OTEL_TRACES_EXPORTER=none or no endpoint', () => {
    expect(
      resolveTraceExport(undefined, {
        OTEL_TRACES_EXPORTER: 'none',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:1',
      }).kind,
    ).toBe('none');
    expect(resolveTraceExport(undefined, {}).kind).toBe('none');
  });

  it('refuses a bad variable with a config error that does not echo the value', () => {
    expect(() =>
      resolveTraceExport(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url secret-ish' }),
    ).toThrow(/^OTEL_EXPORTER_OTLP_ENDPOINT: expected an http\(s\) URL$/);
  });

  it('never throws anything but a config error, whatever the variables hold', () => {
    fc.assert(
      fc.property(fc.option(fc.string()), fc.option(fc.string()), (base, traces) => {
        const env = {
          ...(base === null ? {} : { OTEL_EXPORTER_OTLP_ENDPOINT: base }),
          ...(traces === null ? {} : { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: traces }),
        };
        try {
          const out = resolveTraceExport(undefined, env);
          if (out.kind === 'otlp') expect(() => new URL(out.url)).not.toThrow();
        } catch (err) {
          expect(isVigilError(err, 'config')).toBe(true);
        }
      }),
    );
  });
});
