import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-rules-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (out += c));
  const code = await main(argv, { stdout, stderr, env: {}, signal: new AbortController().signal });
  return { code, out };
}

const rules = `groups:
  - name: g
    rules:
      - alert: Down
        expr: up == 0
        for: 2m
        annotations: { summary: '{{ $labels.instance }} down' }
`;

describe('vigil rules', () => {
  writeFileSync(join(dir, 'good.yml'), rules);
  writeFileSync(
    join(dir, 'bad.yml'),
    'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: rate(x)\n',
  );

  it('check: exit 0 for valid files, 2 naming file, rule and reason for invalid ones', async () => {
    expect(await run('rules', 'check', join(dir, 'good.yml'))).toMatchObject({
      code: 0,
      out: expect.stringContaining('SUCCESS: 1 rules found'),
    });
    const bad = await run('rules', 'check', join(dir, 'good.yml'), join(dir, 'bad.yml'));
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/bad\.yml:5: groups\[0\]\.rules\[0\]\.expr: .*expected type range vector/);
  });

  it('test: exit 0 when all pass, 1 with expected vs got when one fails', async () => {
    const test = (expectFiring: boolean) => `rule_files: [good.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'up{instance="a"}'
        values: '1 0 0 0 0'
    alert_rule_test:
      - eval_time: 3m
        alertname: Down
        exp_alerts:${expectFiring ? "\n          - exp_labels: { instance: a }\n            exp_annotations: { summary: 'a down' }" : ' []'}
`;
    writeFileSync(join(dir, 'pass_test.yml'), test(true));
    writeFileSync(join(dir, 'fail_test.yml'), test(false));
    expect((await run('rules', 'test', join(dir, 'pass_test.yml'))).code).toBe(0);
    const failed = await run('rules', 'test', join(dir, 'fail_test.yml'));
    expect(failed.code).toBe(1);
    expect(failed.out).toMatch(/alertname: Down, time: 3m,[\s\S]*exp:\[\][\s\S]*got:\[[\s\S]*instance="a"/);
  });

  it('usage errors exit 2', async () => {
    expect((await run('rules', 'lint', 'x')).code).toBe(2);
    expect((await run('rules', 'check')).code).toBe(2);
  });
});
