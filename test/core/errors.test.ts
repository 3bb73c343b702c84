import { describe, expect, it } from 'vitest';
import {
  errorCodes,
  exitCodeFor,
  httpStatusFor,
  isVigilError,
  toVigilError,
  VigilError,
} from '../../core/index.ts';

describe('VigilError', () => {
  it('maps codes to the documented exit codes', () => {
    expect(exitCodeFor(new VigilError('check_failed', 'gate failed'))).toBe(1);
    expect(exitCodeFor(new VigilError('usage', 'bad flag'))).toBe(2);
    expect(exitCodeFor(new VigilError('config', 'bad file'))).toBe(2);
    expect(exitCodeFor(new VigilError('unavailable', 'down'))).toBe(3);
    expect(exitCodeFor(new Error('bug'))).toBe(3);
  });

  it('maps codes to HTTP statuses', () => {
    expect(httpStatusFor(new VigilError('not_found', 'x'))).toBe(404);
    expect(httpStatusFor(new VigilError('too_large', 'x'))).toBe(413);
    expect(httpStatusFor(new TypeError('bug'))).toBe(500);
  });

  it('every code has an exit code in 1..3 and an HTTP status', () => {
    for (const [code, map] of Object.entries(errorCodes)) {
      expect([1, 2, 3], code).toContain(map.exit);
      expect(map.http, code).toBeGreaterThanOrEqual(200);
    }
  });

  it('wraps foreign errors keeping the cause, and leaves VigilErrors alone', () => {
    const cause = new Error('ECONNREFUSED');
    const wrapped = toVigilError(cause, 'unavailable');
    expect(isVigilError(wrapped, 'unavailable')).toBe(true);
    expect(wrapped.cause).toBe(cause);
    const own = new VigilError('config', 'x');
    expect(toVigilError(own)).toBe(own);
  });
});
