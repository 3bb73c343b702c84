import { newRecord } from '../record.ts';
import type { MultilineParser } from './parser.ts';
import { fractionMs, utcMs } from './time.ts';

/**
 * Go's standard `log` package: `2009/11/10 23:00:00 message`, with the optional
 * `Lmicroseconds` fraction and `Lshortfile`/`Llongfile` `file.go:12: ` prefix. It has no level,
 * so the severity stays unspecified (but the line is understood: no parse_error). A panic's
 * goroutine dump is joined to the record before it. The time is local to the process and read
 * as UTC (set `LUTC` in the program to make that exact).
 */

const lineRe =
  /^(\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))? (?:((?:[^\s:]*\/)?[^\s:/]+\.go):(\d+): )?([\s\S]*)$/;
const continuationRe =
  /^(?:\s|goroutine \d+ \[|panic: |created by |\[signal |exit status \d+$|[\w./*()\-[\]]+\(.*\)$)/;

export const goLog: MultilineParser = {
  name: 'go-log',
  parse(line, ctx) {
    const m = lineRe.exec(line);
    if (!m) return undefined;
    const time = utcMs(
      Number(m[1]),
      Number(m[2]),
      Number(m[3]),
      Number(m[4]),
      Number(m[5]),
      Number(m[6]),
      fractionMs(m[7]),
    );
    if (time === undefined) return undefined;
    const record = newRecord(m[10]!, ctx);
    record.timeUnixMs = time;
    if (m[8] !== undefined) record.attributes = { 'code.filepath': m[8], 'code.lineno': Number(m[9]) };
    return record;
  },
  isContinuation(line) {
    return continuationRe.test(line);
  },
};
