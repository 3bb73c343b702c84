import { newRecord } from '../record.ts';
import { severity } from '../severity.ts';
import type { Parser } from './parser.ts';
import { monthNumber, utcMs } from './time.ts';

/**
 * Redis server logs: `1:M 12 Jan 2024 10:00:00.123 * Ready to accept connections tcp`.
 * The role letter is X (sentinel), C (RDB/AOF child), S (replica) or M (master); the level
 * mark is `.` debug, `-` verbose, `*` notice, `#` warning. Redis before 3.0 wrote
 * `[pid] 12 Jan 10:00:00.123 * message` without a year or role; that form is read too.
 */

const lineRe =
  /^(?:(\d+):([XCSM])|\[(\d+)\]) (\d\d?) ([A-Z][a-z]{2})(?: (\d{4}))? (\d\d):(\d\d):(\d\d)(?:\.(\d{1,3}))? ([.\-*#]) ([\s\S]*)$/;
const roles: Record<string, string> = { X: 'sentinel', C: 'child', S: 'replica', M: 'master' };
const levels: Record<string, [number, string]> = {
  '.': [severity.debug, 'debug'],
  '-': [6, 'verbose'],
  '*': [severity.info2, 'notice'],
  '#': [severity.warn, 'warning'],
};

export const redis: Parser = {
  name: 'redis',
  parse(line, ctx) {
    const m = lineRe.exec(line);
    if (!m) return undefined;
    const month = monthNumber(m[5]!);
    if (month === undefined) return undefined;
    const year = m[6] ? Number(m[6]) : new Date(ctx.observedMs).getUTCFullYear();
    const ms = m[10] ? Number(m[10].padEnd(3, '0')) : 0;
    const time = utcMs(year, month, Number(m[4]), Number(m[7]), Number(m[8]), Number(m[9]), ms);
    if (time === undefined) return undefined;
    const record = newRecord(m[12]!, ctx);
    record.timeUnixMs = time;
    const [num, text] = levels[m[11]!]!;
    record.severityNumber = num;
    record.severityText = text;
    record.attributes = { 'process.pid': Number(m[1] ?? m[3]) };
    if (m[2]) record.attributes['redis.role'] = roles[m[2]];
    return record;
  },
};
