import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportRuleFile } from '../../alerting/kinds/index.ts';
import { allGroups, loadVigilRuleFile } from '../../alerting/rules/index.ts';
import { findExecutable } from '../../core/index.ts';
import { needBinary } from '../support/requires.ts';

/**
 * Every default rule pack (rules/*.yaml) loads in vigil's engine, says when it pages (a comment
 * above every rule and kind entry), and exports to a plain Prometheus file that promtool accepts.
 */

const repo = new URL('../../', import.meta.url).pathname;
const packs = readdirSync(join(repo, 'rules'))
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const missing = needBinary('promtool', 'prometheus');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the default rule packs', () => {
  it('include the absence, client-errors, deletes and queue packs', () => {
    expect(packs).toEqual(
      expect.arrayContaining(['absence.yaml', 'client-errors.yaml', 'deletes.yaml', 'queue.yaml']),
    );
  });

  it.each(packs)('%s loads in the embedded engine with at least one alert', (pack) => {
    const groups = allGroups(loadVigilRuleFile(join(repo, 'rules', pack)));
    expect(groups.flatMap((g) => g.rules).some((r) => r.kind === 'alerting')).toBe(true);
  });

  it.each(packs)('%s starts with a comment that says when it pages', (pack) => {
    const text = readFileSync(join(repo, 'rules', pack), 'utf8');
    expect(text.startsWith('# ')).toBe(true);
    expect(text.split('\n').slice(0, 12).join('\n')).toMatch(/page|pages/);
  });

  it.skipIf(missing).each(packs)('%s exported to Prometheus passes promtool check rules', (pack) => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-packs-'));
    dirs.push(dir);
    const out = join(dir, pack);
    writeFileSync(out, exportRuleFile(loadVigilRuleFile(join(repo, 'rules', pack))));
    const r = spawnSync(findExecutable('promtool')!, ['check', 'rules', out], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(`${r.stdout}${r.stderr}`).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });
});

describe('rules/queue.yaml unit tests (test/rules/queue.test.yaml)', () => {
  const unitTests = join(repo, 'test/rules/queue.test.yaml');

  it.skipIf(missing)(
    'pass under the real promtool: a stuck consumer and a growing lag page, a healthy one does not',
    () => {
      const r = spawnSync(findExecutable('promtool')!, ['test', 'rules', unitTests], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(`${r.stdout}${r.stderr}`).toContain('SUCCESS');
      expect(r.status).toBe(0);
    },
  );

  it("pass under vigil's own engine", () => {
    const r = spawnSync(process.execPath, [join(repo, 'bin/vigil.js'), 'rules', 'test', unitTests], {
      cwd: repo,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(0);
  });
});
