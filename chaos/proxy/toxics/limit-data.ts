import { z } from 'zod';
import type { Toxic, ToxicAction, ToxicDefinition } from '../toxic.ts';

const attributes = z.object({
  /** Bytes allowed through this direction of the connection before it is closed. */
  bytes: z.number().int().min(0).default(0),
});
type Attributes = z.infer<typeof attributes>;

/**
 * limit_data: lets `bytes` bytes through, then closes the connection; the rest of the chunk
 * that crosses the limit is dropped (counted). The count survives an update of the toxic.
 *
 * @example
 * limitData.create({ bytes: 3 }).pipe(Buffer.from('abcde'), 0, ctx); // write "abc", drop 2, close
 */
export const limitData: ToxicDefinition<Attributes> = {
  type: 'limit_data',
  summary: 'closes the connection after bytes bytes',
  attributes,
  create(a): Toxic {
    return {
      pipe(chunk, now, ctx) {
        const sent = ctx.state['sent'] ?? 0;
        const take = Math.min(chunk.length, Math.max(0, a.bytes - sent));
        const out: ToxicAction[] = [];
        if (take > 0) out.push({ kind: 'write', data: chunk.subarray(0, take), at: now });
        if (take < chunk.length) out.push({ kind: 'drop', bytes: chunk.length - take });
        ctx.state['sent'] = sent + take;
        if (sent + take >= a.bytes) out.push({ kind: 'close', at: now });
        return out;
      },
    };
  },
};
