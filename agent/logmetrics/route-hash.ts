/**
 * A 53-bit hash of the route of the path at [start, end) (as routeOf would write it: query
 * dropped, id segments as ":id"), computed in one pass without building the route string.
 * Two FNV-1a lanes make a collision between two of a few hundred routes vanishingly rare.
 */
export function routeHash(text: string, start: number, end: number): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  // State of the segment being read: where it began, the hash before it, what it holds.
  let segStart = start;
  let seg1 = h1;
  let seg2 = h2;
  let digits = 0;
  let word = 0;
  let other = false;
  let i = start;
  for (; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : 47;
    if (c === 63 /* ? */ || c === 35 /* # */ || c === 47 /* / */ || i === end) {
      const n = i - segStart;
      // Same rule as route.ts isId; an id segment hashes as ":id".
      if (n > 0 && !other && (digits === n || (digits > 0 && (n >= 16 || (word === 0 && n >= 8))))) {
        h1 = Math.imul(seg1 ^ 0x3a, 16777619) >>> 0;
        h2 = Math.imul(seg2 ^ 0x3a, 2246822519) >>> 0;
      }
      if (c !== 47 || i === end) break;
      h1 = Math.imul(h1 ^ c, 16777619) >>> 0;
      h2 = Math.imul(h2 ^ c, 2246822519) >>> 0;
      segStart = i + 1;
      seg1 = h1;
      seg2 = h2;
      digits = 0;
      word = 0;
      other = false;
      continue;
    }
    if (c >= 48 && c <= 57) digits++;
    else if (!((c >= 97 && c <= 102) || (c >= 65 && c <= 70) || c === 45)) {
      if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95) word++;
      else other = true;
    }
    h1 = Math.imul(h1 ^ c, 16777619) >>> 0;
    h2 = Math.imul(h2 ^ c, 2246822519) >>> 0;
  }
  return h1 * 2097152 + (h2 & 0x1fffff);
}
