import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FilesystemBlobStore } from '../../../chaos/targets/index.ts';
import { findExecutable } from '../../../core/index.ts';
import { needBinary } from '../../support/requires.ts';

const repo = new URL('../../../', import.meta.url).pathname;
const missing = needBinary('strace');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * What the kernel was asked to make durable, seen from outside with strace: a child process
 * puts one blob into a fresh store, then creates a marker file once put() has resolved (the
 * acknowledgement). Every fsync the put needs must come before the marker.
 */
function tracePut(key: string): { root: string; calls: string[] } {
  const work = mkdtempSync(join(tmpdir(), 'vigil-fsync-'));
  dirs.push(work);
  const root = join(work, 'store');
  const script = join(work, 'put.mts');
  writeFileSync(
    script,
    [
      `import { writeFileSync } from 'node:fs';`,
      `import { FilesystemBlobStore } from ${JSON.stringify(join(repo, 'chaos/targets/index.ts'))};`,
      `const store = new FilesystemBlobStore(${JSON.stringify(root)});`,
      `await store.put(${JSON.stringify(key)}, Buffer.from('acknowledged bytes'));`,
      `writeFileSync(${JSON.stringify(join(work, 'ACKED'))}, '');`,
    ].join('\n'),
  );
  const log = join(work, 'trace.txt');
  const r = spawnSync(
    findExecutable('strace')!,
    [
      '-f',
      '-y',
      '-qq',
      '-e',
      'trace=openat,fsync,fdatasync,rename,renameat,renameat2',
      '-o',
      log,
      process.execPath,
      '--import',
      'tsx',
      script,
    ],
    { cwd: repo, encoding: 'utf8', timeout: 60_000 },
  );
  expect(r.status, r.stderr).toBe(0);
  // Only the calls about this store, in order, with the pid prefix dropped.
  const calls = readFileSync(log, 'utf8')
    .split('\n')
    .map((l) => l.replace(/^\d+\s+/, ''))
    .filter((l) => l.includes(work) && !l.includes('put.mts'));
  return { root, calls };
}

function indexOf(calls: string[], what: RegExp): number {
  const i = calls.findIndex((c) => what.test(c));
  expect(i, `${what} in\n${calls.join('\n')}`).toBeGreaterThanOrEqual(0);
  return i;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe.skipIf(missing)('filesystem target: an acknowledged put is on disk', () => {
  it('fsyncs the blob, its checksum and the directories holding their names before acknowledging', () => {
    const { root, calls } = tracePut('albums/2026/p1.jpg');
    const acked = indexOf(calls, /ACKED/);
    const data = join(root, 'albums/2026/p1.jpg');
    const meta = join(root, '.vigil-meta/albums/2026/p1.jpg.json');
    const fsyncOf = (path: string) => new RegExp(`^f(data)?sync\\(\\d+<${esc(path)}>\\)`);
    const renameTo = (path: string) => new RegExp(`^rename(at2?)?\\(.*"${esc(path)}"`);
    // The bytes reach the disk before the name points at them ...
    expect(indexOf(calls, fsyncOf(`${data}.vigil-tmp`))).toBeLessThan(indexOf(calls, renameTo(data)));
    expect(indexOf(calls, fsyncOf(`${meta}.vigil-tmp`))).toBeLessThan(indexOf(calls, renameTo(meta)));
    // ... and the names (and the new directories' own names) reach it before the acknowledgement.
    const renamed = Math.max(indexOf(calls, renameTo(data)), indexOf(calls, renameTo(meta)));
    for (const dir of [
      join(root, 'albums/2026'),
      join(root, 'albums'),
      root,
      join(root, '.vigil-meta/albums/2026'),
      join(root, '.vigil-meta'),
    ]) {
      const i = indexOf(calls, fsyncOf(dir));
      expect(i).toBeGreaterThan(renamed);
      expect(i).toBeLessThan(acked);
    }
  });

  it('still reads back what it wrote, checksum included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-fsync-'));
    dirs.push(dir);
    const store = new FilesystemBlobStore(dir);
    const info = await store.put('a/b', Buffer.from('x'));
    expect(await store.head('a/b')).toMatchObject({ size: 1, sha256: info.sha256 });
    expect((await store.list()).map((b) => b.key)).toEqual(['a/b']);
  });
});
