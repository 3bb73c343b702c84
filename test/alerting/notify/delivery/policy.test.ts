import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Breaker,
  backoffDelay,
  countsAgainstBreaker,
  defaultBackoff,
  retryDelay,
  shouldTrip,
} from '../../../../alerting/notify/delivery/index.ts';
import { DeliveryError } from '../../../../alerting/notify/index.ts';
import { HttpStatusError, parseRetryAfter } from '../../../../alerting/notify/receivers/index.ts';
import { seededRandom } from '../../../../core/index.ts';

describe('retry policy', () => {
  it('full jitter: within [0, min(cap, base * 2^attempt)), spread over the window', () => {
    const random = seededRandom(3);
    for (let attempt = 0; attempt < 20; attempt++) {
      const window = Math.min(defaultBackoff.capMs, defaultBackoff.baseMs * 2 ** attempt);
      const delays = Array.from({ length: 200 }, () => backoffDelay(attempt, random));
      expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...delays)).toBeLessThan(window);
      // Jitter, not a constant: the draws cover most of the window.
      expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(window * 0.8);
    }
  });

  it('the same seed gives the same delays (replayable)', () => {
    const a = seededRandom(11);
    const b = seededRandom(11);
    expect(Array.from({ length: 10 }, (_, i) => backoffDelay(i, a))).toEqual(
      Array.from({ length: 10 }, (_, i) => backoffDelay(i, b)),
    );
  });

  it('Retry-After wins over backoff, clamped to the policy maximum', () => {
    const random = seededRandom(1);
    expect(retryDelay(0, new DeliveryError('x', true, 120_000), random)).toBe(120_000);
    expect(retryDelay(0, new DeliveryError('x', true, 86_400_000), random)).toBe(
      defaultBackoff.maxRetryAfterMs,
    );
  });

  it('429 is retried without counting against the breaker; 5xx counts; 4xx neither', () => {
    expect(countsAgainstBreaker(new HttpStatusError('x', true, 1000, 429))).toBe(false);
    expect(countsAgainstBreaker(new HttpStatusError('x', true, undefined, 502))).toBe(true);
    expect(countsAgainstBreaker(new DeliveryError('timed out', true))).toBe(true);
    expect(countsAgainstBreaker(new HttpStatusError('x', false, undefined, 400))).toBe(false);
  });
});

describe('Retry-After', () => {
  it('seconds or an HTTP date; anything else leaves the decision to backoff (fuzzed)', () => {
    const now = () => Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:30 GMT', now)).toBe(90_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    fc.assert(
      fc.property(fc.string(), (header) => {
        const ms = parseRetryAfter(header, now);
        if (ms !== undefined) expect(ms).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('circuit breaker', () => {
  it('closed -> open after the threshold -> half-open after cooldown -> one probe -> closed', () => {
    const b = new Breaker({ failureThreshold: 3, cooldownMs: 30_000 });
    expect(shouldTrip(2, { failureThreshold: 3, cooldownMs: 0 })).toBe(false);
    for (let i = 0; i < 2; i++) b.onFailure(i);
    expect(b.state(2)).toBe('closed');
    b.onFailure(10);
    expect(b.state(11)).toBe('open');
    expect(b.allows(11)).toBe(false);
    expect(b.reopensAt()).toBe(30_010);
    expect(b.state(30_010)).toBe('half-open');
    expect(b.allows(30_010)).toBe(true);
    b.onSend(30_010);
    expect(b.allows(30_010)).toBe(false);
    b.onSuccess();
    expect(b.state(30_011)).toBe('closed');
  });

  it('a failed probe opens the circuit again for a full cooldown', () => {
    const b = new Breaker({ failureThreshold: 1, cooldownMs: 1000 });
    b.onFailure(0);
    expect(b.state(1000)).toBe('half-open');
    b.onSend(1000);
    b.onFailure(1000);
    expect(b.state(1999)).toBe('open');
    expect(b.state(2000)).toBe('half-open');
  });
});
