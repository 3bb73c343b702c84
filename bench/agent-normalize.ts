// Normalization throughput: records per second per core on a mixed corpus (nginx combined,
// pino JSON, syslog, Java with stack traces), next to the time `cat` takes to read the same
// file (the limit). Usage: npm run bench -- agent-normalize [--size-mb 200] [--file PATH]
// The figure uses 1 GB: npm run bench -- agent-normalize --size-mb 1024
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { timed, writeMixedCorpus } from './_agent-corpus.ts';

const { values } = parseArgs({
  options: { 'size-mb': { type: 'string', default: '200' }, file: { type: 'string' } },
});
const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
try {
  let file = values.file;
  if (!file) {
    file = join(dir, 'mixed.log');
    const t0 = Date.now();
    const { lines, records } = writeMixedCorpus(file, Number(values['size-mb']) * 1024 * 1024);
    process.stdout.write(
      `corpus: ${file} ${lines} lines, ${records} records, generated in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
    );
  } else if (!existsSync(file)) throw new Error(`no such file ${file}`);
  const bytes = statSync(file).size;
  // Warm the page cache so both readers see the same cache state.
  await timed(`cat '${file}' | wc -c > /dev/null`);
  const cat = await timed(`cat '${file}' | wc -c > /dev/null`);
  const worker = new URL('./_agent-normalize-worker.ts', import.meta.url).pathname;
  const vigil = await timed(`'${process.execPath}' --import tsx '${worker}' '${file}' auto`);
  const counts = JSON.parse(vigil.stdout) as { lines: number; records: number; parseErrors: number };
  const cpu = vigil.user + vigil.sys;
  const mb = bytes / 1024 / 1024;
  const rows = [
    ['reader', 'wall s', 'cpu s', 'MB/s', 'records/s per core'],
    ['cat (limit)', cat.wall.toFixed(2), (cat.user + cat.sys).toFixed(2), (mb / cat.wall).toFixed(0), '-'],
    [
      'vigil normalize',
      vigil.wall.toFixed(2),
      cpu.toFixed(2),
      (mb / vigil.wall).toFixed(0),
      Math.round(counts.records / cpu).toLocaleString('en'),
    ],
  ];
  for (const r of rows)
    process.stdout.write(
      `${r[0]!.padEnd(18)}${r
        .slice(1)
        .map((c) => c!.padStart(20))
        .join('')}\n`,
    );
  process.stdout.write(
    `\n${mb.toFixed(0)} MB, ${counts.lines} lines, ${counts.records} records (${counts.parseErrors} kept with parse_error)\n` +
      `vigil / cat wall time: ${(vigil.wall / cat.wall).toFixed(1)}x; vigil reaches ${((cat.wall / vigil.wall) * 100).toFixed(1)}% of the read limit\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
