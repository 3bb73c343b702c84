/**
 * The route of a request path for metric labels: the query is removed and segments that
 * are ids (numbers, UUIDs, long hex, long tokens with digits) become `:id`, so
 * `/users/42/orders/9f86d081884c7d65` and `/users/7/orders/aa11...` count together. Without
 * this, one label value per user would grow the series without bound.
 *
 * @example
 * routeOf('/api/v1/users/42?x=1'); // '/api/v1/users/:id'
 */
export function routeOf(url: string): string {
  let path = url;
  const q = path.search(/[?#]/);
  if (q >= 0) path = path.slice(0, q);
  if (path.length === 0 || path[0] !== '/')
    return path.startsWith('http') ? routeOf(path.replace(/^https?:\/\/[^/]*/, '') || '/') : 'other';
  const segments = path.split('/');
  let changed = false;
  for (let i = 1; i < segments.length; i++) {
    if (isId(segments[i]!)) {
      segments[i] = ':id';
      changed = true;
    }
  }
  return changed ? segments.join('/') : path;
}

/**
 * Whether a path segment is an id: all digits; or 8+ characters of hex digits and dashes
 * (UUIDs, hashes); or 16+ characters of letters, digits, `_` and `-` with at least one digit
 * (tokens). One pass over the characters: this runs for every request line.
 */
function isId(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  let digits = 0;
  let word = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if ((c >= 97 && c <= 102) || (c >= 65 && c <= 70) || c === 45) continue;
    else if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95) word++;
    else return false;
  }
  if (digits === n) return true;
  if (word === 0 && n >= 8 && digits > 0) return true;
  return n >= 16 && digits > 0;
}

/** "2xx" for 204; "unknown" when there is no status. */
export function statusClass(status: unknown): string {
  if (typeof status !== 'number' || status < 100 || status > 599) return 'unknown';
  return `${Math.floor(status / 100)}xx`;
}
