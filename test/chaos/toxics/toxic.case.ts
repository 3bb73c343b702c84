import fc from 'fast-check';
import { expect, it } from 'vitest';
import { type StageSink, type ToxicDefinition, ToxicStage } from '../../../chaos/proxy/index.ts';
import { ManualClock, seededRandom } from '../../../core/index.ts';

export interface ConformanceOptions {
  /** Attribute sets to try, as the API would receive them. */
  attributes: Array<Record<string, number>>;
  /** The toxic discards bytes on purpose (declared with drop actions); otherwise every byte must arrive. */
  lossy?: boolean;
}

interface Recorded {
  written: Buffer[];
  dropped: number;
  ended: boolean;
  closed: boolean;
}

function recorder(): { sink: StageSink; out: Recorded } {
  const out: Recorded = { written: [], dropped: 0, ended: false, closed: false };
  return {
    out,
    sink: {
      write: (d) => out.written.push(Buffer.from(d)),
      end: () => {
        out.ended = true;
      },
      close: () => {
        out.closed = true;
      },
      reset: () => {
        out.closed = true;
      },
      dropped: (n) => {
        out.dropped += n;
      },
    },
  };
}

/**
 * The toxic conformance suite every toxic's test runs: through the real ToxicStage shell on a
 * ManualClock, with a seeded random source, chunks arrive at random times and the toxic is
 * interrupted (removed) at a random moment. What it held is handed on: no byte it held is lost,
 * and bytes keep their order. A lossy toxic may only lose bytes it declared dropped.
 */
export function toxicConformance(definition: ToxicDefinition, options: ConformanceOptions): void {
  it(`${definition.type}: accepts its documented attributes`, () => {
    for (const a of options.attributes) expect(definition.attributes.safeParse(a).success).toBe(true);
  });

  it(`${definition.type}: an interrupted toxic loses no byte it holds, and keeps order`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.integer({ min: 0, max: 50 })), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.integer({ min: 0, max: 400 }),
        fc.integer({ min: 0, max: options.attributes.length - 1 }),
        fc.integer(),
        fc.boolean(),
        async (chunks, interruptAfterMs, which, seed, sendEnd) => {
          const clock = new ManualClock(1_000_000);
          const attributes = definition.attributes.parse(options.attributes[which]);
          const { sink, out } = recorder();
          const stage = new ToxicStage(
            't',
            definition.create(attributes),
            { random: seededRandom(seed), state: {} },
            clock,
            () => sink,
          );
          stage.begin();
          const input: Buffer[] = [];
          for (const [bytes, gap] of chunks) {
            await clock.advance(gap);
            if (out.closed) break;
            const chunk = Buffer.from(bytes);
            input.push(chunk);
            stage.input(chunk);
          }
          if (sendEnd && !out.closed) stage.end();
          await clock.advance(interruptAfterMs);
          const held = stage.interrupt();
          const delivered = Buffer.concat([...out.written, ...held.data]);
          const all = Buffer.concat(input);
          if (!options.lossy) {
            expect(out.dropped).toBe(0);
            if (!out.closed) expect(delivered.equals(all)).toBe(true);
          } else {
            // Whatever got through is the input in order with only declared drops missing.
            expect(delivered.length + out.dropped).toBeLessThanOrEqual(all.length);
            if (!out.closed) expect(delivered.length + out.dropped).toBe(all.length);
            expect(isSubsequence(delivered, all)).toBe(true);
          }
          // The end of the stream is never lost either: passed on, or still held and handed on.
          if (sendEnd && !out.closed) expect(out.ended || held.ended).toBe(true);
          // Nothing runs after the interrupt.
          const before = out.written.length;
          await clock.advance(10_000);
          expect(out.written.length).toBe(before);
        },
      ),
      { seed: 7, numRuns: 60 },
    );
  });

  it(`${definition.type}: same seed, same output`, async () => {
    const run = async () => {
      const clock = new ManualClock(0);
      const { sink, out } = recorder();
      const attributes = definition.attributes.parse(options.attributes[options.attributes.length - 1]);
      const stage = new ToxicStage(
        't',
        definition.create(attributes),
        { random: seededRandom(99), state: {} },
        clock,
        () => sink,
      );
      stage.begin();
      const timeline: string[] = [];
      for (let i = 0; i < 5; i++) {
        stage.input(Buffer.alloc(500, i));
        await clock.advance(20);
        timeline.push(`${clock.now()}:${out.written.map((b) => b.length).join(',')}:${out.dropped}`);
      }
      return timeline;
    };
    expect(await run()).toEqual(await run());
  });
}

function isSubsequence(part: Buffer, whole: Buffer): boolean {
  let j = 0;
  for (let i = 0; i < whole.length && j < part.length; i++) if (whole[i] === part[j]) j++;
  return j === part.length;
}
