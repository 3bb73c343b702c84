import { z } from 'zod';
import type { Toxic, ToxicAction, ToxicDefinition } from '../toxic.ts';

const attributes = z.object({
  /** KB/s (1 KB = 1000 bytes, as Toxiproxy counts); 0 means no limit. */
  rate: z.number().int().min(0).default(0),
});
type Attributes = z.infer<typeof attributes>;

/** Toxiproxy sends a slow stream in pieces of 100 ms worth, so a reader sees steady progress. */
const pieceMs = 100;

/**
 * bandwidth: caps throughput at `rate` KB/s. A chunk is cut into 100 ms pieces; each piece
 * leaves when the link would have finished sending it at that rate, counted from when the
 * link was last busy (state `freeAt`), so the cap holds across chunks.
 *
 * @example
 * bandwidth.create({ rate: 10 }).pipe(Buffer.alloc(2000), 0, ctx); // two pieces of 1000 bytes at 100 and 200 ms
 */
export const bandwidth: ToxicDefinition<Attributes> = {
  type: 'bandwidth',
  summary: 'caps throughput at rate KB/s',
  attributes,
  create(a): Toxic {
    return {
      pipe(chunk, now, ctx) {
        if (a.rate <= 0) return [{ kind: 'write', data: chunk, at: now }];
        const bytesPerMs = a.rate; // rate KB/s = rate * 1000 bytes per 1000 ms
        const pieceBytes = a.rate * pieceMs;
        let t = Math.max(now, ctx.state['freeAt'] ?? 0);
        const out: ToxicAction[] = [];
        for (let offset = 0; offset < chunk.length; offset += pieceBytes) {
          const piece = chunk.subarray(offset, Math.min(chunk.length, offset + pieceBytes));
          t += piece.length / bytesPerMs;
          out.push({ kind: 'write', data: piece, at: Math.round(t) });
        }
        ctx.state['freeAt'] = t;
        return out;
      },
    };
  },
};
