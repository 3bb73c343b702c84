/**
 * The circuit breaker of a rate guard, as pure state transitions. It trips when the guard's
 * alert fires and stays tripped until a person resets it: the alert resolving (the deleting
 * job stopped, or ran out of things to delete) says nothing about whether it is safe to go on.
 * A trip while tripped keeps the first `since` and reason; the first cause is the one to read.
 */

export type BreakerState = 'closed' | 'tripped';

export interface Breaker {
  name: string;
  state: BreakerState;
  /** When it tripped (ms); undefined while closed. */
  since: number | undefined;
  /** Why it tripped: the alert and its value. */
  why: string | undefined;
  /** Trips seen while already tripped (a flapping alert), since the last reset. */
  trips: number;
  /** The last reset: who, when, why. */
  lastReset: { by: string; at: number; reason: string } | undefined;
}

/** A job must stop while this holds. */
export const isTripped = (b: Breaker): boolean => b.state === 'tripped';

export function closedBreaker(name: string): Breaker {
  return { name, state: 'closed', since: undefined, why: undefined, trips: 0, lastReset: undefined };
}

/**
 * Trips `b` at `t` (ms) for `why`.
 *
 * @example
 * trip(closedBreaker('GcDeletes'), Date.now(), 'GcDeletes fired: 140x the usual rate');
 */
export function trip(b: Breaker, t: number, why: string): Breaker {
  if (isTripped(b)) return { ...b, trips: b.trips + 1 };
  return { ...b, state: 'tripped', since: t, why, trips: 1 };
}

/** Closes `b`; `by` names the person (required: a reset nobody owns is not allowed). */
export function reset(b: Breaker, t: number, by: string, reason: string): Breaker {
  return {
    ...b,
    state: 'closed',
    since: undefined,
    why: undefined,
    trips: 0,
    lastReset: { by, at: t, reason },
  };
}
