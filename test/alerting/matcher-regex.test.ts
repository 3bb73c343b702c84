import { describe, expect, it } from 'vitest';
import { compileMatcherRegex, newMatcher } from '../../alerting/store/index.ts';
import { isVigilError } from '../../core/index.ts';

// Selectors read regexes as Prometheus does (RE2, anchored), through the same compiler as
// relabeling: these are the places where a plain JavaScript RegExp would answer differently.
describe('matcher regexes', () => {
  it('are anchored at both ends', () => {
    expect(newMatcher('code', '=~', '5..').matches('503')).toBe(true);
    expect(newMatcher('code', '=~', '5..').matches('1503')).toBe(false);
    expect(newMatcher('code', '!~', '5..').matches('404')).toBe(true);
  });

  it('understand POSIX classes, which JavaScript lacks', () => {
    const alpha = newMatcher('job', '=~', '[[:alpha:]]+');
    expect(alpha.matches('api')).toBe(true);
    expect(alpha.matches('api1')).toBe(false);
  });

  it('treat an absent label as the empty string', () => {
    expect(newMatcher('a', '=~', '.*').matches('')).toBe(true);
    expect(newMatcher('a', '=~', '.+').matches('')).toBe(false);
  });

  it('refuse what RE2 refuses, naming the pattern', () => {
    for (const bad of ['(a', '(?<=x)y', 'a{1001}']) {
      try {
        compileMatcherRegex(bad);
        expect.unreachable(bad);
      } catch (err) {
        expect(isVigilError(err, 'parse')).toBe(true);
        expect((err as Error).message).toContain(JSON.stringify(bad));
      }
    }
  });
});
