import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { rules } from '../../alerting/index.ts';
import { needBinary } from '../support/requires.ts';

/**
 * The differential corpus: every file under corpus/ is a promtool unit test whose expected
 * values came from Prometheus (corpus/generate.ts). Each must pass in promtool and in vigil.
 */
const dir = join(import.meta.dirname, 'corpus');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('_test.yml'))
  .sort()
  .map((f) => join(dir, f));
const noPromtool = needBinary('promtool', 'prometheus');

describe('differential corpus (vigil vs Prometheus 2.42 promtool)', () => {
  it('holds at least 300 PromQL cases and 20 alerting rule test files', () => {
    const promqlCases = files
      .filter((f) => f.includes('promql-'))
      .reduce((n, f) => n + (readFileSync(f, 'utf8').match(/^\s+- expr: /gm)?.length ?? 0), 0);
    expect(promqlCases).toBeGreaterThanOrEqual(300);
    expect(files.filter((f) => f.includes('alerts-')).length).toBeGreaterThanOrEqual(20);
  });

  it.skipIf(noPromtool)(
    'every file passes in promtool',
    async () => {
      const run = promisify(execFile);
      const result = await run('promtool', ['test', 'rules', ...files]).then(
        () => ({ code: 0, out: '' }),
        (err: { code: number; stdout: string; stderr: string }) => ({
          code: err.code,
          out: err.stdout + err.stderr,
        }),
      );
      expect(result.out).toBe('');
      expect(result.code).toBe(0);
    },
    120_000,
  );

  for (const file of files) {
    it(`vigil passes ${file.slice(dir.length + 1)}`, () => {
      const report = rules.runUnitTestFile(file);
      expect(report.failures.join('\n')).toBe('');
    });
  }
});
