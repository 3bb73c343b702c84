import { newRecord } from '../record.ts';
import { severityFromSyslog } from '../severity.ts';
import type { Parser } from './parser.ts';
import { parseIsoTime } from './time.ts';

/**
 * Syslog, RFC 5424:
 * `<165>1 2003-10-11T22:14:15.003Z host app 1234 ID47 [exampleSDID@32473 iut="3"] message`.
 * NILVALUE (`-`) fields are left out. Structured data becomes attributes named
 * `syslog.sd.<SD-ID>.<PARAM>`; inside a PARAM-VALUE `\"`, `\\` and `\]` are escapes.
 * A UTF-8 BOM at the start of the message is removed.
 */

const headRe = /^<(\d{1,3})>(\d{1,2}) (\S+) (\S+) (\S+) (\S+) (\S+) /;

/** Parses `[id k="v" ...][id2 ...]` from `start`; returns the index after it, or -1 when malformed. */
function parseStructuredData(line: string, start: number, into: Record<string, unknown>): number {
  let i = start;
  if (line[i] === '-') return i + 1;
  const n = line.length;
  if (line[i] !== '[') return -1;
  while (i < n && line[i] === '[') {
    i++;
    let idEnd = i;
    while (idEnd < n && line[idEnd] !== ' ' && line[idEnd] !== ']') idEnd++;
    if (idEnd >= n || idEnd === i) return -1;
    const id = line.slice(i, idEnd);
    i = idEnd;
    while (i < n && line[i] === ' ') {
      i++;
      const eq = line.indexOf('="', i);
      if (eq < 0) return -1;
      const name = line.slice(i, eq);
      if (name.length === 0 || /[\s\]"]/.test(name)) return -1;
      i = eq + 2;
      let value = '';
      let closed = false;
      while (i < n) {
        const c = line[i]!;
        if (c === '\\' && i + 1 < n && (line[i + 1] === '"' || line[i + 1] === '\\' || line[i + 1] === ']')) {
          value += line[i + 1];
          i += 2;
        } else if (c === '"') {
          closed = true;
          i++;
          break;
        } else {
          value += c;
          i++;
        }
      }
      if (!closed) return -1;
      into[`syslog.sd.${id}.${name}`] = value;
    }
    if (line[i] !== ']') return -1;
    i++;
  }
  return i;
}

export const syslogRfc5424: Parser = {
  name: 'syslog-rfc5424',
  parse(line, ctx) {
    const m = headRe.exec(line);
    if (!m) return undefined;
    const pri = Number(m[1]);
    if (pri > 191 || m[2] !== '1') return undefined;
    let time: number | undefined;
    if (m[3] !== '-') {
      time = parseIsoTime(m[3]!);
      if (time === undefined) return undefined;
    }
    const attributes: Record<string, unknown> = { 'syslog.facility': pri >> 3 };
    if (m[4] !== '-') attributes['host.name'] = m[4];
    if (m[5] !== '-') attributes['service.name'] = m[5];
    if (m[6] !== '-') attributes['process.pid'] = /^\d+$/.test(m[6]!) ? Number(m[6]) : m[6];
    if (m[7] !== '-') attributes['syslog.msgid'] = m[7];
    const end = parseStructuredData(line, m[0].length, attributes);
    if (end < 0) return undefined;
    let message = end >= line.length ? '' : line[end] === ' ' ? line.slice(end + 1) : undefined;
    if (message === undefined) return undefined;
    if (message.charCodeAt(0) === 0xfeff) message = message.slice(1);
    const record = newRecord(message, ctx);
    record.timeUnixMs = time;
    const sev = severityFromSyslog(pri & 7);
    record.severityNumber = sev.number;
    record.severityText = sev.text;
    record.attributes = attributes;
    return record;
  },
};
