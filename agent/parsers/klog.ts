import { newRecord, setAttribute } from '../record.ts';
import { severityFromText } from '../severity.ts';
import { scanLogfmt } from './logfmt.ts';
import type { Parser } from './parser.ts';
import { withInferredYear } from './time.ts';

/**
 * klog / glog, the format of Kubernetes components:
 * `I0102 15:04:05.999999   12345 file.go:123] message key="value"`. Severity is the first
 * letter (I, W, E, F); the year is the observed year. klog's structured form
 * (`"message" key="value" ...`) has its pairs turned into attributes.
 */

const lineRe =
  /^([IWEF])(\d\d)(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))? +(\d+) ([^:\]\s]+):(\d+)\] ?([\s\S]*)$/;
const structuredRe = /^"((?:[^"\\]|\\.)*)"(?: (.*))?$/;

export const klog: Parser = {
  name: 'klog',
  parse(line, ctx) {
    const m = lineRe.exec(line);
    if (!m) return undefined;
    const ms = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
    const time = withInferredYear(
      ctx.observedMs,
      Number(m[2]),
      Number(m[3]),
      Number(m[4]),
      Number(m[5]),
      Number(m[6]),
      ms,
    );
    if (time === undefined) return undefined;
    const attributes: Record<string, unknown> = {
      'thread.id': Number(m[8]),
      'code.filepath': m[9],
      'code.lineno': Number(m[10]),
    };
    let body = m[11]!;
    const s = structuredRe.exec(body);
    if (s) {
      const pairs = s[2] ? scanLogfmtLoose(s[2]) : [];
      if (pairs) {
        body = s[1]!.replace(/\\(.)/g, '$1');
        for (const [k, v] of pairs) setAttribute(attributes, k, v);
      }
    }
    const record = newRecord(body, ctx);
    record.timeUnixMs = time;
    record.severityText = m[1];
    record.severityNumber = severityFromText(m[1]!);
    record.attributes = attributes;
    return record;
  },
};

/** klog's pairs may be a single one, which strict logfmt would refuse. */
function scanLogfmtLoose(text: string): Array<[string, string]> | undefined {
  return scanLogfmt(`${text} _klog=1`)?.filter(([k]) => k !== '_klog');
}
