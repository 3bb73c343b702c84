import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseExperiment, parseProxyInput, parseToxicInput } from '../../../chaos/index.ts';
import { parseToxicUpdate } from '../../../chaos/proxy/spec.ts';
import { isVigilError } from '../../../core/index.ts';

/** Anything a client could send: the parsers answer with a spec or a VigilError, never a crash. */
const anyJson = fc.oneof(
  fc.jsonValue(),
  fc.record(
    {
      name: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      type: fc.oneof(
        fc.constantFrom(
          'latency',
          'bandwidth',
          'slow_close',
          'timeout',
          'reset_peer',
          'slicer',
          'limit_data',
        ),
        fc.string(),
      ),
      stream: fc.oneof(fc.constantFrom('upstream', 'downstream'), fc.string()),
      toxicity: fc.oneof(fc.double(), fc.string()),
      attributes: fc.oneof(
        fc.dictionary(
          fc.constantFrom(
            'latency',
            'jitter',
            'rate',
            'delay',
            'timeout',
            'bytes',
            'average_size',
            'size_variation',
          ),
          fc.oneof(fc.integer(), fc.double(), fc.string()),
        ),
        fc.jsonValue(),
      ),
      listen: fc.oneof(fc.constant('127.0.0.1:0'), fc.string()),
      upstream: fc.oneof(fc.constant('127.0.0.1:6379'), fc.string()),
      enabled: fc.oneof(fc.boolean(), fc.string()),
    },
    { requiredKeys: [] },
  ),
);

function onlyVigilErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!isVigilError(err)) throw err;
    expect(['parse', 'not_found', 'conflict']).toContain(err.code);
  }
}

describe('API input parsers (fuzzed)', () => {
  it('toxic and proxy bodies yield a spec or a 4xx error', () => {
    fc.assert(
      fc.property(anyJson, (body) => {
        onlyVigilErrors(() => {
          const t = parseToxicInput(body);
          expect(t.toxicity).toBeGreaterThanOrEqual(0);
          expect(t.toxicity).toBeLessThanOrEqual(1);
          expect(['upstream', 'downstream']).toContain(t.stream);
          for (const v of Object.values(t.attributes)) expect(Number.isFinite(v)).toBe(true);
          onlyVigilErrors(() => parseToxicUpdate(body, t));
        });
        onlyVigilErrors(() => parseProxyInput(body));
      }),
      { seed: 11, numRuns: 500 },
    );
  });

  it('experiment files yield a model or a config error', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string(), (value, text) => {
        for (const source of [
          JSON.stringify(value),
          text,
          `apiVersion: vigil/v1\nkind: Experiment\ntitle: t\nmethod: ${JSON.stringify(value)}\n`,
        ]) {
          try {
            parseExperiment('fuzz.yaml', source);
          } catch (err) {
            if (!isVigilError(err, 'config')) throw err;
          }
        }
      }),
      { seed: 12, numRuns: 300 },
    );
  });
});
