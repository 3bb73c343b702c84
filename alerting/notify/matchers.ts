import { VigilError } from '../../core/index.ts';
import { type Labels, type Matcher, type MatchType, newMatcher } from '../store/index.ts';

/**
 * Alertmanager's matcher syntax, as its routes, inhibit rules, silences and amtool write it:
 * `name="value"`, `name=~"regex"`, `name!=value`, a comma-separated list optionally in braces
 * (`{severity="page", team=~"db|queue"}`). Values may be quoted (with `\"`, `\\` and `\n`
 * escapes) or bare. Regexes are RE2 and fully anchored, as everywhere in vigil. The parser
 * follows Alertmanager 0.25's pkg/labels/parse.go, quirks included, so a config that
 * Alertmanager accepts means the same here.
 */

export type { Matcher, MatchType };

// Alertmanager's own pattern: a label name, an operator, and the rest (trimmed) as the value.
const matcherPattern = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*([\s\S]*?)\s*$/;

/**
 * Parses one matcher.
 *
 * @example
 * parseMatcher('severity=~"page|critical"').matches('page'); // true
 * @throws VigilError('parse') naming the matcher and what is wrong with it.
 */
export function parseMatcher(text: string): Matcher {
  const m = matcherPattern.exec(text);
  if (!m) throw new VigilError('parse', `bad matcher format: ${text}`);
  const [, name, op, raw] = m as unknown as [string, string, MatchType, string];
  let rest = raw;
  let expectTrailingQuote = false;
  if (rest.startsWith('"')) {
    rest = rest.slice(1);
    expectTrailingQuote = true;
  }
  let value = '';
  let escaped = false;
  const chars = [...rest];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (escaped) {
      escaped = false;
      if (c === 'n') value += '\n';
      else if (c === '"' || c === '\\') value += c;
      // A spurious escape keeps its backslash, as Alertmanager does.
      else value += `\\${c}`;
      continue;
    }
    if (c === '\\') {
      if (i < chars.length - 1) escaped = true;
      else value += '\\';
    } else if (c === '"') {
      if (!expectTrailingQuote || i < chars.length - 1)
        throw new VigilError('parse', `matcher value contains unescaped double quote: ${raw}`);
      expectTrailingQuote = false;
    } else {
      value += c;
    }
  }
  if (expectTrailingQuote)
    throw new VigilError('parse', `matcher value contains unescaped double quote: ${raw}`);
  return newMatcher(name, op, value);
}

/**
 * Parses a list of matchers, `{a="1", b=~"x|y"}` or `a=1,b=~x|y`; commas inside quotes belong
 * to the value.
 *
 * @example
 * parseMatchers('{alertname="DiskFull", instance=~"db.*"}').length; // 2
 * @throws VigilError('parse') on the first bad matcher.
 */
export function parseMatchers(text: string): Matcher[] {
  let s = text;
  if (s.startsWith('{')) s = s.slice(1);
  if (s.endsWith('}')) s = s.slice(0, -1);
  const tokens: string[] = [];
  let token = '';
  let insideQuotes = false;
  let escaped = false;
  for (const c of s) {
    if (c === ',' && !insideQuotes) {
      tokens.push(token);
      token = '';
      continue;
    }
    if (c === '"') {
      if (!escaped) insideQuotes = !insideQuotes;
      else escaped = false;
    } else if (c === '\\') escaped = !escaped;
    else escaped = false;
    token += c;
  }
  if (token.trim() !== '') tokens.push(token.trim());
  return tokens.map(parseMatcher);
}

/** Quotes a value the way Alertmanager prints it (OpenMetrics escaping). */
export function quoteMatcherValue(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('"', '\\"')}"`;
}

/** `name="value"`: Alertmanager's String() of a matcher, which parseMatcher reads back. */
export function formatMatcher(m: Pick<Matcher, 'name' | 'type' | 'value'>): string {
  return `${m.name}${m.type}${quoteMatcherValue(m.value)}`;
}

/** `{a="1", b=~"x"}`, in the order given. */
export function formatMatchers(ms: readonly Pick<Matcher, 'name' | 'type' | 'value'>[]): string {
  return `{${ms.map(formatMatcher).join(', ')}}`;
}

/** True when every matcher accepts the labels (an absent label reads as ""). */
export function matchesAll(matchers: readonly Matcher[], labels: Labels): boolean {
  for (const m of matchers) if (!m.matches(labels[m.name] ?? '')) return false;
  return true;
}
