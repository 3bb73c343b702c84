/**
 * Character tests and the label-list scan that the text format's fast paths share: the
 * scraper's cache (alerting/scrape/cached-scan.ts) and the backtest loader
 * (alerting/kinds/openmetrics-fast-path.ts) find a line's series text with these before
 * deciding whether core's full scanner must read the line.
 */

const NL = 10;
const QUOTE = 34;
const COLON = 58;
const BSLASH = 92;
const RBRACE = 125;

/** A character that can start a metric name: [a-zA-Z_:]. */
export function isMetricNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === COLON;
}

/** A character that can continue a metric name: [a-zA-Z0-9_:]. */
export function isMetricNameChar(c: number): boolean {
  return isMetricNameStart(c) || (c >= 48 && c <= 57);
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Index just after the `}` that closes a label list starting at `from` (just after `{`): the
 * first `}` outside double quotes, with backslash escapes inside them. -1 when the line ends
 * (a newline) or the text does before it: the line is then left to core's scanner.
 */
export function labelListEnd(text: string, from: number): number {
  const n = text.length;
  let inQuote = false;
  for (let i = from; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === NL) return -1;
    if (inQuote) {
      if (c === BSLASH) i++;
      else if (c === QUOTE) inQuote = false;
    } else if (c === QUOTE) {
      inQuote = true;
    } else if (c === RBRACE) {
      return i + 1;
    }
  }
  return -1;
}
