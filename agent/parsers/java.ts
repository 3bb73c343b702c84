import { newRecord } from '../record.ts';
import { severityFromText } from '../severity.ts';
import type { MultilineParser } from './parser.ts';
import { fractionMs, utcMs, zoneOffsetMinutes } from './time.ts';

/**
 * Java logs in the usual log4j / logback / Spring Boot patterns:
 *
 * - logback's default `%d{HH:mm:ss.SSS} [%thread] %-5level %logger{36} - %msg`
 *   (also with a full date in front),
 * - log4j's `%d %-5p [%t] %c - %m` and `%d %p %c:%L - %m`,
 * - Spring Boot's `2024-01-02T10:00:00.123+01:00  INFO 4242 --- [main] c.e.App : msg`.
 *
 * A stack trace is joined into the record before it: `at ...` frames, `Caused by:`,
 * `Suppressed:`, `... 12 more`, indented lines and a bare `java.lang.Foo: message` line.
 * A time without a date takes the observed date.
 */

const level = '(TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|SEVERE|FINE|FINER|FINEST|CONFIG)';
const ts =
  '(?:(\\d{4})-(\\d\\d)-(\\d\\d)[T ])?(\\d\\d):(\\d\\d):(\\d\\d)(?:[.,](\\d{1,9}))?(Z|[+-]\\d\\d:?\\d\\d)?';
// groups 1-8 are the time in all three forms
const threadFirstRe = new RegExp(`^${ts} \\[([^\\]]*)\\] +${level} +(\\S+?)(?::(\\d+))? +- ?([\\s\\S]*)$`);
const levelFirstRe = new RegExp(
  `^${ts} +${level} +(?:\\[([^\\]]*)\\] +)?(\\S+?)(?::(\\d+))?(?: +-|:) ?([\\s\\S]*)$`,
);
const springRe = new RegExp(
  `^${ts} +${level} +(\\d+) --- (?:\\[[^\\]]*\\] )?\\[ *([^\\]]*)\\] +(\\S+) *: ?([\\s\\S]*)$`,
);
const continuationRe =
  /^(?:\s|Caused by: |Suppressed: |\.\.\. \d+ (?:more|common frames omitted)|[A-Za-z_$][\w$]*(?:\.[\w$]+)+(?:Exception|Error|Throwable)?(?::|$))/;

function timeOf(m: RegExpExecArray, observedMs: number): number | undefined {
  const offset = m[8] === undefined ? 0 : zoneOffsetMinutes(m[8]);
  if (offset === undefined) return undefined;
  const h = Number(m[4]);
  const mi = Number(m[5]);
  const s = Number(m[6]);
  const ms = fractionMs(m[7]);
  if (m[1] !== undefined) return utcMs(Number(m[1]), Number(m[2]), Number(m[3]), h, mi, s, ms, offset);
  const d = new Date(observedMs);
  const t = utcMs(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), h, mi, s, ms, offset);
  // A time later than now by more than an hour was written before midnight.
  return t !== undefined && t - observedMs > 3_600_000 ? t - 86_400_000 : t;
}

export const java: MultilineParser = {
  name: 'java',
  parse(line, ctx) {
    const c0 = line.charCodeAt(0);
    if (c0 < 48 || c0 > 57) return undefined;
    let thread: string | undefined;
    let lvl: string;
    let logger: string;
    let lineno: string | undefined;
    let message: string;
    let pid: string | undefined;
    const a = threadFirstRe.exec(line);
    const b = a ? null : springRe.exec(line);
    const c = a || b ? null : levelFirstRe.exec(line);
    const m = (a ?? b ?? c)!;
    if (a) {
      [thread, lvl, logger, lineno, message] = [a[9], a[10]!, a[11]!, a[12], a[13]!];
    } else if (b) {
      [lvl, pid, thread, logger, message] = [b[9]!, b[10], b[11], b[12]!, b[13]!];
    } else if (c) {
      [lvl, thread, logger, lineno, message] = [c[9]!, c[10], c[11]!, c[12], c[13]!];
    } else {
      return undefined;
    }
    const time = timeOf(m, ctx.observedMs);
    if (time === undefined) return undefined;
    const record = newRecord(message, ctx);
    record.timeUnixMs = time;
    record.severityText = lvl;
    record.severityNumber = severityFromText(lvl);
    const attributes: Record<string, unknown> = { 'logger.name': logger };
    if (thread !== undefined) attributes['thread.name'] = thread.trim();
    if (lineno !== undefined) attributes['code.lineno'] = Number(lineno);
    if (pid !== undefined) attributes['process.pid'] = Number(pid);
    record.attributes = attributes;
    return record;
  },
  isContinuation(line) {
    return continuationRe.test(line);
  },
};
