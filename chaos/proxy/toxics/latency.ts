import { z } from 'zod';
import { randomInt } from '../../../core/index.ts';
import type { Toxic, ToxicDefinition } from '../toxic.ts';

const attributes = z.object({
  /** Milliseconds added to every chunk. */
  latency: z.number().int().min(0).default(0),
  /** Up to this many ms more or less, drawn per chunk from the seeded source. */
  jitter: z.number().int().min(0).default(0),
});
type Attributes = z.infer<typeof attributes>;

/**
 * latency: each chunk leaves `latency ± jitter` ms after it arrived (Toxiproxy's latency). The
 * delay counts from arrival, so back-to-back chunks are not delayed twice.
 *
 * @example
 * latency.create({ latency: 100, jitter: 10 }).pipe(Buffer.from('PING'), 0, ctx); // write at 90..110
 */
export const latency: ToxicDefinition<Attributes> = {
  type: 'latency',
  summary: 'delays every chunk by latency ± jitter ms',
  attributes,
  create(a): Toxic {
    return {
      pipe(chunk, now, ctx) {
        const offset = a.jitter > 0 ? randomInt(ctx.random, 2 * a.jitter) - a.jitter : 0;
        return [{ kind: 'write', data: chunk, at: now + Math.max(0, a.latency + offset) }];
      },
    };
  },
};
