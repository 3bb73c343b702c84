// Normalizes a file with the agent's pipeline (line splitting + auto-detected parsing +
// multiline joining) on one thread and prints counts as JSON. Run by bench/agent-normalize.ts.
import { openSync, readSync } from 'node:fs';
import { Normalizer } from '../agent/normalize.ts';
import { LineSplitter } from '../agent/sources/line-splitter.ts';

const [file, format = 'auto'] = process.argv.slice(2);
let records = 0;
let parseErrors = 0;
const normalizer = new Normalizer({ format }, (r) => {
  records++;
  if (r.attributes.parse_error !== undefined) parseErrors++;
});
const now = Date.now();
let lines = 0;
const splitter = new LineSplitter(0, (line, end) => {
  lines++;
  normalizer.push(line, now, end);
});
const fd = openSync(file!, 'r');
const buf = Buffer.allocUnsafe(1 << 20);
for (;;) {
  const n = readSync(fd, buf, 0, buf.length, null);
  if (n === 0) break;
  splitter.push(Buffer.from(buf.subarray(0, n)));
}
splitter.end();
normalizer.end();
process.stdout.write(`${JSON.stringify({ lines, records, parseErrors })}\n`);
