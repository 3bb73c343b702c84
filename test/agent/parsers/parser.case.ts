import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Normalizer } from '../../../agent/normalize.ts';
import type { Parser } from '../../../agent/parsers/index.ts';
import { type LogRecord, parseErrorAttribute, recordToJson } from '../../../agent/record.ts';

/**
 * The conformance suite every parser's test runs: its samples parse to the expected records,
 * it never throws on any input, and through the normalizer no line is ever lost (each line
 * is a record, part of a joined record, or kept whole with parse_error).
 */

export interface Sample {
  /** What the sample shows (an ugly corner: IPv6, escaped quote, offset...). */
  name: string;
  line: string;
  /** Fields the record must have (toMatchObject); undefined when the parser must refuse the line. */
  expect: Partial<LogRecord> | undefined;
}

/** Observed time used by the samples: year-less formats take 2026 from it. */
export const observedMs = Date.UTC(2026, 10, 23, 12, 0, 0);
export const ctx = { observedMs, resource: { 'service.name': 'test' } };

/** Seeded so that a failure replays. */
const fuzzRuns = { seed: 4242, numRuns: 300 };

export function parserConformance(parser: Parser, samples: Sample[]): void {
  describe(`parser ${parser.name}: conformance`, () => {
    for (const s of samples) {
      it(`sample: ${s.name}`, () => {
        const r = parser.parse(s.line, ctx);
        if (s.expect === undefined) {
          expect(r).toBeUndefined();
          return;
        }
        expect(r).toBeDefined();
        expect(r).toMatchObject(s.expect);
        // Every record serializes, and its times are real times.
        expect(() => JSON.stringify(recordToJson(r!))).not.toThrow();
        if (r!.timeUnixMs !== undefined) expect(Number.isFinite(r!.timeUnixMs)).toBe(true);
        expect(r!.severityNumber).toBeGreaterThanOrEqual(0);
        expect(r!.severityNumber).toBeLessThanOrEqual(24);
      });
    }

    const good = samples.filter((s) => s.expect !== undefined).map((s) => s.line);
    const anyLine = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
      // Samples with a character changed, cut short or extended: the near misses.
      fc
        .tuple(
          fc.constantFrom(...(good.length > 0 ? good : ['x'])),
          fc.nat(),
          fc.string({ maxLength: 8 }),
          fc.nat(3),
        )
        .map(([line, at, text, mode]) => {
          const i = at % (line.length + 1);
          if (mode === 0) return line.slice(0, i);
          if (mode === 1) return line.slice(0, i) + text + line.slice(i + 1);
          if (mode === 2) return line.slice(0, i) + text + line.slice(i);
          return line + text;
        }),
    );

    it('never throws on any line (fuzzed)', () => {
      fc.assert(
        fc.property(anyLine, (line) => {
          const r = parser.parse(line, ctx);
          if (r !== undefined) {
            expect(typeof r.body).toBe('string');
            JSON.stringify(recordToJson(r));
          }
        }),
        fuzzRuns,
      );
    });

    it('never loses a line through the normalizer (fuzzed)', () => {
      fc.assert(
        fc.property(fc.array(anyLine, { minLength: 1, maxLength: 12 }), (lines) => {
          const records: LogRecord[] = [];
          const n = new Normalizer({ format: parser.name }, (r) => records.push(r));
          for (const [i, line] of lines.entries()) n.push(line, observedMs, i);
          n.end();
          const c = n.counts;
          const accounted =
            Object.values(c.parsed).reduce((a, b) => a + b, 0) +
            Object.values(c.continuation).reduce((a, b) => a + b, 0) +
            c.unparsed;
          // Envelopes count their inner lines instead of themselves; every line is still one record or part of one.
          if ((parser as { envelope?: boolean }).envelope === true) {
            // Envelope lines count once as the envelope and, when their inner line parses, again under its format.
            expect(accounted).toBeGreaterThanOrEqual(lines.length);
            expect((c.parsed[parser.name] ?? 0) + c.unparsed).toBe(lines.length);
          } else {
            expect(accounted).toBe(lines.length);
          }
          for (const r of records) {
            if (r.attributes[parseErrorAttribute] !== undefined) expect(lines).toContain(r.body);
          }
          // Unparsed lines are kept whole and in order.
          const kept = records
            .filter((r) => r.attributes[parseErrorAttribute] !== undefined)
            .map((r) => r.body);
          let from = 0;
          for (const body of kept) {
            const at = lines.indexOf(body, from);
            expect(at).toBeGreaterThanOrEqual(0);
            from = at + 1;
          }
        }),
        fuzzRuns,
      );
    });
  });
}
