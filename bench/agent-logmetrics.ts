// Log to metrics: the nginx-access-log-to-metrics job (requests by method and status, a
// duration histogram) done by vigil (a metricsOnly source, and the full record pipeline for
// comparison) and by mtail (Debian's package, --one_shot, GOMAXPROCS=1:
// one core each) on the same file, next to `cat` reading it (the limit).
// Usage: npm run bench -- agent-logmetrics [--lines 2000000]
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { timed, writeNginxCorpus } from './_agent-corpus.ts';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '2000000' },
    mtail: { type: 'string', default: '/usr/bin/mtail' },
  },
});
const count = Number(values.lines);
const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
// The same job as the agent's built-in access-log metrics, in mtail's language.
const program = `counter http_requests_total by method, status
histogram http_request_duration_seconds by method, status buckets 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10

/^\\S+ \\S+ \\S+ \\[[^\\]]+\\] "(?P<method>[A-Z]+) \\S+ \\S+" (?P<status>\\d{3}) \\d+ "[^"]*" "[^"]*" (?P<rt>\\d+\\.\\d+)$/ {
  http_requests_total[$method][$status]++
  http_request_duration_seconds[$method][$status] = $rt
}
`;
try {
  const file = join(dir, 'access.log');
  writeNginxCorpus(file, count);
  mkdtempSync(join(dir, 'p'));
  const progs = join(dir, 'progs');
  (await import('node:fs')).mkdirSync(progs);
  writeFileSync(join(progs, 'nginx.mtail'), program);
  const mb = statSync(file).size / 1024 / 1024;
  await timed(`cat '${file}' | wc -c > /dev/null`);
  const cat = await timed(`cat '${file}' | wc -c > /dev/null`);
  const worker = new URL('./_agent-logmetrics-worker.ts', import.meta.url).pathname;
  const records = await timed(`'${process.execPath}' --import tsx '${worker}' '${file}'`);
  const r = JSON.parse(records.stdout) as { lines: number; requests: number };
  const fastWorker = new URL('./_agent-logmetrics-fast-worker.ts', import.meta.url).pathname;
  const vigil = await timed(`'${process.execPath}' --import tsx '${fastWorker}' '${file}'`);
  const v = JSON.parse(vigil.stdout) as { lines: number; requests: number };
  // Node and the TypeScript loader starting, measured alone, to show the per-line cost apart.
  const startup = await timed(`'${process.execPath}' --import tsx -e 0`);
  // mtail listens on a port even in one-shot mode: keep it on loopback.
  const mtail = await timed(
    `'${values.mtail}' --one_shot --one_shot_format prometheus --progs '${progs}' --logs '${file}' --address 127.0.0.1 --port 0 --logtostderr 2>/dev/null`,
    { GOMAXPROCS: '1' },
  );
  const mtailRequests = [...mtail.stdout.matchAll(/^http_requests_total\{[^}]*\} (\d+)/gm)].reduce(
    (a, m) => a + Number(m[1]),
    0,
  );
  const rate = (cpu: number) => Math.round(count / cpu);
  const vcpu = vigil.user + vigil.sys;
  const rcpu = records.user + records.sys;
  const scpu = startup.user + startup.sys;
  const mcpu = mtail.user + mtail.sys;
  const rows = [
    ['job', 'wall s', 'cpu s', 'lines/s (cpu)', 'x read limit'],
    ['cat (limit)', cat.wall.toFixed(2), (cat.user + cat.sys).toFixed(2), '-', '1'],
    [
      'vigil metricsOnly',
      vigil.wall.toFixed(2),
      vcpu.toFixed(2),
      rate(vcpu).toLocaleString('en'),
      (vigil.wall / cat.wall).toFixed(0),
    ],
    [
      'vigil records',
      records.wall.toFixed(2),
      rcpu.toFixed(2),
      rate(rcpu).toLocaleString('en'),
      (records.wall / cat.wall).toFixed(0),
    ],
    ['node+tsx start', startup.wall.toFixed(2), scpu.toFixed(2), '-', '-'],
    [
      'mtail',
      mtail.wall.toFixed(2),
      mcpu.toFixed(2),
      rate(mcpu).toLocaleString('en'),
      (mtail.wall / cat.wall).toFixed(0),
    ],
  ];
  for (const row of rows)
    process.stdout.write(
      `${row[0]!.padEnd(18)}${row
        .slice(1)
        .map((c) => c!.padStart(16))
        .join('')}\n`,
    );
  process.stdout.write(
    `\n${count} lines, ${mb.toFixed(0)} MB; requests counted: vigil ${v.requests} (records path ${r.requests}), mtail ${mtailRequests}\n` +
      `vigil metricsOnly / mtail, lines per CPU second: ${(mcpu / vcpu).toFixed(1)}x (without vigil's start-up: ${(mcpu / Math.max(0.01, vcpu - scpu)).toFixed(1)}x); wall: ${(mtail.wall / vigil.wall).toFixed(1)}x (goal: 10x)\n` +
      `vigil records path / mtail, lines per CPU second: ${(mcpu / rcpu).toFixed(1)}x\n`,
  );
  if (v.requests !== count || r.requests !== count || mtailRequests !== count)
    process.stdout.write('WARNING: a tool did not count every line\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
