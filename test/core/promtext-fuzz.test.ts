import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Exemplar,
  type ExpositionFormat,
  isVigilError,
  type MetricFamily,
  type MetricType,
  parseExposition,
  type Sample,
  typeSuffixes,
  writeExposition,
} from '../../core/index.ts';

// Seeded so that a failure replays; the seed is printed by fast-check on failure.
const runs = { seed: 20261123, numRuns: 300 };

const labelName = fc
  .stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,6}$/)
  .filter((n) => n !== '__name__' && n !== '__proto__');
const ident = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_:]{0,6}$/);
const anyText = fc.string({ unit: 'binary', maxLength: 12 });
const labelSet = fc.dictionary(labelName, anyText, { maxKeys: 3 });
const value = fc.oneof(
  fc.double(),
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, -0),
);

const typesOf: Record<ExpositionFormat, MetricType[]> = {
  prometheus: ['counter', 'gauge', 'histogram', 'summary', 'unknown'],
  openmetrics: ['counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset', 'unknown'],
};

/** Families that each format can carry exactly, so that write-then-parse must give them back. */
function familiesArb(format: ExpositionFormat): fc.Arbitrary<MetricFamily[]> {
  const om = format === 'openmetrics';
  const timestamp = om ? fc.integer({ min: -1e12, max: 1e13 }) : fc.integer({ min: 0, max: 2 ** 50 });
  const exemplar: fc.Arbitrary<Exemplar> = fc.record(
    { labels: labelSet, value, timestampMs: fc.integer({ min: -1e12, max: 1e13 }) },
    { requiredKeys: ['labels', 'value'] },
  );
  const family = (index: number) =>
    fc
      .record({
        ident,
        type: fc.constantFrom(...typesOf[format]),
        help: fc.option(anyText, { nil: undefined }),
        withUnit: fc.boolean(),
      })
      .chain(({ ident, type, help, withUnit }) => {
        // The index prefix keeps names of different families from explaining each other's samples.
        const name = `f${index}_${ident}`;
        const sample: fc.Arbitrary<Sample> = fc.record(
          {
            name: fc.constantFrom(name, ...typeSuffixes[type].map((s) => name + s)),
            labels: labelSet,
            value,
            timestampMs: timestamp,
            ...(om ? { exemplar } : {}),
          },
          { requiredKeys: ['name', 'labels', 'value'] },
        );
        return fc.array(sample, { maxLength: 4 }).map((samples) => {
          const f: { -readonly [K in keyof MetricFamily]: MetricFamily[K] } = { name, type, samples };
          if (help !== undefined) f.help = help;
          if (om && withUnit) f.unit = ident;
          return f as MetricFamily;
        });
      });
  return fc
    .integer({ min: 0, max: 5 })
    .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => family(i))));
}

/** Parsing either succeeds or raises a VigilError('parse') that names an existing line. */
function parsesOrNamesLine(text: string, format: ExpositionFormat): void {
  try {
    parseExposition(text, { format });
  } catch (err) {
    if (!isVigilError(err, 'parse')) throw err;
    const match = /^exposition line (\d+): /.exec(err.message);
    expect(match, err.message).not.toBeNull();
    const line = Number(match![1]);
    expect(line).toBeGreaterThanOrEqual(1);
    expect(line).toBeLessThanOrEqual(text.split('\n').length);
    expect(err.details['line']).toBe(line);
  }
}

const alphabet = [...'{}",=\\\n #\t0a_.+-eEIN:}'];

interface Mutation {
  at: number;
  kind: 'delete' | 'insert' | 'replace' | 'duplicate';
  ch: string;
}

const mutations = fc.array(
  fc.record({
    at: fc.nat(),
    kind: fc.constantFrom<Mutation['kind']>('delete', 'insert', 'replace', 'duplicate'),
    ch: fc.constantFrom(...alphabet),
  }),
  { minLength: 1, maxLength: 4 },
);

function mutate(text: string, ms: Mutation[]): string {
  let out = text;
  for (const m of ms) {
    if (out.length === 0) return m.ch;
    const at = m.at % out.length;
    if (m.kind === 'delete') out = out.slice(0, at) + out.slice(at + 1);
    else if (m.kind === 'insert') out = out.slice(0, at) + m.ch + out.slice(at);
    else if (m.kind === 'replace') out = out.slice(0, at) + m.ch + out.slice(at + 1);
    else out = out.slice(0, at) + out.slice(at, at + 8) + out.slice(at);
  }
  return out;
}

describe.each(['prometheus', 'openmetrics'] as const)('%s format under fuzzing', (format) => {
  it('round-trips generated families through write and parse', () => {
    fc.assert(
      fc.property(familiesArb(format), (families) => {
        const text = writeExposition(families, { format });
        expect(parseExposition(text, { format })).toEqual(families);
      }),
      runs,
    );
  });

  it('never throws anything but a VigilError naming a line, for arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 60 }), (text) =>
        parsesOrNamesLine(text, format),
      ),
      runs,
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => parsesOrNamesLine(text, format)),
      runs,
    );
  });

  it('never throws anything but a VigilError naming a line, for mutated valid expositions', () => {
    fc.assert(
      fc.property(familiesArb(format), mutations, (families, ms) => {
        parsesOrNamesLine(mutate(writeExposition(families, { format }), ms), format);
      }),
      runs,
    );
  });
});
