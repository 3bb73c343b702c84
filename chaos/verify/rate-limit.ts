import type { Clock } from '../../core/index.ts';

/**
 * A token bucket, pure: it is told the time and answers how long to wait. Verifiers walk whole
 * stores, so they are paced in objects per second and bytes per second to leave the service its
 * capacity; a burst of one second's worth lets short pauses be caught up.
 */
export class TokenBucket {
  private tokens: number;
  private last: number | undefined;

  /**
   * @param ratePerSecond tokens added per second; `Infinity` never waits.
   * @param burst the most tokens held; defaults to one second's worth (at least 1).
   */
  constructor(
    readonly ratePerSecond: number,
    readonly burst = Math.max(1, ratePerSecond),
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError('TokenBucket: rate must be > 0');
    this.tokens = this.burst;
  }

  /**
   * Takes `cost` tokens at time `now` and returns how many ms the caller must wait before going
   * ahead (0 when the tokens were there). A cost above the burst is allowed and simply waits
   * longer, so one large object is never refused.
   *
   * @example
   * const b = new TokenBucket(10); // 10/s, burst 10
   * b.reserve(0, 10); // 0
   * b.reserve(0, 1); // 100
   */
  reserve(now: number, cost = 1): number {
    if (this.ratePerSecond === Number.POSITIVE_INFINITY) return 0;
    if (this.last !== undefined && now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.ratePerSecond) / 1000);
    }
    this.last = Math.max(now, this.last ?? now);
    this.tokens -= cost;
    if (this.tokens >= 0) return 0;
    return Math.ceil((-this.tokens * 1000) / this.ratePerSecond);
  }
}

/** Paces objects and bytes together; either limit may be absent (unlimited). */
export class Pacer {
  private readonly objects: TokenBucket | undefined;
  private readonly bytes: TokenBucket | undefined;

  constructor(
    private readonly clock: Clock,
    limits: { objectsPerSecond?: number | undefined; bytesPerSecond?: number | undefined },
  ) {
    this.objects = limits.objectsPerSecond ? new TokenBucket(limits.objectsPerSecond) : undefined;
    this.bytes = limits.bytesPerSecond ? new TokenBucket(limits.bytesPerSecond) : undefined;
  }

  /** Waits (on the clock) until one more object of `size` bytes may be processed. */
  async take(size = 0): Promise<void> {
    const now = this.clock.now();
    const wait = Math.max(
      this.objects?.reserve(now, 1) ?? 0,
      size > 0 ? (this.bytes?.reserve(now, size) ?? 0) : 0,
    );
    if (wait > 0) await this.clock.sleep(wait);
  }

  /** Waits for `size` bytes of budget alone: for sizes learnt only after the read. */
  async takeBytes(size: number): Promise<void> {
    const wait = size > 0 ? (this.bytes?.reserve(this.clock.now(), size) ?? 0) : 0;
    if (wait > 0) await this.clock.sleep(wait);
  }
}
