import { newRecord } from '../record.ts';
import { severityFromText } from '../severity.ts';
import type { MultilineParser } from './parser.ts';
import { parseIsoTime } from './time.ts';

/**
 * Python's `logging`: the `basicConfig` default `WARNING:app.db:message`, and the widespread
 * `%(asctime)s - %(name)s - %(levelname)s - %(message)s` (also with `%(asctime)s
 * %(levelname)s %(name)s: %(message)s` and `[%(asctime)s] %(levelname)s in %(module)s:`,
 * Flask's default). A traceback after a record is joined to it: its indented lines, the
 * `Traceback (most recent call last):` header, chained-exception sentences and the final
 * `SomeError: message` line.
 */

const levelNames = 'CRITICAL|FATAL|ERROR|WARNING|WARN|INFO|DEBUG|NOTSET';
const basicRe = new RegExp(`^(${levelNames}):([^:\\s]*):([\\s\\S]*)$`);
const asctime = '(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(?:,\\d{3})?)';
const dashedRe = new RegExp(`^${asctime} - (\\S+) - (${levelNames}) - ([\\s\\S]*)$`);
const spacedRe = new RegExp(`^${asctime} (${levelNames}) (\\S+?): ([\\s\\S]*)$`);
const flaskRe = new RegExp(`^\\[${asctime}\\] (${levelNames}) in (\\S+?): ([\\s\\S]*)$`);
const continuationRe =
  /^(?:\s|Traceback \(most recent call last\):|During handling of the above exception|The above exception was the direct cause|[A-Za-z_][\w.]*(?:Error|Exception|Warning|Interrupt|Exit|Iteration)\b)/;

export const python: MultilineParser = {
  name: 'python',
  parse(line, ctx) {
    const c0 = line.charCodeAt(0);
    let time: number | undefined;
    let logger: string;
    let level: string;
    let message: string;
    if (c0 >= 65 && c0 <= 90) {
      const m = basicRe.exec(line);
      if (!m) return undefined;
      [level, logger, message] = [m[1]!, m[2]!, m[3]!];
    } else {
      const m = dashedRe.exec(line);
      if (m) {
        [logger, level, message] = [m[2]!, m[3]!, m[4]!];
        time = parseIsoTime(m[1]!);
      } else {
        const s = spacedRe.exec(line) ?? flaskRe.exec(line);
        if (!s) return undefined;
        [level, logger, message] = [s[2]!, s[3]!, s[4]!];
        time = parseIsoTime(s[1]!);
      }
      if (time === undefined) return undefined;
    }
    const record = newRecord(message, ctx);
    record.timeUnixMs = time;
    record.severityText = level;
    record.severityNumber = severityFromText(level);
    record.attributes = logger === '' ? {} : { 'logger.name': logger };
    return record;
  },
  isContinuation(line) {
    return continuationRe.test(line);
  },
};
