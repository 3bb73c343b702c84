import { compileRegex, type RelabelRegex, VigilError } from '../../core/index.ts';

// Label sets are core's: one definition and one canonical key for all of vigil.
export { type Labels, labelsKey, metricNameLabel, withoutEmpty } from '../../core/index.ts';

import { type Labels, metricNameLabel } from '../../core/index.ts';

/** Formats labels like Prometheus: `name{a="1", b="2"}`. */
export function formatLabels(labels: Labels): string {
  const name = labels[metricNameLabel];
  const parts: string[] = [];
  for (const key of Object.keys(labels).sort()) {
    if (key === metricNameLabel) continue;
    parts.push(`${key}=${JSON.stringify(labels[key])}`);
  }
  return `${name ?? ''}{${parts.join(', ')}}`;
}

export type MatchType = '=' | '!=' | '=~' | '!~';

/** One label matcher of a selector, such as `code=~"5.."`. */
export interface Matcher {
  readonly name: string;
  readonly type: MatchType;
  readonly value: string;
  /** True when the label's value (empty string when absent) satisfies the matcher. */
  matches(value: string): boolean;
}

/**
 * Builds a matcher with Prometheus semantics: regexes are fully anchored, and an absent label
 * is tested as the empty string (so `{a=""}` selects series without `a`).
 *
 * @example
 * newMatcher('code', '=~', '5..').matches('503'); // true
 * @throws VigilError('parse') when the regex is invalid.
 */
export function newMatcher(name: string, type: MatchType, value: string): Matcher {
  switch (type) {
    case '=':
      return { name, type, value, matches: (v) => v === value };
    case '!=':
      return { name, type, value, matches: (v) => v !== value };
    case '=~':
    case '!~': {
      const re = compileMatcherRegex(value);
      const negate = type === '!~';
      return { name, type, value, matches: (v) => re.test(v) !== negate };
    }
  }
}

/**
 * Compiles a matcher's regex with Prometheus' semantics, anchored `^(?:...)$` and read as RE2
 * (POSIX classes, RE2-only escapes, RE2 submatches), by the same compiler relabeling uses, so a
 * selector and a relabel rule never disagree on what a pattern means.
 *
 * @throws VigilError('parse') naming the pattern and what RE2 found wrong.
 */
export function compileMatcherRegex(source: string): RelabelRegex {
  try {
    return compileRegex(source);
  } catch (err) {
    throw new VigilError(
      'parse',
      `invalid regular expression ${JSON.stringify(source)}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}
