import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli as run } from '../../support/cli.ts';
import { fill, fsStore, TempDirs } from './support.ts';

const dirs = new TempDirs();
afterAll(() => dirs.cleanup());

function configFile(lines: string[]): string {
  const file = join(dirs.make(), 'verify.yaml');
  writeFileSync(file, lines.join('\n'));
  return file;
}

describe('vigil gate verify', () => {
  it('exits 0 on a clean store, 1 naming every corrupted and missing key, with JSON and JUnit reports', async () => {
    const dir = dirs.make();
    const keys = await fill(fsStore(dir), 40);
    const manifest = join(dirs.make(), 'index.jsonl');
    const store = fsStore(dir);
    const lines = [];
    for (const k of keys) {
      const info = await store.head(k);
      lines.push(JSON.stringify({ key: k, size: info!.size, sha256: info!.sha256 }));
    }
    writeFileSync(manifest, `${lines.join('\n')}\n`);
    const config = configFile([
      'apiVersion: vigil/v1',
      'kind: Verify',
      'stores:',
      `  data: { type: filesystem, dir: ${JSON.stringify(dir)} }`,
      'scrub: { store: data, retry: { attempts: 1 } }',
      `index: { store: data, source: { manifest: ${JSON.stringify(manifest)} }, retry: { attempts: 1 } }`,
    ]);
    const out = dirs.make();
    const json = join(out, 'gate.json');
    const junit = join(out, 'gate.xml');

    const clean = await run(['gate', 'verify', '-c', config, '--json', json, '--junit', junit]);
    expect(clean.code).toBe(0);
    expect(clean.out).toMatch(
      /^index: 40 objects \(ok 40\).*: passed\nscrub: 40 objects \(ok 40\).*: passed\nresult: PASSED\n$/,
    );
    expect(JSON.parse(readFileSync(json, 'utf8'))).toMatchObject({
      kind: 'VerifyGateReport',
      passed: true,
      exitCode: 0,
    });
    expect(readFileSync(junit, 'utf8')).toContain('failures="0"');

    writeFileSync(join(dir, keys[3]!), 'not what was written');
    rmSync(join(dir, keys[9]!));
    const damaged = await run(['gate', 'verify', '-c', config, '--json', json, '--junit', junit]);
    expect(damaged.code).toBe(1);
    expect(damaged.out).toContain(`  - ${keys[3]}: corrupt`);
    expect(damaged.out).toContain(`  - ${keys[9]}: missing`);
    expect(damaged.out).toMatch(/result: FAILED\n$/);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report).toMatchObject({ passed: false, exitCode: 1 });
    expect(report.reports.map((r: { verifier: string; passed: boolean }) => [r.verifier, r.passed])).toEqual([
      ['index', false],
      ['scrub', false],
    ]);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain('<testsuite name="vigil verify" tests="2" failures="2" errors="0">');
    expect(xml).toContain(`${keys[3]}: corrupt`);
    expect(xml).toContain(`${keys[9]}: missing`);
  });

  it('exits 2 on a bad file or a missing -c, before running anything', async () => {
    const bad = configFile(['apiVersion: vigil/v1', 'kind: Verify', 'scrub: { store: nowhere }']);
    const r = await run(['gate', 'verify', '-c', bad]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('no store "nowhere" under stores');
    expect((await run(['gate', 'verify'])).code).toBe(2);
    expect((await run(['gate', 'verify', '-c', join(dirs.make(), 'absent.yaml')])).code).toBe(2);
  });

  it('exits 3 when a store cannot be reached: a runtime failure, not a verdict', async () => {
    const config = configFile([
      'apiVersion: vigil/v1',
      'kind: Verify',
      'stores:',
      '  s3: { type: s3, bucket: nope, endpoint: "http://127.0.0.1:1" }',
      'scrub: { store: s3, retry: { attempts: 1 } }',
    ]);
    const r = await run(['gate', 'verify', '-c', config]);
    expect(r.code).toBe(3);
  });
});
