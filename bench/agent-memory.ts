// Memory: resident size of `vigil agent` while following 100 files that are being written,
// next to `tail -F` following the same files, the same agent following one file (so the cost
// per file shows apart from the fixed cost), and a bare Node.js process with the TypeScript
// loader (the floor any vigil process starts from).
// Usage: npm run bench -- agent-memory [--files 100] [--seconds 20]
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { nginxLine, seeded } from './_agent-corpus.ts';

const { values } = parseArgs({
  options: { files: { type: 'string', default: '100' }, seconds: { type: 'string', default: '20' } },
});
const files = Number(values.files);
const seconds = Number(values.seconds);
const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-mem-'));
const children: ChildProcess[] = [];

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

function start(cmd: string, args: string[]): ChildProcess {
  const c = spawn(cmd, args, {
    stdio: ['ignore', 'ignore', 'ignore'],
    cwd: new URL('..', import.meta.url).pathname,
  });
  children.push(c);
  return c;
}

try {
  const paths = Array.from({ length: files }, (_, i) => join(dir, 'logs', `app-${i}.log`));
  (await import('node:fs')).mkdirSync(join(dir, 'logs'));
  for (const p of paths) writeFileSync(p, '');
  const config = (name: string, glob: string) => {
    writeFileSync(
      join(dir, `${name}.yaml`),
      `apiVersion: vigil/v1
listen: 127.0.0.1:0
stateDir: ${join(dir, `state-${name}`)}
sources:
  - { name: apps, type: file, include: ['${glob}'], format: nginx }
sinks:
  - { type: file, path: /dev/null }
`,
    );
    return join(dir, `${name}.yaml`);
  };
  const agent = start(process.execPath, [
    'bin/vigil.js',
    'agent',
    '-c',
    config('many', join(dir, 'logs', '*.log')),
  ]);
  // The one-file agent gets as many lines as the hundred files together: same work, one file.
  const one = join(dir, 'one', 'one.log');
  (await import('node:fs')).mkdirSync(join(dir, 'one'));
  writeFileSync(one, '');
  const single = start(process.execPath, ['bin/vigil.js', 'agent', '-c', config('one', one)]);
  const tail = start('tail', ['-q', '-F', ...paths]);
  const bare = start(process.execPath, ['--import', 'tsx', '-e', 'setInterval(() => {}, 1000)']);
  const r = seeded(1);
  const peaks = { agent: 0, single: 0, tail: 0, bare: 0 };
  let lines = 0;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    // ~1000 lines per second spread over all files.
    let batch = '';
    for (let i = 0; i < 100; i++) {
      const line = `${nginxLine(r, lines++)}\n`;
      appendFileSync(paths[Math.floor(r() * files)]!, line);
      batch += line;
    }
    appendFileSync(one, batch);
    await new Promise((res) => setTimeout(res, 100));
    peaks.agent = Math.max(peaks.agent, rssKb(agent.pid!));
    peaks.single = Math.max(peaks.single, rssKb(single.pid!));
    peaks.tail = Math.max(peaks.tail, rssKb(tail.pid!));
    peaks.bare = Math.max(peaks.bare, rssKb(bare.pid!));
  }
  const mb = (kb: number) => (kb / 1024).toFixed(1);
  process.stdout.write(
    `following ${files} files for ${seconds} s, ${lines} lines written\n` +
      `peak RSS: vigil agent on ${files} files ${mb(peaks.agent)} MB, on 1 file ${mb(peaks.single)} MB, bare node+tsx ${mb(peaks.bare)} MB, tail -F ${mb(peaks.tail)} MB\n` +
      `per followed file: ${((peaks.agent - peaks.single) / Math.max(1, files - 1)).toFixed(0)} kB; fixed cost above bare Node.js: ${mb(peaks.single - peaks.bare)} MB\n`,
  );
} finally {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
