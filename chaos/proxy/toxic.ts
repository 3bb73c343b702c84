import type { z } from 'zod';
import type { RandomSource } from '../../core/index.ts';

/**
 * The toxic contract, after Toxiproxy's: a toxic transforms the stream of chunks of one
 * direction of one connection. Here the transform is pure: given a chunk and the time it
 * arrived, a toxic answers with timed actions, and the link (the shell) carries them out with
 * a Clock. A toxic never touches a socket or a timer, so every toxic is tested without either.
 *
 * Actions run in order; an action's `at` is "not before": a later action never overtakes an
 * earlier one, so a toxic cannot reorder bytes.
 */
export type ToxicAction =
  /** Hand `data` on to the next toxic (or the peer) at time `at`. */
  | { kind: 'write'; data: Buffer; at: number }
  /** The toxic discards these bytes on purpose (timeout, reset_peer, limit_data): counted, never silent. */
  | { kind: 'drop'; bytes: number }
  /** Hand the end of the stream (EOF) on at time `at`. */
  | { kind: 'end'; at: number }
  /** Close the whole connection (both directions) gracefully at time `at`. */
  | { kind: 'close'; at: number }
  /** Reset the whole connection (TCP RST, "connection reset by peer") at time `at`. */
  | { kind: 'reset'; at: number }
  /** Close the connection at `at` unless a later deadline replaces this one first. */
  | { kind: 'deadline'; at: number };

/** What a toxic may use besides the chunk: a seeded random source and its per-connection state. */
export interface ToxicContext {
  random: RandomSource;
  /** Per-connection, per-toxic state from `newState`; kept when the toxic is updated. */
  state: Record<string, number>;
}

/** The one required method: transform a chunk that arrived at `now` (ms) into actions. */
export interface Toxic {
  pipe(chunk: Buffer, now: number, ctx: ToxicContext): ToxicAction[];
}

/** Optional ability: actions when the toxic begins on a connection (timeout arms its deadline). */
export interface ToxicStart {
  start(now: number, ctx: ToxicContext): ToxicAction[];
}

/** Optional ability: what to do with the end of the stream (slow_close delays it). Default: pass it on. */
export interface ToxicEnd {
  end(now: number, ctx: ToxicContext): ToxicAction[];
}

/**
 * Type guard of the optional start ability.
 *
 * @example
 * if (hasStart(toxic)) enqueue(toxic.start(now, ctx));
 */
export function hasStart(toxic: Toxic): toxic is Toxic & ToxicStart {
  return typeof (toxic as Partial<ToxicStart>).start === 'function';
}

/**
 * Type guard of the optional end ability.
 *
 * @example
 * const actions = hasEnd(toxic) ? toxic.end(now, ctx) : [{ kind: 'end', at: now }];
 */
export function hasEnd(toxic: Toxic): toxic is Toxic & ToxicEnd {
  return typeof (toxic as Partial<ToxicEnd>).end === 'function';
}

/** A member of the toxics family: its Toxiproxy type name, its attributes and a constructor. */
export interface ToxicDefinition<A extends Record<string, number> = Record<string, number>> {
  type: string;
  /** One line for docs and `vigil proxy toxics`. */
  summary: string;
  /** Validates attributes; missing ones default as in Toxiproxy (mostly 0). */
  attributes: z.ZodType<A>;
  create(attributes: A): Toxic;
}

/** Toxiproxy's two directions: upstream is client to server, downstream server to client. */
export type Stream = 'upstream' | 'downstream';
export const streams: readonly Stream[] = ['upstream', 'downstream'];

/**
 * True for `upstream` and `downstream`.
 *
 * @example
 * isStream('sideways'); // false
 */
export function isStream(value: unknown): value is Stream {
  return value === 'upstream' || value === 'downstream';
}
