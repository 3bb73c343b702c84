import type { RandomSource } from '../../../core/index.ts';
import { DeliveryError } from '../types.ts';

/**
 * When to try a failed send again: exponential backoff with full jitter (AWS Architecture
 * Blog, "Exponential Backoff And Jitter": sleep = random(0, min(cap, base * 2^attempt))), so
 * that many integrations failing together do not retry in lockstep against a receiver that is
 * coming back. A receiver that says when to come back (Retry-After on 429 or 503) is obeyed.
 * Pure: randomness is passed in.
 */

export interface BackoffPolicy {
  /** First retry window (ms). */
  baseMs: number;
  /** Largest window (ms): a receiver down for an hour is still tried about once a minute. */
  capMs: number;
  /** Longest Retry-After obeyed (ms); a larger one is clamped, so a bad header cannot park pages. */
  maxRetryAfterMs: number;
}

/** Alertmanager's backoff starts at 500 ms; its max interval is a minute. */
export const defaultBackoff: BackoffPolicy = { baseMs: 500, capMs: 60_000, maxRetryAfterMs: 10 * 60_000 };

/**
 * The delay before retry number `attempt` (0 for the first retry).
 *
 * @example
 * backoffDelay(3, seededRandom(1), defaultBackoff); // somewhere in [0, 4000)
 */
export function backoffDelay(
  attempt: number,
  random: RandomSource,
  policy: BackoffPolicy = defaultBackoff,
): number {
  const window = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(attempt, 52));
  return Math.floor(random() * window);
}

/** The delay after a failure: the receiver's Retry-After when it gave one, else backoff. */
export function retryDelay(
  attempt: number,
  error: unknown,
  random: RandomSource,
  policy: BackoffPolicy = defaultBackoff,
): number {
  if (error instanceof DeliveryError && error.retryAfterMs !== undefined)
    return Math.min(Math.max(0, error.retryAfterMs), policy.maxRetryAfterMs);
  return backoffDelay(attempt, random, policy);
}

/** Whether a failure is worth another try: DeliveryErrors say so; anything else is a bug, not retried. */
export function isRetryable(error: unknown): boolean {
  return error instanceof DeliveryError && error.retryable;
}

/** A 429 says the receiver is alive but busy: it is retried, but does not trip the breaker. */
export function countsAgainstBreaker(error: unknown): boolean {
  return isRetryable(error) && (error as { status?: number }).status !== 429;
}
