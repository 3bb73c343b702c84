import { z } from 'zod';
import type { Toxic, ToxicAction, ToxicDefinition, ToxicStart } from '../toxic.ts';

const attributes = z.object({
  /** Milliseconds of silence after which the connection is closed; 0 keeps it open (blackhole). */
  timeout: z.number().int().min(0).default(0),
});
type Attributes = z.infer<typeof attributes>;

/**
 * timeout: a blackhole. Data is dropped (counted), and the connection closes `timeout` ms after
 * the toxic began or after the last chunk it swallowed, whichever is later, as in Toxiproxy,
 * where each chunk re-arms the timer. With timeout 0 the connection stays open and silent until
 * the toxic is removed.
 *
 * @example
 * timeout.create({ timeout: 1000 }).pipe(Buffer.from('GET'), 5, ctx); // drop 3 bytes, close at 1005
 */
export const timeout: ToxicDefinition<Attributes> = {
  type: 'timeout',
  summary: 'drops all data; closes the connection after timeout ms (0: never)',
  attributes,
  create(a): Toxic & ToxicStart {
    const arm = (now: number): ToxicAction[] =>
      a.timeout > 0 ? [{ kind: 'deadline', at: now + a.timeout }] : [];
    return {
      start: (now) => arm(now),
      pipe: (chunk, now) => [{ kind: 'drop', bytes: chunk.length }, ...arm(now)],
    };
  },
};
