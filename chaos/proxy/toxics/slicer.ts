import { z } from 'zod';
import type { RandomSource } from '../../../core/index.ts';
import { randomInt } from '../../../core/index.ts';
import type { Toxic, ToxicAction, ToxicDefinition } from '../toxic.ts';

const attributes = z
  .object({
    /** Average size of a slice in bytes. */
    average_size: z.number().int().min(1).default(1),
    /** Slices vary by up to this many bytes; must be smaller than average_size. */
    size_variation: z.number().int().min(0).default(0),
    /** Microseconds between slices (Toxiproxy's unit). */
    delay: z.number().int().min(0).default(0),
  })
  .refine((a) => a.size_variation < a.average_size, {
    message: 'size_variation must be smaller than average_size',
    path: ['size_variation'],
  });
type Attributes = z.infer<typeof attributes>;

/**
 * Cut points for a chunk of `size` bytes: halves recursively, moving each cut by up to
 * ± variation, until every piece is within variation of the average (Toxiproxy's algorithm,
 * so the small pieces are not all at one end).
 *
 * @example
 * sliceBounds(8, 2, 0, seededRandom(1)); // [2, 4, 6]
 */
export function sliceBounds(
  size: number,
  average: number,
  variation: number,
  random: RandomSource,
): number[] {
  const cuts: number[] = [];
  const split = (start: number, end: number) => {
    if (end - start - average <= variation) return;
    const jitter = variation > 0 ? randomInt(random, 2 * variation) - variation : 0;
    // Clamp so a cut always makes progress even with a large variation.
    const mid = Math.min(end - 1, Math.max(start + 1, start + Math.floor((end - start) / 2) + jitter));
    split(start, mid);
    cuts.push(mid);
    split(mid, end);
  };
  split(0, size);
  return cuts;
}

/**
 * slicer: cuts each chunk into slices of about `average_size` bytes sent `delay` µs apart, as
 * a real network fragments data; framing bugs in clients show up under it.
 *
 * @example
 * slicer.create({ average_size: 2, size_variation: 0, delay: 1000 }).pipe(Buffer.from('abcd'), 0, ctx);
 * // writes "ab" at 0 and "cd" at 1
 */
export const slicer: ToxicDefinition<Attributes> = {
  type: 'slicer',
  summary: 'slices data into average_size ± size_variation byte pieces, delay µs apart',
  attributes,
  create(a): Toxic {
    const delayMs = a.delay / 1000;
    return {
      pipe(chunk, now, ctx) {
        const bounds = [
          0,
          ...sliceBounds(chunk.length, a.average_size, a.size_variation, ctx.random),
          chunk.length,
        ];
        const out: ToxicAction[] = [];
        for (let i = 1; i < bounds.length; i++) {
          out.push({
            kind: 'write',
            data: chunk.subarray(bounds[i - 1]!, bounds[i]!),
            at: now + Math.round((i - 1) * delayMs),
          });
        }
        return out;
      },
    };
  },
};
