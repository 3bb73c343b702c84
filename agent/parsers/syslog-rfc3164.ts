import { newRecord } from '../record.ts';
import { severityFromSyslog } from '../severity.ts';
import type { Parser } from './parser.ts';
import { monthNumber, parseIsoTime, withInferredYear } from './time.ts';

/**
 * BSD syslog, RFC 3164: `<34>Oct 11 22:14:15 mymachine su[123]: message`, with or without
 * the `<PRI>` (files under /var/log have none), and the RFC 3339 time that rsyslog writes
 * with its high-precision template (`2024-01-02T10:00:00.123456+00:00 host app: message`).
 * The year, which RFC 3164 omits, is the observed year.
 */

const lineRe =
  /^(?:<(\d{1,3})>)?(?:([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d)|(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d))) (\S+) ([^\s:[]+)(?:\[([^\]\s]*)\])?: ?([\s\S]*)$/;

export const syslogRfc3164: Parser = {
  name: 'syslog-rfc3164',
  parse(line, ctx) {
    const m = lineRe.exec(line);
    if (!m) return undefined;
    let time: number | undefined;
    if (m[2] !== undefined) {
      const month = monthNumber(m[2]);
      if (month === undefined) return undefined;
      time = withInferredYear(
        ctx.observedMs,
        month,
        Number(m[3]!.trim()),
        Number(m[4]),
        Number(m[5]),
        Number(m[6]),
        0,
      );
    } else {
      time = parseIsoTime(m[7]!);
    }
    if (time === undefined) return undefined;
    const record = newRecord(m[11]!, ctx);
    record.timeUnixMs = time;
    const attributes: Record<string, unknown> = { 'host.name': m[8], 'process.executable.name': m[9] };
    if (m[10] !== undefined && m[10] !== '')
      attributes['process.pid'] = /^\d+$/.test(m[10]) ? Number(m[10]) : m[10];
    if (m[1] !== undefined) {
      const pri = Number(m[1]);
      if (pri > 191) return undefined;
      const sev = severityFromSyslog(pri & 7);
      record.severityNumber = sev.number;
      record.severityText = sev.text;
      attributes['syslog.facility'] = pri >> 3;
    }
    record.attributes = attributes;
    return record;
  },
};
