import { z } from 'zod';
import type { Toxic, ToxicDefinition, ToxicEnd } from '../toxic.ts';

const attributes = z.object({
  /** Milliseconds between the end of the stream and the close being passed on. */
  delay: z.number().int().min(0).default(0),
});
type Attributes = z.infer<typeof attributes>;

/**
 * slow_close: data flows untouched; when this direction ends, the end is held back `delay` ms,
 * as a peer that is slow to close its socket.
 *
 * @example
 * slowClose.create({ delay: 500 }).end(1000, ctx); // [{ kind: 'end', at: 1500 }]
 */
export const slowClose: ToxicDefinition<Attributes> = {
  type: 'slow_close',
  summary: 'delays the close of the connection by delay ms',
  attributes,
  create(a): Toxic & ToxicEnd {
    return {
      pipe: (chunk, now) => [{ kind: 'write', data: chunk, at: now }],
      end: (now) => [{ kind: 'end', at: now + a.delay }],
    };
  },
};
