import { z } from 'zod';
import type { Toxic, ToxicDefinition } from '../toxic.ts';

const attributes = z.object({
  /** Milliseconds after the first chunk before the reset; 0 resets at once. */
  timeout: z.number().int().min(0).default(0),
});
type Attributes = z.infer<typeof attributes>;

/**
 * reset_peer: on the first chunk, the connection is reset (TCP RST: the client reads
 * ECONNRESET) after `timeout` ms. Data is dropped (counted), as Toxiproxy does: passing it on
 * would start a graceful close instead of a reset.
 *
 * @example
 * resetPeer.create({ timeout: 0 }).pipe(Buffer.from('PING'), 7, ctx); // drop 4, reset at 7
 */
export const resetPeer: ToxicDefinition<Attributes> = {
  type: 'reset_peer',
  summary: 'resets the connection (TCP RST) timeout ms after the first data',
  attributes,
  create(a): Toxic {
    return {
      pipe(chunk, now, ctx) {
        if (ctx.state['fired']) return [{ kind: 'drop', bytes: chunk.length }];
        ctx.state['fired'] = 1;
        return [
          { kind: 'drop', bytes: chunk.length },
          { kind: 'reset', at: now + a.timeout },
        ];
      },
    };
  },
};
