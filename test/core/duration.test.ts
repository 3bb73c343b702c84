import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, isVigilError, parseDuration } from '../../core/index.ts';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['30d', 30 * 86_400_000],
    ['1w', 7 * 86_400_000],
    ['1y', 365 * 86_400_000],
    ['250ms', 250],
    ['1m30s500ms', 90_500],
    ['0', 0],
    ['0s', 0],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '5', 'm', '1.5h', '-5m', '5M', '30s1m', '1h1h', ' 5m', '5m ', '1d2x'])(
    'refuses %j naming it',
    (text) => {
      try {
        parseDuration(text);
        expect.unreachable();
      } catch (err) {
        expect(isVigilError(err, 'parse')).toBe(true);
        expect((err as Error).message).toContain(`"${text}"`);
      }
    },
  );

  it('round-trips through formatDuration', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 365 * 86_400_000 }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
  });

  it('never throws anything but a VigilError', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          parseDuration(text);
        } catch (err) {
          expect(isVigilError(err, 'parse')).toBe(true);
        }
      }),
    );
  });
});
