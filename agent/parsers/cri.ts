import { newRecord } from '../record.ts';
import { type EnvelopeParser, partialAttribute } from './parser.ts';
import { parseIsoTime } from './time.ts';

/**
 * The CRI log format that containerd and CRI-O write under /var/log/pods:
 * `2016-10-06T00:17:09.669794202Z stdout F message`. The tag `P` marks a fragment of a long
 * line that continues in the next entry, `F` the full (or last) part. The message is the
 * application's own line, which the normalizer parses again.
 */

const lineRe =
  /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)) (stdout|stderr) ([PF])(?:[^ ]*)(?: ([\s\S]*))?$/;

export const cri: EnvelopeParser = {
  name: 'cri',
  envelope: true,
  parse(line, ctx) {
    const m = lineRe.exec(line);
    if (!m) return undefined;
    const time = parseIsoTime(m[1]!);
    if (time === undefined) return undefined;
    const record = newRecord(m[4] ?? '', ctx);
    record.timeUnixMs = time;
    record.attributes = { 'log.iostream': m[2] };
    if (m[3] === 'P') record.attributes[partialAttribute] = true;
    return record;
  },
};
