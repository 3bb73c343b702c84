import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findExecutable } from '../../core/index.ts';
import { needBinary } from '../support/requires.ts';

const repo = new URL('../../', import.meta.url).pathname;
const rules = join(repo, 'rules/durability.yaml');
const unitTests = join(repo, 'test/rules/durability.test.yaml');
const missing = needBinary('promtool', 'prometheus');

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function promtool(...args: string[]) {
  const r = spawnSync(findExecutable('promtool')!, args, { cwd: repo, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe.skipIf(missing)('rules/durability.yaml under the real promtool', () => {
  it('passes promtool check rules', () => {
    const r = promtool('check', 'rules', rules);
    expect(r.out).toContain('SUCCESS: 5 rules found');
    expect(r.code).toBe(0);
  });

  it('passes its promtool unit tests: each alert fires at its step on a violation, never on clean series', () => {
    const r = promtool('test', 'rules', unitTests);
    expect(r.out).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });

  it('the unit tests catch a pack that waits before paging (they can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-rules-'));
    dirs.push(dir);
    const slow = readFileSync(rules, 'utf8').replace(
      /(alert: VigilDataLost\n\s+expr: [^\n]+\n\s+)for: 0m/,
      '$1for: 5m',
    );
    expect(slow).not.toBe(readFileSync(rules, 'utf8'));
    writeFileSync(join(dir, 'durability.yaml'), slow);
    writeFileSync(
      join(dir, 'test.yaml'),
      readFileSync(unitTests, 'utf8').replace('../../rules/durability.yaml', join(dir, 'durability.yaml')),
    );
    const r = promtool('test', 'rules', join(dir, 'test.yaml'));
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('alertname: VigilDataLost, time: 15m');
  });
});

describe("rules/durability.yaml under vigil's own engine", () => {
  function vigil(...args: string[]) {
    const r = spawnSync(process.execPath, [join(repo, 'bin/vigil.js'), ...args], {
      cwd: repo,
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
  }

  it('passes vigil rules check', () => {
    const r = vigil('rules', 'check', rules);
    expect(r.out).toContain('SUCCESS: 5 rules found');
    expect(r.code).toBe(0);
  });

  it('passes the same unit tests as promtool: the embedded engine pages at the same steps', () => {
    const r = vigil('rules', 'test', unitTests);
    expect(r.out).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });
});
