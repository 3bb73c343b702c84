import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VigilError } from '../../core/index.ts';
import {
  classifyHttpOutcome,
  errorTypeOf,
  normalizeMethod,
  routeLabel,
  unmatchedRoute,
} from '../../instrument/index.ts';

describe('classifyHttpOutcome', () => {
  const cases: Array<[number, boolean, boolean, string]> = [
    [200, true, false, ''],
    [204, true, true, ''], // marked expected but succeeded: still success
    [302, true, false, ''],
    [400, true, false, 'client'],
    [404, true, false, 'client'],
    [404, true, true, 'expected'],
    [408, true, false, 'timeout'],
    [429, true, false, 'client'],
    [500, true, false, 'server'],
    [503, true, true, 'expected'],
    [504, true, false, 'timeout'],
    [200, false, false, 'timeout'], // client went away before the response completed
    [500, false, true, 'timeout'],
  ];
  it.each(cases)('status %i finished=%s expected=%s -> "%s"', (status, finished, expected, want) => {
    expect(classifyHttpOutcome({ status, finished, expected })).toBe(want);
  });

  it('always answers from the closed set, and only 4xx/5xx or an abandoned request is an error', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 599 }),
        fc.boolean(),
        fc.boolean(),
        (status, finished, expected) => {
          const t = classifyHttpOutcome({ status, finished, expected });
          expect(['', 'client', 'server', 'expected', 'timeout']).toContain(t);
          expect(t === '').toBe(finished && status < 400);
        },
      ),
    );
  });
});

describe('label helpers', () => {
  it('keeps known methods and folds the rest into _OTHER', () => {
    expect(normalizeMethod('GET')).toBe('GET');
    expect(normalizeMethod('PATCH')).toBe('PATCH');
    expect(normalizeMethod('get')).toBe('_OTHER');
    expect(normalizeMethod('BREW')).toBe('_OTHER');
    expect(normalizeMethod(undefined)).toBe('_OTHER');
    fc.assert(
      fc.property(fc.string(), (m) => {
        const n = normalizeMethod(m);
        expect(n === m || n === '_OTHER').toBe(true);
      }),
    );
  });

  it('builds the route label from the mount path and the template', () => {
    expect(routeLabel('', '/blobs/:id')).toBe('/blobs/:id');
    expect(routeLabel('/api', '/items/:id')).toBe('/api/items/:id');
    expect(routeLabel(undefined, undefined)).toBe(unmatchedRoute);
    expect(routeLabel('/api', /^\/x$/)).toBe('/api/^\\/x$/');
  });

  it('names queue errors by VigilError code or error class', () => {
    expect(errorTypeOf(new VigilError('timeout', 'slow'))).toBe('timeout');
    expect(errorTypeOf(new RangeError('x'))).toBe('RangeError');
    expect(errorTypeOf('a string')).toBe('_OTHER');
  });
});
