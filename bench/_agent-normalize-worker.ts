// Normalizes a file with the agent's pipeline (line splitting + auto-detected parsing +
// multiline joining) on one thread and prints counts as JSON. Run by bench/agent-normalize.ts.
import { normalizeFile } from './_agent-pipeline.ts';

const [file, format = 'auto'] = process.argv.slice(2);
let records = 0;
let parseErrors = 0;
const lines = normalizeFile(file!, format, (r) => {
  records++;
  if (r.attributes.parse_error !== undefined) parseErrors++;
});
process.stdout.write(`${JSON.stringify({ lines, records, parseErrors })}\n`);
