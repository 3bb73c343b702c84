/**
 * A per-integration circuit breaker (Nygard, "Release It!"): after `failureThreshold`
 * consecutive failures the circuit opens and nothing is sent for `cooldownMs`; then it is
 * half-open and lets exactly one probe through; the probe's success closes it, its failure
 * opens it again. While open, pages wait in the outbox instead of hammering a receiver that is
 * down, and the first send after recovery is one request, not the whole backlog at once.
 * Pure: time is passed in.
 */

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerPolicy {
  failureThreshold: number;
  cooldownMs: number;
}

/** Five straight failures (a few minutes of backoff) is an outage, not a blip. */
export const defaultBreakerPolicy: BreakerPolicy = { failureThreshold: 5, cooldownMs: 30_000 };

/** The number exported as vigil_notification_breaker_state. */
export const breakerStateValue: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** Consecutive failures at or past the threshold open a closed circuit. */
export function shouldTrip(consecutiveFailures: number, policy: BreakerPolicy): boolean {
  return consecutiveFailures >= policy.failureThreshold;
}

export class Breaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probing = false;

  constructor(private readonly policy: BreakerPolicy = defaultBreakerPolicy) {}

  /** The state at `now` (an open circuit whose cooldown has passed reads half-open). */
  state(now: number): BreakerState {
    if (this.current === 'open' && now - this.openedAt >= this.policy.cooldownMs) this.current = 'half-open';
    return this.current;
  }

  /** Whether a send may start now; in half-open, only one at a time (the probe). */
  allows(now: number): boolean {
    const s = this.state(now);
    if (s === 'closed') return true;
    if (s === 'half-open' && !this.probing) return true;
    return false;
  }

  /** Call when a send starts, after `allows` said yes. */
  onSend(now: number): void {
    if (this.state(now) === 'half-open') this.probing = true;
  }

  /** When the circuit next lets a send through, if it is open now. */
  reopensAt(): number | undefined {
    return this.current === 'open' ? this.openedAt + this.policy.cooldownMs : undefined;
  }

  onSuccess(): void {
    this.current = 'closed';
    this.failures = 0;
    this.probing = false;
  }

  /** A failure that says the receiver is unwell (5xx, timeout, refused). */
  onFailure(now: number): void {
    this.failures++;
    if (this.current === 'half-open' || shouldTrip(this.failures, this.policy)) {
      this.current = 'open';
      this.openedAt = now;
    }
    this.probing = false;
  }

  /** A send ended without telling anything about the receiver's health (429, 4xx). */
  onNeutral(): void {
    this.probing = false;
  }
}
