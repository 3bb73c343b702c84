import type { Clock } from '../../core/index.ts';

/**
 * Sleeps on the clock, waking early (and cancelling the timer) when the signal aborts, so that
 * Ctrl-C stops a verifier between passes at once instead of after its pause.
 *
 * @example
 * await sleepUnlessAborted(systemClock, 60_000, signal);
 */
export function sleepUnlessAborted(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = () => {
      timer.cancel();
      resolve();
    };
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
