import type { Labels } from '../store/index.ts';

/**
 * Prometheus' label set fingerprint (model.LabelSet.Fingerprint): FNV-1a 64 over the sorted
 * names and values, each followed by the 0xff separator byte, printed as 16 hex digits. Using
 * the same hash as Alertmanager means a fingerprint in vigil's API is the one an Alertmanager
 * shows for the same alert, and it is stable across restarts and versions.
 */

const separator = 0xff;

// The hash state lives at module level: closures created per call cost more than the hashing
// (1,000 alerts per evaluation, see the flapping-fleet test in test/alerting/notify).
let hi = 0;
let lo = 0;

function addByte(b: number): void {
  lo ^= b;
  // h * 0x100000001b3 = h * 0x1b3 + (h << 40), modulo 2^64, in two 32-bit halves.
  const p = (lo >>> 0) * 0x1b3;
  hi = (Math.imul(hi, 0x1b3) + ((lo << 8) >>> 0) + Math.floor(p / 0x100000000)) >>> 0;
  lo = p >>> 0;
}

/** Adds the UTF-8 bytes of `s`, written out by hand: a TextEncoder per label doubled the cost. */
function addString(s: string): void {
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      addByte(c);
      continue;
    }
    if (c < 0x800) {
      addByte(0xc0 | (c >> 6));
      addByte(0x80 | (c & 0x3f));
      continue;
    }
    const next = s.charCodeAt(i + 1);
    if (c >= 0xd800 && c < 0xdc00 && next >= 0xdc00 && next < 0xe000) {
      c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
      i++;
      addByte(0xf0 | (c >> 18));
      addByte(0x80 | ((c >> 12) & 0x3f));
    } else {
      // A lone surrogate is encoded as U+FFFD, as TextEncoder and Go do.
      if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
      addByte(0xe0 | (c >> 12));
    }
    addByte(0x80 | ((c >> 6) & 0x3f));
    addByte(0x80 | (c & 0x3f));
  }
}

/**
 * @example
 * fingerprint({ alertname: 'DiskFull', instance: 'db1' }); // 16 hex digits
 */
export function fingerprint(labels: Labels): string {
  hi = 0xcbf29ce4;
  lo = 0x84222325;
  for (const name of Object.keys(labels).sort()) {
    addString(name);
    addByte(separator);
    addString(labels[name]!);
    addByte(separator);
  }
  return hi.toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}
