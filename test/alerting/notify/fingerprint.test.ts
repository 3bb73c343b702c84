import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../../alerting/notify/index.ts';

/** The same FNV-1a 64 written the obvious way, with BigInt, as the reference. */
function reference(labels: Record<string, string>): string {
  let h = 0xcbf29ce484222325n;
  const add = (bytes: Iterable<number>) => {
    for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  };
  for (const name of Object.keys(labels).sort()) {
    add(new TextEncoder().encode(name));
    add([0xff]);
    add(new TextEncoder().encode(labels[name]!));
    add([0xff]);
  }
  return h.toString(16).padStart(16, '0');
}

describe('alert fingerprint', () => {
  it("is Prometheus' FNV-1a 64: the empty set is the FNV offset basis", () => {
    expect(fingerprint({})).toBe('cbf29ce484222325');
  });

  it('agrees with the BigInt reference and ignores label order (fuzzed)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 16, unit: 'grapheme' })),
        (l) => {
          expect(fingerprint(l)).toBe(reference(l));
          expect(fingerprint(Object.fromEntries(Object.entries(l).reverse()))).toBe(fingerprint(l));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
