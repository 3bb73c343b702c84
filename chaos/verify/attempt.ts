import type { Clock } from '../../core/index.ts';
import { type Observation, type RetryPolicy, retryDecision } from './verdict.ts';

/**
 * Repeats an observation while it is an error, per the retry policy, sleeping on the clock in
 * between. Returns the last observation and how many attempts were made.
 *
 * @example
 * const { observation, attempts } = await withRetries(clock, policy, () => observeHead(store, key, clock, 10_000));
 */
export async function withRetries<T extends { observation: Observation }>(
  clock: Clock,
  policy: RetryPolicy,
  attempt: () => Promise<T>,
): Promise<T & { attempts: number }> {
  for (let n = 1; ; n++) {
    const result = await attempt();
    if (result.observation.kind !== 'error') return { ...result, attempts: n };
    const decision = retryDecision(n, policy);
    if (!decision.retry) return { ...result, attempts: n };
    await clock.sleep(decision.delayMs);
  }
}

/** The detail a report shows for a non-ok observation. */
export function describeObservation(observation: Observation, attempts: number): string | undefined {
  if (observation.kind === 'error') return `${observation.message} (after ${attempts} attempts)`;
  if (observation.kind === 'absent') return 'absent';
  return undefined;
}
